using System.Globalization;
using System.Text;
using SendGate.Core;
using SendGate.Core.Audit;

namespace SendGate.Api.ReviewConsole;

/// <summary>
/// The audit trail as CSV (RFC 4180, UTF-8 with a byte-order mark so that Excel reads Japanese).
/// A cell a spreadsheet would take for a formula (= + - @, or a tab or carriage return first) is
/// written with a leading apostrophe: an address or a reason typed by anyone must not run in the
/// reader's spreadsheet.
/// </summary>
internal static class AuditCsv
{
    public static readonly string[] Header = ["seq", "at", "actor", "action", "resource", "detail", "ip", "status", "hash"];

    public static string Line(AuditRow row) => string.Join(',', new[]
    {
        row.Seq.ToString(CultureInfo.InvariantCulture), Rfc3339.Format(Clock.FromMs(row.At)), row.Actor, row.Action, row.Resource, row.Detail, row.Ip,
        row.StatusCode.ToString(CultureInfo.InvariantCulture), row.Hash,
    }.Select(Cell)) + "\r\n";

    public static string Cell(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    /// <summary>Every entry <paramref name="filter"/> finds, newest first, a page at a time so memory stays flat.</summary>
    public static async Task WriteAsync(Stream output, AuditTrail trail, string tenantId, AuditFilter filter, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true), bufferSize: 16 * 1024, leaveOpen: true);
        await writer.WriteAsync(string.Join(',', Header) + "\r\n");
        var page = filter with { Limit = 500 };
        while (true)
        {
            var rows = await trail.ListAsync(tenantId, page, cancellationToken);
            foreach (var row in rows)
            {
                await writer.WriteAsync(Line(row));
            }

            if (rows.Count < page.Limit)
            {
                break;
            }

            page = page with { BeforeSeq = rows[^1].Seq };
            await writer.FlushAsync(cancellationToken);
        }
    }
}
