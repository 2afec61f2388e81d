using System.Globalization;
using SendGate.Core;
using SendGate.Core.Mime;

namespace SendGate.Api.Infrastructure;

/// <summary>
/// The query-string values every list reads alike (page size, keyset cursor, instants, flags),
/// each checked with the same rule and the same words; what is wrong goes into the violations.
/// </summary>
internal static class QueryValues
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;

    /// <summary><c>limit</c>: a whole number from 1 to <see cref="MaxPageSize"/>, <see cref="DefaultPageSize"/> when absent.</summary>
    public static int PageSize(string? limit, List<Violation> violations)
    {
        if (limit is null)
        {
            return DefaultPageSize;
        }

        if (int.TryParse(limit, NumberStyles.Integer, CultureInfo.InvariantCulture, out var size) && size is >= 1 and <= MaxPageSize)
        {
            return size;
        }

        violations.Add(new("limit", ViolationCode.InvalidField, $"limit must be a whole number from 1 to {MaxPageSize}."));
        return DefaultPageSize;
    }

    /// <summary><c>cursor</c>: a keyset position this API returned (<see cref="KeysetCursor"/>).</summary>
    public static (long CreatedAt, string Id)? Cursor(string? cursor, List<Violation> violations)
    {
        if (cursor is null)
        {
            return null;
        }

        var position = KeysetCursor.Decode(cursor);
        if (position is null)
        {
            violations.Add(new("cursor", ViolationCode.InvalidField, "cursor is not one this API returned."));
        }

        return position;
    }

    /// <summary>An RFC 3339 date-time with offset, as Unix milliseconds.</summary>
    public static long? Instant(string field, string? value, List<Violation> violations)
    {
        if (value is null)
        {
            return null;
        }

        if (Rfc3339.TryParse(value, out var instant))
        {
            return instant.ToUnixTimeMilliseconds();
        }

        violations.Add(new(field, ViolationCode.InvalidField, $"{field} must be an RFC 3339 date-time with offset."));
        return null;
    }

    /// <summary><c>true</c> or <c>false</c>, in any case.</summary>
    public static bool? Flag(string field, string? value, List<Violation> violations)
    {
        switch (value?.ToLowerInvariant())
        {
            case null:
                return null;
            case "true":
                return true;
            case "false":
                return false;
            default:
                violations.Add(new(field, ViolationCode.InvalidField, $"{field} is true or false."));
                return null;
        }
    }
}
