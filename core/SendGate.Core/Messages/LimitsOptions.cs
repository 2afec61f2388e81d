using System.ComponentModel.DataAnnotations;
using SendGate.Core.Hosting;

namespace SendGate.Core.Messages;

public sealed class LimitsOptions
{
    public const string Section = "SendGate:Limits";

    /// <summary>Largest accepted request body (JSON or MIME), in bytes.</summary>
    [Range(1024, 1L << 31)]
    public long MaxRequestBytes { get; set; } = 40L * 1024 * 1024;

    [Range(1, 10_000)]
    public int MaxRecipients { get; set; } = 500;

    // Header limits: MimeKit's parser slows down with the square of a field's folded lines, and
    // its encoder with a long value, so hostile headers are refused before anything parses them.
    // The defaults are far above real mail: a heavily relayed message has a 10–30 KiB header
    // section of 50–150 fields, To with 500 recipients one per line is 500 lines and ~30 KiB,
    // and Outlook caps a subject at 255 characters.

    /// <summary>Bytes of one header section (the message's, and each part's), up to the empty line.</summary>
    [Range(4 * 1024, 16 * 1024 * 1024)]
    public int MaxHeaderBytes { get; set; } = 256 * 1024;

    /// <summary>Fields in one header section.</summary>
    [Range(16, 100_000)]
    public int MaxHeaderFields { get; set; } = 1000;

    /// <summary>Lines of one header field, its first line and every folded continuation line.</summary>
    [Range(1, 100_000)]
    public int MaxHeaderLines { get; set; } = 1000;

    /// <summary>Characters of the decoded subject.</summary>
    [Range(1, 1_000_000)]
    public int MaxSubjectLength { get; set; } = 1000;

    /// <summary>Characters of one header value given as a JSON field (headers, attachment file name, content type).</summary>
    [Range(64, 1_000_000)]
    public int MaxHeaderValueLength { get; set; } = 16 * 1024;

    /// <summary>Characters of one mailbox's display name, in any address field.</summary>
    [Range(1, 100_000)]
    public int MaxDisplayNameLength { get; set; } = 256;

    /// <summary>How far in the past <c>sendAt</c> may lie (clock skew) before it is refused.</summary>
    [Duration("00:00:00", "1.00:00:00")]
    public TimeSpan SendAtTolerance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long an <c>Idempotency-Key</c> is remembered.</summary>
    [Duration("1.00:00:00", "30.00:00:00")]
    public TimeSpan IdempotencyRetention { get; set; } = TimeSpan.FromHours(24);
}
