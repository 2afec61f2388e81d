using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using SendGate.Core.Messages;
using SendGate.Core.Mime;
using SmtpServer;
using SmtpServer.Mail;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace SendGate.Api.SmtpIngress;

/// <summary>
/// The end of DATA: the message goes through the same intake, policy and group commit as
/// <c>POST /v1/messages</c>, and the reply is given only after it is durably stored, exactly like
/// the 202. A policy rejection is stored for the archive and answered <c>550 5.7.1</c>.
/// </summary>
internal sealed class SmtpIntake(MessageIntake intake, SubmissionService submissions, string serverName, SendGate.Core.Telemetry.SendGateMetrics metrics,
    TimeProvider time, ILogger logger) : SmtpServer.Storage.MessageStore
{
    public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
    {
        var response = await ReplyAsync(context, transaction, buffer, cancellationToken);
        metrics.SmtpDoorReplied("data", (int)response.ReplyCode);
        return response;
    }

    private async Task<SmtpResponse> ReplyAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
    {
        if (SmtpSessionGate.SenderOf(context) is not { } sender)
        {
            return new SmtpResponse(SmtpReplyCode.BadSequence, "5.5.1 MAIL FROM first");
        }

        var messageId = SubmissionService.NewMessageId();
        try
        {
            // The trace line every MTA adds (RFC 5321 §4.4), above the message as it arrived.
            // A big message goes to a temporary file rather than a second copy beside the server's buffer.
            var trace = Encoding.ASCII.GetBytes(TraceHeader(context, messageId));
            using var raw = MessageBytes.Received(trace, buffer);
            var mailFrom = transaction.From.AsAddress() ?? ""; // null: MAIL FROM:<>
            var rcptTo = transaction.To.Select(t => t.AsAddress()).ToList();
            var prepared = intake.FromSmtp(raw, messageId, mailFrom, rcptTo);
            if (prepared.Message is not { } message)
            {
                var first = prepared.Violations[0];
                return new SmtpResponse((SmtpReplyCode)554, $"5.6.0 Message refused: {Ascii(first.Field)}: {Ascii(first.Message)}");
            }

            var actor = new Actor(sender.TenantId, sender.Actor);
            var repeat = Repeat(message, mailFrom, rcptTo, buffer);
            using var claim = repeat is null ? null : submissions.TryClaimIdempotencyKey(sender.TenantId, repeat.Key);
            if (repeat is not null && claim is null)
            {
                // The same transaction is being stored on another connection: the client tries again and hears its answer.
                return new SmtpResponse(SmtpReplyCode.Aborted, "4.3.0 The same message is being received on another connection, try again later");
            }

            var outcome = await submissions.SubmitAsync(actor, messageId, message, sendAt: null, repeat, cancellationToken);
            if (outcome is SubmitOutcome.IdempotencyConflict)
            {
                // Same Message-ID and envelope, other content: a new message that reused its id, not a repeat.
                outcome = await submissions.SubmitAsync(actor, messageId, message, sendAt: null, idempotency: null, cancellationToken);
            }

            if (outcome is SubmitOutcome.QuotaExceeded { Refusal: var refusal })
            {
                // Temporary: the client's queue keeps the mail until the day's count resets or the operator raises the quota.
                return new SmtpResponse((SmtpReplyCode)451, refusal.ResetsAt is { } resets
                    ? $"4.7.0 Daily message quota of {refusal.Limit} reached; try again after {SendGate.Core.Rfc3339.Format(resets)}"
                    : $"4.3.1 Storage quota of {refusal.Limit} bytes reached; try again later");
            }

            if (outcome is not SubmitOutcome.Accepted { Receipt: var receipt })
            {
                return new SmtpResponse(SmtpReplyCode.Aborted, "4.3.0 Temporary failure, try again later");
            }

            if (receipt.Decision.Rejection is { } rejection)
            {
                // Stored for the archive and the audit, but nothing will be sent: the client must hear a refusal.
                // The reason as the tenant wrote it when it is ASCII; a Japanese one is on the message (its id is in the reply).
                var reason = rejection.Reason.All(c => c is >= ' ' and <= '~') ? $": {Ascii(rejection.Reason)}" : "";
                return new SmtpResponse(SmtpReplyCode.MailboxUnavailable, $"5.7.1 Rejected by policy rule {Ascii(rejection.RuleId)}{reason} ({receipt.Id})");
            }

            return new SmtpResponse(SmtpReplyCode.Ok, $"2.0.0 Ok: queued as {receipt.Id} ({receipt.Status})");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // Not stored: a temporary failure, so the client keeps the message and sends it again.
            SmtpLog.IntakeFailed(logger, ex, sender.TenantId, messageId);
            return new SmtpResponse(SmtpReplyCode.Aborted, "4.3.0 Temporary failure, try again later");
        }
    }

    /// <summary>
    /// A client that lost our 250 (the connection broke after it) sends the same transaction again:
    /// the same Message-ID to the same envelope with the same bytes is that message, answered as
    /// before instead of stored twice (within the idempotency retention, 24 hours by default). The
    /// envelope is part of the key because a relay splits one message over several transactions.
    /// </summary>
    private static IdempotencyRequest? Repeat(PreparedMessage message, string mailFrom, IReadOnlyList<string> rcptTo, ReadOnlySequence<byte> received)
    {
        if (message.Mime.MessageId is not { Length: > 0 } header)
        {
            return null;
        }

        var envelope = $"{header}\n{mailFrom.ToLowerInvariant()}\n{string.Join('\n', rcptTo.Select(r => r.ToLowerInvariant()).Order(StringComparer.Ordinal))}";
        var key = "smtp:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(envelope)));
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var segment in received)
        {
            hash.AppendData(segment.Span);
        }

        return new IdempotencyRequest(key, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    /// <summary>
    /// <c>Received: from [client] by server (SendGate) with ESMTPSA id …; date</c>, the protocol
    /// named as RFC 3848 has it (S: over TLS, A: after AUTH).
    /// </summary>
    private string TraceHeader(ISessionContext context, string messageId)
    {
        var protocol = "ESMTP" + (context.Pipe.IsSecure ? "S" : "") + (context.Authentication.IsAuthenticated ? "A" : "");
        var client = SmtpSessionGate.ClientOf(context)?.ToString() ?? "unknown";
        var date = time.GetUtcNow().ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", System.Globalization.CultureInfo.InvariantCulture);
        return $"Received: from [{client}] by {serverName} (SendGate) with {protocol} id {messageId};\r\n\t{date}\r\n";
    }

    /// <summary>SMTP replies are ASCII: anything else becomes '?', so it is said as ASCII, or left out.</summary>
    private static string Ascii(string text)
    {
        var builder = new StringBuilder(Math.Min(text.Length, 200));
        foreach (var c in text)
        {
            if (builder.Length == 200)
            {
                break;
            }

            builder.Append(c is >= ' ' and <= '~' ? c : '?');
        }

        return builder.ToString();
    }
}
