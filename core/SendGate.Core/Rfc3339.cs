using System.Globalization;
using System.Text.RegularExpressions;

namespace SendGate.Core;

/// <summary>RFC 3339 date-times: an offset (or Z) is required, so no instant is ever ambiguous.</summary>
public static partial class Rfc3339
{
    public static bool TryParse(string? value, out DateTimeOffset result)
    {
        result = default;
        return value is not null
            && Pattern().IsMatch(value)
            && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out result);
    }

    /// <summary>UTC with a Z, to the second: how SendGate writes instants in sentences.</summary>
    public static string Format(DateTimeOffset value) =>
        value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")]
    private static partial Regex Pattern();
}
