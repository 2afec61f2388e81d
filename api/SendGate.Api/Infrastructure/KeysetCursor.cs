using System.Text;

namespace SendGate.Api.Infrastructure;

/// <summary>Opaque keyset cursor over (created_at, id): where the next page of a newest-first list starts.</summary>
internal static class KeysetCursor
{
    public static string Encode(long createdAt, string id) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{createdAt}:{id}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static (long, string)? Decode(string cursor)
    {
        try
        {
            var padded = cursor.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - (padded.Length % 4)) % 4);
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(padded));
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            return colon > 0 && long.TryParse(text[..colon], out var at) ? (at, text[(colon + 1)..]) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
