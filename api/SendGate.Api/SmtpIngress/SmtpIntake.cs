using System.Buffers;
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
internal sealed class SmtpIntake(MessageIntake intake, SubmissionService submissions, ILogger logger) : SmtpServer.Storage.MessageStore
{
    public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
    {
        if (SmtpSessionGate.SenderOf(context) is not { } sender)
        {
            return new SmtpResponse(SmtpReplyCode.BadSequence, "5.5.1 MAIL FROM first");
        }

        var messageId = SubmissionService.NewMessageId();
        try
        {
            var prepared = intake.FromSmtp(buffer.ToArray(), messageId, transaction.From.AsAddress(), transaction.To.Select(t => t.AsAddress()).ToList());
            if (prepared.Message is not { } message)
            {
                var first = prepared.Violations[0];
                return new SmtpResponse((SmtpReplyCode)554, $"5.6.0 Message refused: {Ascii(first.Field)}: {Ascii(first.Message)}");
            }

            var outcome = await submissions.SubmitAsync(new Actor(sender.TenantId, sender.Actor), messageId, message, sendAt: null, idempotency: null, cancellationToken);
            if (outcome is not SubmitOutcome.Accepted { Receipt: var receipt })
            {
                return new SmtpResponse(SmtpReplyCode.Aborted, "4.3.0 Temporary failure, try again later");
            }

            if (receipt.Decision.Rejection is { } rejection)
            {
                // Stored for the archive and the audit, but nothing will be sent: the client must hear a refusal.
                // The reason as the tenant wrote it when it is ASCII; a Japanese one is on the message (its id is in the reply).
                var reason = rejection.Reason.All(c => c is >= ' ' and <= '~') ? $": {Ascii(rejection.Reason)}" : "";
                return new SmtpResponse(SmtpReplyCode.MailboxUnavailable, $"5.7.1 Rejected by policy rule {Ascii(rejection.RuleId)}{reason} ({messageId})");
            }

            return new SmtpResponse(SmtpReplyCode.Ok, $"2.0.0 Ok: queued as {messageId} ({receipt.Status})");
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
