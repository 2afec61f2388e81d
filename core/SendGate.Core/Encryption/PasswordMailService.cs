using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using SendGate.Core.Delivery;
using SendGate.Core.Messages;
using SendGate.Core.Policies;
using SendGate.Core.Background;
using SendGate.Core.Telemetry;

namespace SendGate.Core.Encryption;

/// <summary>
/// Sends password mails once they are due: after the relay accepted the main mail and the delay
/// has passed. Same lease, retry and backoff rules as any delivery; the password is decrypted only
/// to write the mail and erased from the database once the mail has gone out (or finally failed).
/// </summary>
public sealed class PasswordMailService(
    PasswordMailStore store,
    MessageStore messages,
    Archive.SentCopies sentCopies,
    PolicyService policies,
    SecretVault vault,
    Archive.IBlobStore blobs,
    IMailTransportFactory transports,
    WorkerIdentity identity,
    TimeProvider time,
    IOptions<DeliveryOptions> options,
    SendGateMetrics metrics,
    ILogger<PasswordMailService> logger)
{
    private const int Batch = 50;

    /// <summary>Sends every due password mail; returns how many went out.</summary>
    public async Task<int> DeliverDueAsync(CancellationToken cancellationToken = default)
    {
        var sent = 0;
        IMailTransport? lane = null;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await using var batch = await store.ClaimDueAsync(identity.Name, options.Value.LeaseDuration, options.Value.MessageTimeBudget, Batch, cancellationToken);
                if (batch.Count == 0)
                {
                    break;
                }

                while (!cancellationToken.IsCancellationRequested && batch.TryTake(out var row))
                {
                    lane ??= transports.Create();
                    using var activity = SendGateTracing.StartForMessage("sendgate.password_mail.send", row.MessageId, row.TenantId, System.Diagnostics.ActivityKind.Client);
                    activity?.SetTag(SendGateTracing.Attempt, row.Attempts);
                    if (await SendAsync(lane, row, activity, cancellationToken))
                    {
                        sent++;
                    }
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

    private async Task<bool> SendAsync(IMailTransport lane, PasswordMailRow row, System.Diagnostics.Activity? activity, CancellationToken cancellationToken)
    {
        var main = (await messages.GetByIdAsync(row.MessageId, cancellationToken))!;
        var settings = (await policies.GetSnapshotAsync(main.TenantId, cancellationToken)).Settings;
        var headerFrom = InternetAddressList.TryParse(main.HeaderFrom, out var from) ? from : [Mime.MailAddresses.ReversePath(main.EnvelopeFrom)];
        // Under the sender's domain; a null reverse path has none, the header From does.
        var messageIdHeader = Mime.MessageIntake.NewMessageIdHeader(row.Id, main.EnvelopeFrom.Length > 0 ? main.EnvelopeFrom : headerFrom.Mailboxes.FirstOrDefault()?.Address ?? "");
        var mime = new MimeMessage { Date = time.GetUtcNow(), MessageId = messageIdHeader };
        mime.From.AddRange(headerFrom);
        var recipients = await AddRecipientsAsync(mime, row, main, settings, cancellationToken);
        if (recipients.Count == 0)
        {
            var why = main.ContentPurgedAt is null ? "the encrypted mail reached nobody" : "the encrypted mail's delivered copies were purged before it went out";
            await FinishAsync(row, activity, PasswordMailStatus.Cancelled, why, null, null, recipients,
                new NewEvent(PasswordMailEventType.Cancelled, null, null, Actor, $"password mail cancelled: {why}"));
            return false;
        }

        var password = vault.Unprotect(row.PasswordCiphertext!, row.Id, row.PasswordKeyId);
        // SendGate writes this mail: a card or My Number in the main subject is masked here, as everywhere SendGate writes.
        var mainSubject = Policies.Detectors.SensitiveNumbers.Mask(main.Subject);
        var sentAt = settings.LocalTime(Clock.FromMs(main.SentAt ?? time.NowMs()));
        var forLink = PolicyDecisions.Read(main.Decisions)?.Link is not null;
        var (subject, body) = forLink
            ? MailTemplates.LinkPasswordMail(settings.Language, mainSubject, sentAt, password)
            : MailTemplates.PasswordMail(settings.Language, mainSubject, sentAt, row.ZipName, password);
        mime.Subject = subject;
        if (main.MessageIdHeader is { } parent)
        {
            // Threads under the main mail in the recipient's client.
            mime.InReplyTo = parent;
            mime.References.Add(parent);
        }

        mime.Body = new TextPart("plain") { Text = body };
        var result = await lane.SendAsync(
            new OutgoingMessage(row.Id, main.TenantId, mime, Mime.MailAddresses.ReversePath(main.EnvelopeFrom), recipients.Select(r => new MailboxAddress("", r)).ToList()), cancellationToken);

        var accepted = result.Recipients.Where(r => r.Verdict == RecipientVerdict.Accepted).Select(r => r.Address).ToList();
        var data = JsonSerializer.Serialize(new
        {
            passwordMailId = row.Id,
            attempt = row.Attempts,
            recipients = result.Recipients.Select(r => new { address = r.Address, verdict = r.Verdict.ToString().ToLowerInvariant(), reply = r.Reply }),
        });
        if (result.Kind == TransportResultKind.Delivered && accepted.Count > 0)
        {
            await FinishAsync(row, activity, PasswordMailStatus.Sent, null, null, messageIdHeader, recipients,
                new NewEvent(PasswordMailEventType.Sent, null, null, Actor, $"password mail for {(forLink ? "the download link" : row.ZipName)} accepted for {accepted.Count} recipient(s)", data));
            return true;
        }

        var next = result.Kind == TransportResultKind.TransientFailure ? options.Value.Retries().NextDue(row.Attempts, time.GetUtcNow()) : null;
        if (next is null)
        {
            var reason = result.Reply ?? "every recipient was refused";
            await FinishAsync(row, activity, PasswordMailStatus.Failed, reason, null, messageIdHeader, recipients,
                new NewEvent(PasswordMailEventType.Failed, null, null, Actor, $"password mail failed after {row.Attempts} attempt(s): {reason}", data));
            return false;
        }

        await FinishAsync(row, activity, PasswordMailStatus.Queued, result.Reply, next.Value.ToUnixTimeMilliseconds(), messageIdHeader, recipients, null);
        return false;
    }

    /// <summary>
    /// Puts into <paramref name="mime"/> whom the password mail shows and returns whom it goes to.
    /// It mirrors the encrypted mail as delivered: the envelope is exactly the recipients of the
    /// transactions that carried the zip (with split delivery not the internal ones, who got the
    /// originals), and To and Cc are those transactions' header fields byte for byte — display
    /// names in their encoding, the undisclosed-recipients group or the sender that Bcc conversion
    /// put there. They are read from the archived sent copies, so the Bcc rule stays in one place
    /// (delivery) and a Bcc recipient sees the To and Cc of the main mail: never themself, never
    /// another Bcc recipient.
    /// One mail rather than one per recipient, as some gateways send: a per-recipient mail would
    /// have to put each person in a To they were not in on the main mail (every Bcc recipient, and
    /// everyone after Bcc conversion), and costs a transaction, a retry and a failure per recipient
    /// for no more secrecy; the mirror shows nobody anything the main mail did not, and replies
    /// and threads like it.
    /// </summary>
    private async Task<IReadOnlyList<string>> AddRecipientsAsync(MimeMessage mime, PasswordMailRow row, MessageRow main, TenantSettings settings,
        CancellationToken cancellationToken)
    {
        if (row.PasswordTo == "sender")
        {
            if (main.EnvelopeFrom.Length == 0)
            {
                // A delivery report or auto-reply (null reverse path) has no sender to pass the password on.
                return [];
            }

            var sender = InternetAddressList.TryParse(main.HeaderFrom, out var from)
                ? from.Mailboxes.FirstOrDefault(m => string.Equals(m.Address, main.EnvelopeFrom, StringComparison.OrdinalIgnoreCase))
                : null;
            mime.To.Add(sender ?? MailboxAddress.Parse(main.EnvelopeFrom));
            return [main.EnvelopeFrom];
        }

        var split = PolicyDecisions.Read(main.Decisions)?.Encryption?.SplitDelivery == true;
        var envelope = new List<string>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        IReadOnlyList<Header>? shown = null;
        var agree = true;
        foreach (var copy in await sentCopies.ForMessageAsync(main.TenantId, main.Id, cancellationToken))
        {
            var reached = JsonSerializer.Deserialize<List<string>>(copy.Recipients) ?? [];
            // A copy recorded before the flag was kept: the zip went to everyone but, with split delivery, the internal recipients.
            if (!(copy.Encrypted ?? !(split && reached.All(a => DomainMatch.Covers(settings.InternalDomains, MessageFacts.DomainOf(a))))))
            {
                continue;
            }

            envelope.AddRange(reached.Where(seen.Add));
            var fields = await ShownFieldsAsync(copy.BlobKey, cancellationToken);
            agree &= fields is not null && (shown is null || SameFields(shown, fields));
            shown ??= fields;
        }

        if (agree && shown is not null)
        {
            foreach (var field in shown)
            {
                mime.Headers.Add(field);
            }
        }
        else
        {
            // Every copy is derived from one original by one rewrite, so they agree; were one to
            // differ (or be missing), no single To/Cc is right for everyone: show nobody.
            mime.To.Add(new GroupAddress("undisclosed-recipients"));
        }

        return envelope;
    }

    /// <summary>The To and Cc fields of a sent copy as the relay received them; null when the copy is gone.</summary>
    private async Task<IReadOnlyList<Header>?> ShownFieldsAsync(string blobKey, CancellationToken cancellationToken)
    {
        await using var stream = await blobs.OpenAsync(blobKey, cancellationToken);
        if (stream is null)
        {
            return null;
        }

        var headers = await HeaderList.LoadAsync(ParserOptions.Default, stream, cancellationToken);
        return headers.Where(h => h.Id is HeaderId.To or HeaderId.Cc).Select(h => h.Clone()).ToList();
    }

    private static bool SameFields(IReadOnlyList<Header> a, IReadOnlyList<Header> b) =>
        a.Count == b.Count && a.Zip(b).All(p => p.First.Id == p.Second.Id && p.First.RawValue.AsSpan().SequenceEqual(p.Second.RawValue));

    private string Actor => $"worker:{identity.Name}";

    private async Task FinishAsync(PasswordMailRow row, System.Diagnostics.Activity? activity, string to, string? error, long? dueAt, string? messageIdHeader, IReadOnlyList<string> recipients, NewEvent? e)
    {
        if (await store.FinishAsync(row, identity.Name, to, error, dueAt, messageIdHeader, recipients, e, time.NowMs()))
        {
            if (to is PasswordMailStatus.Sent or PasswordMailStatus.Failed)
            {
                metrics.PasswordMailFinished(to);
            }

            activity.Ended(to, failed: to == PasswordMailStatus.Failed);
            Log.PasswordMailFinished(logger, row.Id, row.MessageId, to, row.Attempts);
        }
        else
        {
            Log.LeaseLost(logger, row.Id, identity.Name);
        }
    }
}
