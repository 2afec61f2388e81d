using System.Text;
using Microsoft.Extensions.Options;
using MimeKit;
using SendGate.Core.Messages;

namespace SendGate.Core.Mime;

/// <summary>
/// Validates a submission and turns it into a <see cref="PreparedMessage"/>: JSON is built into
/// MIME with MimeKit; raw MIME is parsed and kept byte for byte as submitted.
/// </summary>
public sealed class MessageIntake(IOptions<LimitsOptions> limits, TimeProvider time)
{
    /// <summary>CRLF, the line ending RFC 5322 requires; used for every MIME we write.</summary>
    public static readonly FormatOptions WriteFormat = CreateWriteFormat();

    // Headers the JSON fields own; setting them through "headers" would bypass validation.
    private static readonly HashSet<string> ReservedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "From", "Sender", "To", "Cc", "Bcc", "Reply-To", "Subject", "Date", "MIME-Version",
        "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "Content-ID",
        "Return-Path", "Received", "Resent-From", "Resent-To", "Resent-Cc", "Resent-Bcc",
    };

    public Result FromJson(MessageRequest request, string messageId)
    {
        var violations = new List<Violation>();
        var limit = limits.Value;
        var from = ParseMailbox("from", request.From, violations, required: true);
        // Counted before any address is parsed: a list of a million is refused at the cost of one.
        var listed = (request.To?.Count ?? 0) + (request.Cc?.Count ?? 0) + (request.Bcc?.Count ?? 0);
        var countable = listed <= limit.MaxRecipients && (request.ReplyTo?.Count ?? 0) <= limit.MaxRecipients;
        var to = countable ? ParseList("to", request.To, violations) : [];
        var cc = countable ? ParseList("cc", request.Cc, violations) : [];
        var bcc = countable ? ParseList("bcc", request.Bcc, violations) : [];
        var replyTo = countable ? ParseList("replyTo", request.ReplyTo, violations) : [];
        if (!countable)
        {
            CheckRecipientCount(Math.Max(listed, request.ReplyTo?.Count ?? 0), violations);
        }

        CheckNoLineBreak("subject", request.Subject, violations);
        if (request.Subject is { } subject && subject.Length > limit.MaxSubjectLength)
        {
            violations.Add(new("subject", ViolationCode.HeaderLimit,
                $"subject has {subject.Length} characters; at most {limit.MaxSubjectLength} are allowed (SendGate:Limits:MaxSubjectLength)."));
        }

        CheckHeaderTotals(request, violations);

        var message = new MimeMessage();
        foreach (var (name, value) in request.Headers ?? new Dictionary<string, string>())
        {
            var field = $"headers.{name}";
            if (!IsFieldName(name))
            {
                violations.Add(new(field, ViolationCode.InvalidHeader, $"'{name}' is not a valid header name."));
            }
            else if (ReservedHeaders.Contains(name))
            {
                violations.Add(new(field, ViolationCode.InvalidHeader, $"Header '{name}' is set by its own field, not through 'headers'."));
            }
            else if (HasLineBreak(value))
            {
                violations.Add(new(field, ViolationCode.HeaderInjection, "Header values may not contain CR, LF or NUL."));
            }
            else if (LengthViolation(field, value) is { } tooLong)
            {
                violations.Add(tooLong);
            }
            else if (name.Equals("Message-ID", StringComparison.OrdinalIgnoreCase))
            {
                var id = (value ?? "").Trim().Trim('<', '>');
                if (id.Length == 0 || id.Any(c => char.IsWhiteSpace(c) || c is '<' or '>') || !id.Contains('@', StringComparison.Ordinal))
                {
                    violations.Add(new(field, ViolationCode.InvalidHeader, "Message-ID must look like <local@domain>."));
                }
                else
                {
                    message.MessageId = id;
                }
            }
            else
            {
                message.Headers.Add(name, value ?? "");
            }
        }

        var builder = new BodyBuilder { TextBody = request.Text, HtmlBody = request.Html };
        var attachments = request.Attachments ?? [];
        for (var i = 0; i < attachments.Count; i++)
        {
            AddAttachment(builder, attachments[i], $"attachments[{i}]", violations);
        }

        if (countable && to.Count + cc.Count + bcc.Count == 0 && !violations.Any(v => v.Code == ViolationCode.InvalidAddress))
        {
            violations.Add(new("to", ViolationCode.NoRecipient, "At least one recipient in to, cc or bcc is required."));
        }

        if (countable)
        {
            CheckRecipientCount(to.Count + cc.Count + bcc.Count, violations);
        }
        if (violations.Count > 0 || from is null)
        {
            return new Result(null, violations);
        }

        message.From.Add(from);
        message.To.AddRange(to);
        message.Cc.AddRange(cc);
        message.Bcc.AddRange(bcc);
        message.ReplyTo.AddRange(replyTo);
        message.Subject = request.Subject ?? "";
        message.Date = time.GetUtcNow();
        // MimeKit invents a Message-Id with the machine name; ours names the message and the sender's domain.
        var ownMessageId = request.Headers?.Keys.Any(k => k.Equals("Message-ID", StringComparison.OrdinalIgnoreCase)) == true;
        if (!ownMessageId)
        {
            message.MessageId = NewMessageIdHeader(messageId, from.Address);
        }

        message.Body = builder.ToMessageBody();

        // Base64 adds a third and line breaks; text may take three bytes a character.
        var expected = attachments.Sum(a => (long)(a.Content?.Bytes?.Length ?? 0)) * 140 / 100
            + 3L * ((request.Text?.Length ?? 0) + (request.Html?.Length ?? 0)) + 16 * 1024;
        var raw = MessageBytes.Write(expected, stream => message.WriteTo(WriteFormat, stream));
        var recipients = Envelope(to, cc, bcc);
        return new Result(
            new PreparedMessage("json", raw, message, from.Address, from.ToString(), message.Subject,
                message.MessageId ?? NewMessageIdHeader(messageId, from.Address), recipients, message.Attachments.Count(), request.Metadata),
            violations);
    }

    public Result FromMime(byte[] raw, string messageId, Encoding? headerCharset = null) => Parse(MessageBytes.Of(raw), messageId, headerCharset, null);

    /// <summary>
    /// A message received over SMTP. The envelope decides who gets it, as for any MTA: each
    /// <paramref name="rcptTo"/> address is a recipient (To or Cc when the header names it there,
    /// otherwise Bcc), and a header address that is not in the envelope receives nothing.
    /// </summary>
    /// The prepared message owns <paramref name="raw"/> (a big one is a temporary file); without
    /// one, the caller disposes it.
    public Result FromSmtp(MessageBytes raw, string messageId, string mailFrom, IReadOnlyList<string> rcptTo) =>
        Parse(raw, messageId, null, new SmtpEnvelope(mailFrom, rcptTo));

    private sealed record SmtpEnvelope(string MailFrom, IReadOnlyList<string> RcptTo);

    private Result Parse(MessageBytes raw, string messageId, Encoding? headerCharset, SmtpEnvelope? smtp)
    {
        var violations = new List<Violation>();
        var options = ParserOptions.Default.Clone();
        if (headerCharset is not null)
        {
            // Raw 8-bit headers (e.g. Shift_JIS without RFC 2047) decode with the declared charset.
            options.CharsetEncoding = headerCharset;
        }

        if (CheckHeaderSections(raw, options, "body") is { } hostile)
        {
            violations.Add(hostile);
            return new Result(null, violations);
        }

        MimeMessage message;
        try
        {
            // Persistent: the parts' content stays a view of the submitted bytes (or of the temporary
            // file) instead of a copy of them, so a big message costs its size once. The stream must
            // therefore stay open: it is the bytes' own, closed with them.
            message = MimeMessage.Load(options, raw.OpenRead(), persistent: true);
        }
        catch (FormatException ex)
        {
            violations.Add(new("body", ViolationCode.MalformedMime, $"The body is not a MIME message: {ex.Message}"));
            return new Result(null, violations);
        }

        if (message.Headers.Count == 0 || message.Body is null)
        {
            violations.Add(new("body", ViolationCode.MalformedMime, "The body is not a MIME message: no header section was found."));
            return new Result(null, violations);
        }

        if (message.Subject is { } subject && subject.Length > limits.Value.MaxSubjectLength)
        {
            violations.Add(new("Subject", ViolationCode.HeaderLimit,
                $"The subject has {subject.Length} characters; at most {limits.Value.MaxSubjectLength} are allowed (SendGate:Limits:MaxSubjectLength)."));
        }

        foreach (var (name, list) in new[] { ("From", message.From), ("Sender", message.Sender is null ? [] : new InternetAddressList([message.Sender])),
                     ("Reply-To", message.ReplyTo), ("To", message.To), ("Cc", message.Cc), ("Bcc", message.Bcc) })
        {
            CheckDisplayNames(name, list, violations);
        }

        if (violations.Count > 0)
        {
            return new Result(null, violations);
        }

        var sender = message.Sender ?? message.From.Mailboxes.FirstOrDefault();
        if (sender is null)
        {
            violations.Add(new("From", ViolationCode.InvalidAddress, "The message has no From header with a mailbox."));
        }
        else
        {
            CheckAddress("From", sender, violations);
        }

        var to = Mailboxes("To", message.To, violations);
        var cc = Mailboxes("Cc", message.Cc, violations);
        var bcc = Mailboxes("Bcc", message.Bcc, violations);
        if (smtp is null && to.Count + cc.Count + bcc.Count == 0 && !violations.Any(v => v.Code == ViolationCode.InvalidAddress))
        {
            violations.Add(new("To", ViolationCode.NoRecipient, "The message has no recipient in To, Cc or Bcc."));
        }

        CheckRecipientCount(smtp?.RcptTo.Count ?? to.Count + cc.Count + bcc.Count, violations);
        if (violations.Count > 0 || sender is null)
        {
            return new Result(null, violations);
        }

        // The raw bytes stay as submitted; a missing Message-ID is added at delivery, with this value.
        var messageIdHeader = string.IsNullOrEmpty(message.MessageId)
            ? NewMessageIdHeader(messageId, sender.Address)
            : message.MessageId;
        var headerFrom = message.From.Count > 0 ? message.From.ToString() : sender.ToString();
        return new Result(
            new PreparedMessage("mime", raw, message, smtp?.MailFrom ?? sender.Address, headerFrom, message.Subject ?? "",
                messageIdHeader, smtp is null ? Envelope(to, cc, bcc) : Envelope(smtp.RcptTo, to, cc), message.Attachments.Count(), null,
                smtp is null ? Messages.Doors.Api : Messages.Doors.Smtp),
            violations);
    }

    private static List<EnvelopeRecipient> Envelope(IReadOnlyList<string> rcptTo, List<MailboxAddress> to, List<MailboxAddress> cc)
    {
        var inTo = to.Select(m => m.Address).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var inCc = cc.Select(m => m.Address).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        return rcptTo.Where(seen.Add)
            .Select(a => new EnvelopeRecipient(a, inTo.Contains(a) ? RecipientKind.To : inCc.Contains(a) ? RecipientKind.Cc : RecipientKind.Bcc))
            .ToList();
    }

    public static string NewMessageIdHeader(string messageId, string fromAddress)
    {
        var at = fromAddress.LastIndexOf('@');
        var domain = at >= 0 && at < fromAddress.Length - 1 ? fromAddress[(at + 1)..] : "sendgate.invalid";
        return $"{messageId}@{domain}";
    }

    private static List<EnvelopeRecipient> Envelope(List<MailboxAddress> to, List<MailboxAddress> cc, List<MailboxAddress> bcc)
    {
        // One envelope recipient per address: the first field that names it wins (to, then cc, then bcc).
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var result = new List<EnvelopeRecipient>();
        foreach (var (list, kind) in new[] { (to, RecipientKind.To), (cc, RecipientKind.Cc), (bcc, RecipientKind.Bcc) })
        {
            foreach (var mailbox in list)
            {
                if (seen.Add(mailbox.Address))
                {
                    result.Add(new EnvelopeRecipient(mailbox.Address, kind));
                }
            }
        }

        return result;
    }

    /// <summary>
    /// Every header section of <paramref name="raw"/> — the message's, each part's and each attached
    /// message's — checked by <see cref="HeaderScanner"/> where it begins, before MimeKit reads it:
    /// MimeKit's parser takes time in the square of a field's lines, in nested parts as at the top.
    /// <see cref="MimeReader"/> finds where the sections begin while reading in linear time.
    /// </summary>
    public Violation? CheckHeaderSections(byte[] raw, ParserOptions options, string field) =>
        CheckHeaderSections(MessageBytes.Of(raw), options, field);

    private Violation? CheckHeaderSections(MessageBytes raw, ParserOptions options, string field)
    {
        if (ScanSection(raw, 0) is { } top)
        {
            return field == "body" ? top : top with { Field = field };
        }

        using var stop = new CancellationTokenSource();
        var reader = new SectionReader(this, raw, options, stop);
        try
        {
            reader.ReadMessage(stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopped at the first section that breaks a rule.
        }
        catch (FormatException)
        {
            // Malformed MIME: the parser that follows says what is wrong with it.
        }

        return reader.Violation is { } nested
            ? nested with { Field = field, Message = $"In the header section of a part (line {reader.Line}): {nested.Message}" }
            : null;
    }

    /// <summary>The header section that begins at <paramref name="offset"/>, checked in place (in memory) or read in chunks (a temporary file).</summary>
    private Violation? ScanSection(MessageBytes raw, long offset)
    {
        if (raw.TryGetSpan(offset, out var span))
        {
            return HeaderScanner.Check(limits.Value, span);
        }

        var scanner = new HeaderScanner(limits.Value);
        Span<byte> chunk = stackalloc byte[4096];
        int read;
        while ((read = raw.ReadAt(offset, chunk)) > 0 && scanner.Feed(chunk[..read]))
        {
            offset += read;
        }

        return scanner.Finish();
    }

    private sealed class SectionReader(MessageIntake intake, MessageBytes raw, ParserOptions options, CancellationTokenSource stop)
        : MimeReader(options, raw.OpenRead(), MimeFormat.Default)
    {
        public Violation? Violation { get; private set; }

        public int Line { get; private set; }

        protected override void OnHeadersBegin(long beginOffset, int beginLineNumber, CancellationToken cancellationToken)
        {
            // The message's own section was checked already.
            if (beginOffset > 0 && Violation is null && intake.ScanSection(raw, beginOffset) is { } violation)
            {
                Violation = violation;
                Line = beginLineNumber + 1;
                stop.Cancel();
            }
        }
    }

    private void CheckHeaderTotals(MessageRequest request, List<Violation> violations)
    {
        var limit = limits.Value;
        var headers = request.Headers?.Count ?? 0;
        if (headers > limit.MaxHeaderFields)
        {
            violations.Add(new("headers", ViolationCode.HeaderLimit,
                $"headers has {headers} fields; at most {limit.MaxHeaderFields} are allowed (SendGate:Limits:MaxHeaderFields)."));
            return;
        }

        // The header section the message will have, roughly: every single-line field given, with its name.
        long bytes = Utf8(request.Subject) + Utf8(request.From);
        foreach (var list in new[] { request.To, request.Cc, request.Bcc, request.ReplyTo })
        {
            foreach (var address in list ?? [])
            {
                bytes += Utf8(address) + 2;
            }
        }

        foreach (var (name, value) in request.Headers ?? new Dictionary<string, string>())
        {
            bytes += Utf8(name) + Utf8(value) + 4;
        }

        if (bytes > limit.MaxHeaderBytes)
        {
            violations.Add(new("headers", ViolationCode.HeaderLimit,
                $"subject, addresses and headers make a header section of about {bytes} bytes; at most {limit.MaxHeaderBytes} are allowed (SendGate:Limits:MaxHeaderBytes)."));
        }

        static long Utf8(string? value) => value is null ? 0 : Encoding.UTF8.GetByteCount(value);
    }

    private Violation? LengthViolation(string field, string? value) =>
        value is not null && value.Length > limits.Value.MaxHeaderValueLength
            ? new(field, ViolationCode.HeaderLimit,
                $"{field} has {value.Length} characters; at most {limits.Value.MaxHeaderValueLength} are allowed (SendGate:Limits:MaxHeaderValueLength).")
            : null;

    private void CheckDisplayNames(string field, InternetAddressList list, List<Violation> violations)
    {
        foreach (var address in list)
        {
            if (address.Name is { } name && name.Length > limits.Value.MaxDisplayNameLength)
            {
                violations.Add(new(field, ViolationCode.HeaderLimit,
                    $"A display name in {field} has {name.Length} characters; at most {limits.Value.MaxDisplayNameLength} are allowed (SendGate:Limits:MaxDisplayNameLength)."));
                return;
            }

            if (address is GroupAddress group)
            {
                CheckDisplayNames(field, group.Members, violations);
            }
        }
    }

    private void CheckRecipientCount(int count, List<Violation> violations)
    {
        if (count > limits.Value.MaxRecipients)
        {
            violations.Add(new("to", ViolationCode.TooManyRecipients, $"At most {limits.Value.MaxRecipients} recipients are allowed; the message has {count}."));
        }
    }

    private void AddAttachment(BodyBuilder builder, AttachmentRequest attachment, string field, List<Violation> violations)
    {
        var valid = true;
        if (string.IsNullOrWhiteSpace(attachment.Filename))
        {
            violations.Add(new($"{field}.filename", ViolationCode.InvalidAttachment, "filename is required."));
            valid = false;
        }
        else if (HasLineBreak(attachment.Filename))
        {
            violations.Add(new($"{field}.filename", ViolationCode.HeaderInjection, "filename may not contain CR, LF or NUL."));
            valid = false;
        }
        else if (LengthViolation($"{field}.filename", attachment.Filename) is { } longName)
        {
            violations.Add(longName);
            valid = false;
        }

        ContentType? contentType = null;
        if (!string.IsNullOrEmpty(attachment.ContentType))
        {
            if (HasLineBreak(attachment.ContentType))
            {
                violations.Add(new($"{field}.contentType", ViolationCode.HeaderInjection, "contentType may not contain CR, LF or NUL."));
                valid = false;
            }
            else if (LengthViolation($"{field}.contentType", attachment.ContentType) is { } longType)
            {
                violations.Add(longType);
                valid = false;
            }
            else if (!ContentType.TryParse(attachment.ContentType, out contentType))
            {
                violations.Add(new($"{field}.contentType", ViolationCode.InvalidAttachment, $"'{attachment.ContentType}' is not a media type."));
                valid = false;
            }
        }

        if (attachment.ContentId is { } cid && (HasLineBreak(cid) || cid.Any(char.IsWhiteSpace)))
        {
            violations.Add(new($"{field}.contentId", ViolationCode.HeaderInjection, "contentId may not contain white space, CR, LF or NUL."));
            valid = false;
        }
        else if (LengthViolation($"{field}.contentId", attachment.ContentId) is { } longId)
        {
            violations.Add(longId);
            valid = false;
        }

        var bytes = attachment.Content?.Bytes;
        if (attachment.Content is null)
        {
            violations.Add(new($"{field}.content", ViolationCode.InvalidBase64, "content (base64) is required."));
            valid = false;
        }
        else if (bytes is null)
        {
            violations.Add(new($"{field}.content", ViolationCode.InvalidBase64, "content is not valid base64."));
            valid = false;
        }

        if (!valid || bytes is null)
        {
            return;
        }

        // MimeKit parses a message/rfc822 attachment into a message part (and only that type):
        // its headers get the same limits as a submitted message's, and bytes that are no message are refused.
        var embedded = contentType?.IsMimeType("message", "rfc822") == true;
        if (embedded && CheckHeaderSections(bytes, ParserOptions.Default, $"{field}.content") is { } hostile)
        {
            violations.Add(hostile);
            return;
        }

        var target = attachment.ContentId is null ? builder.Attachments : builder.LinkedResources;
        MimeEntity part;
        try
        {
            part = contentType is null
                ? target.Add(attachment.Filename!, bytes)
                : target.Add(attachment.Filename!, bytes, contentType);
        }
        catch (FormatException ex) when (embedded)
        {
            violations.Add(new($"{field}.content", ViolationCode.InvalidAttachment,
                $"content is not a MIME message, as contentType {contentType!.MimeType} says: {ex.Message}"));
            return;
        }
        if (attachment.ContentId is { } contentId)
        {
            part.ContentId = contentId.Trim('<', '>');
        }
    }

    private List<MailboxAddress> ParseList(string field, IReadOnlyList<string>? values, List<Violation> violations)
    {
        var result = new List<MailboxAddress>();
        if (values is null)
        {
            return result;
        }

        for (var i = 0; i < values.Count; i++)
        {
            if (ParseMailbox($"{field}[{i}]", values[i], violations, required: true) is { } mailbox)
            {
                result.Add(mailbox);
            }
        }

        return result;
    }

    private MailboxAddress? ParseMailbox(string field, string? value, List<Violation> violations, bool required)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required)
            {
                violations.Add(new(field, ViolationCode.InvalidAddress, "An address is required."));
            }

            return null;
        }

        if (HasLineBreak(value))
        {
            violations.Add(new(field, ViolationCode.HeaderInjection, "Addresses may not contain CR, LF or NUL."));
            return null;
        }

        // An address has at most 254 characters (RFC 5321); the rest, with quotes and brackets, is the display name.
        var limit = limits.Value.MaxDisplayNameLength;
        if (value.Length > limit + 300)
        {
            violations.Add(new(field, ViolationCode.HeaderLimit,
                $"The mailbox has {value.Length} characters; a display name may have at most {limit} (SendGate:Limits:MaxDisplayNameLength)."));
            return null;
        }

        if (!MailboxAddress.TryParse(ParserOptions.Default, value, out var mailbox))
        {
            violations.Add(new(field, ViolationCode.InvalidAddress, $"'{value}' is not an e-mail address (use \"addr\" or \"Name <addr>\")."));
            return null;
        }

        if (mailbox.Name is { } name && name.Length > limit)
        {
            violations.Add(new(field, ViolationCode.HeaderLimit,
                $"The display name has {name.Length} characters; at most {limit} are allowed (SendGate:Limits:MaxDisplayNameLength)."));
            return null;
        }

        return CheckAddress(field, mailbox, violations) ? mailbox : null;
    }

    private static List<MailboxAddress> Mailboxes(string field, InternetAddressList list, List<Violation> violations)
    {
        var result = new List<MailboxAddress>();
        foreach (var mailbox in list.Mailboxes)
        {
            if (CheckAddress(field, mailbox, violations))
            {
                result.Add(mailbox);
            }
        }

        return result;
    }

    private static bool CheckAddress(string field, MailboxAddress mailbox, List<Violation> violations)
    {
        var address = mailbox.Address;
        var at = address.LastIndexOf('@');
        var local = at > 0 ? address[..at] : "";
        // A quoted local part ("john doe"@example.com) may hold spaces; nothing else may.
        var quoted = local.Length >= 2 && local[0] == '"' && local[^1] == '"';
        var ok = at > 0 && at < address.Length - 1
            && !address.Any(char.IsControl)
            && !(quoted ? address[at..] : address).Any(char.IsWhiteSpace)
            && address[(at + 1)..].Contains('.', StringComparison.Ordinal) is var dotted
            && (dotted || address[(at + 1)..].Equals("localhost", StringComparison.OrdinalIgnoreCase))
            && !address[(at + 1)..].StartsWith('.') && !address.EndsWith('.');
        if (!ok)
        {
            violations.Add(new(field, ViolationCode.InvalidAddress, $"'{address}' is not a deliverable e-mail address."));
        }

        return ok;
    }

    private static void CheckNoLineBreak(string field, string? value, List<Violation> violations)
    {
        if (HasLineBreak(value))
        {
            violations.Add(new(field, ViolationCode.HeaderInjection, $"{field} may not contain CR, LF or NUL."));
        }
    }

    // A NUL ends a string for many relays and clients: what they show would not be what the policy read.
    private static bool HasLineBreak(string? value) =>
        value is not null && value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0;

    // RFC 5322 field-name: printable US-ASCII except colon.
    private static bool IsFieldName(string name) =>
        name.Length is > 0 and <= 76 && name.All(c => c is >= '!' and <= '~' and not ':');

    private static FormatOptions CreateWriteFormat()
    {
        var options = FormatOptions.Default.Clone();
        options.NewLineFormat = NewLineFormat.Dos;
        return options;
    }

    public sealed record Result(PreparedMessage? Message, IReadOnlyList<Violation> Violations);
}
