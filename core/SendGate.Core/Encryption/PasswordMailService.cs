using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using SendGate.Core.Delivery;
using SendGate.Core.Messages;
using SendGate.Core.Policies;

namespace SendGate.Core.Encryption;

/// <summary>
/// Sends password mails once they are due: after the relay accepted the main mail and the delay
/// has passed. Same lease, retry and backoff rules as any delivery; the password is decrypted only
/// to write the mail and erased from the database once the mail has gone out (or finally failed).
/// </summary>
public sealed class PasswordMailService(
    PasswordMailStore store,
    MessageStore messages,
    PolicyService policies,
    PasswordVault vault,
    IMailTransportFactory transports,
    WorkerIdentity identity,
    TimeProvider time,
    IOptions<DeliveryOptions> options,
    ILogger<PasswordMailService> logger)
{
    /// <summary>Sends every due password mail; returns how many went out.</summary>
    public async Task<int> DeliverDueAsync(CancellationToken cancellationToken = default)
    {
        var sent = 0;
        IMailTransport? lane = null;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var due = await store.DueAsync(time.NowMs(), 50, cancellationToken);
                var claimedAny = false;
                foreach (var id in due)
                {
                    var now = time.NowMs();
                    if (!await store.ClaimAsync(id, identity.Name, now, now + (long)options.Value.LeaseDuration.TotalMilliseconds, cancellationToken))
                    {
                        continue;
                    }

                    claimedAny = true;
                    lane ??= transports.Create();
                    if (await SendAsync(lane, (await store.GetAsync(id, cancellationToken))!, cancellationToken))
                    {
                        sent++;
                    }
                }

                if (!claimedAny)
                {
                    break;
                }
            }
        }
        finally
        {
            if (lane is not null)
            {
                await lane.DisposeAsync();
            }
        }

        return sent;
    }

    private async Task<bool> SendAsync(IMailTransport lane, PasswordMailRow row, CancellationToken cancellationToken)
    {
        var main = (await messages.GetByIdAsync(row.MessageId, cancellationToken))!;
        var settings = (await policies.GetSnapshotAsync(main.TenantId, cancellationToken)).Settings;
        var recipients = await RecipientsAsync(row, main, settings, cancellationToken);
        if (recipients.Count == 0)
        {
            await FinishAsync(row, PasswordMailStatus.Cancelled, "the encrypted mail reached nobody", null, null, recipients,
                new NewEvent(PasswordMailEventType.Cancelled, null, null, Actor, "password mail cancelled: the encrypted mail reached nobody"));
            return false;
        }

        var messageIdHeader = Mime.MessageIntake.NewMessageIdHeader(row.Id, main.EnvelopeFrom);
        var password = vault.Unprotect(row.PasswordCiphertext!, row.Id, row.PasswordKeyId);
        var (subject, body) = MailTemplates.PasswordMail(settings.Language, main.Subject, settings.LocalTime(Clock.FromMs(main.SentAt ?? time.NowMs())), row.ZipName, password);
        var mime = new MimeMessage { Subject = subject, Date = time.GetUtcNow(), MessageId = messageIdHeader };
        mime.From.AddRange(InternetAddressList.TryParse(main.HeaderFrom, out var from) ? from : [MailboxAddress.Parse(main.EnvelopeFrom)]);
        mime.To.AddRange(recipients.Select(r => new MailboxAddress("", r)));
        if (main.MessageIdHeader is { } parent)
        {
            // Threads under the main mail in the recipient's client.
            mime.InReplyTo = parent;
            mime.References.Add(parent);
        }

        mime.Body = new TextPart("plain") { Text = body };
        var result = await lane.SendAsync(
            new OutgoingMessage(row.Id, mime, MailboxAddress.Parse(main.EnvelopeFrom), recipients.Select(r => new MailboxAddress("", r)).ToList()), cancellationToken);

        var accepted = result.Recipients.Where(r => r.Verdict == RecipientVerdict.Accepted).Select(r => r.Address).ToList();
        var data = JsonSerializer.Serialize(new
        {
            passwordMailId = row.Id,
            attempt = row.Attempts,
            recipients = result.Recipients.Select(r => new { address = r.Address, verdict = r.Verdict.ToString().ToLowerInvariant(), reply = r.Reply }),
        });
        if (result.Kind == TransportResultKind.Delivered && accepted.Count > 0)
        {
            await FinishAsync(row, PasswordMailStatus.Sent, null, null, messageIdHeader, recipients,
                new NewEvent(PasswordMailEventType.Sent, null, null, Actor, $"password mail for {row.ZipName} accepted for {accepted.Count} recipient(s)", data));
            return true;
        }

        if (result.Kind == TransportResultKind.PermanentFailure || result.Kind == TransportResultKind.Delivered || row.Attempts >= options.Value.MaxAttempts)
        {
            var reason = result.Reply ?? "every recipient was refused";
            await FinishAsync(row, PasswordMailStatus.Failed, reason, null, messageIdHeader, recipients,
                new NewEvent(PasswordMailEventType.Failed, null, null, Actor, $"password mail failed after {row.Attempts} attempt(s): {reason}", data));
            return false;
        }

        var next = time.GetUtcNow() + RetryBackoff.Delay(row.Attempts, options.Value.RetryBaseDelay, options.Value.RetryMaxDelay, Random.Shared.NextDouble());
        await FinishAsync(row, PasswordMailStatus.Scheduled, result.Reply, next.ToUnixTimeMilliseconds(), messageIdHeader, recipients, null);
        return false;
    }

    /// <summary>The sender, or everyone the encrypted mail reached (with split delivery: the external ones).</summary>
    private async Task<IReadOnlyList<string>> RecipientsAsync(PasswordMailRow row, MessageRow main, TenantSettings settings, CancellationToken cancellationToken)
    {
        if (row.PasswordTo == "sender")
        {
            return [main.EnvelopeFrom];
        }

        var split = PolicyDecisions.Read(main.Decisions)?.Encryption?.SplitDelivery == true;
        return (await messages.GetRecipientsAsync(main.Id, cancellationToken))
            .Where(r => r.Status == RecipientStatus.Accepted && !(split && DomainMatch.Covers(settings.InternalDomains, MessageFacts.DomainOf(r.Address))))
            .Select(r => r.Address)
            .ToList();
    }

    private string Actor => $"worker:{identity.Name}";

    private async Task FinishAsync(PasswordMailRow row, string to, string? error, long? dueAt, string? messageIdHeader, IReadOnlyList<string> recipients, NewEvent? e)
    {
        if (await store.FinishAsync(row, identity.Name, to, error, dueAt, messageIdHeader, recipients, e, time.NowMs()))
        {
            Log.PasswordMailFinished(logger, row.Id, row.MessageId, to, row.Attempts);
        }
        else
        {
            Log.LeaseLost(logger, row.Id, identity.Name);
        }
    }
}
