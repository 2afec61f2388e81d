using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using SendGate.Core.Data;
using SendGate.Core.Messages;
using SendGate.Core.Messages.Lifecycle;
using SendGate.Core.Encryption;
using SendGate.Core.Links;
using SendGate.Core.Mime;
using SendGate.Core.Policies;
using SendGate.Core.Background;
using SendGate.Core.Telemetry;

namespace SendGate.Core.Delivery;

/// <summary>What one <see cref="DeliveryService.DeliverDueAsync"/> run did.</summary>
public sealed record DeliveryRun(int Claimed, int Sent, int Deferred, int Failed, int LeaseLost);

/// <summary>
/// Claims due messages with a lease, sends each to its pending recipients, and records the outcome.
/// The one duplicate this cannot rule out is SMTP's own: the relay answered 250 and the process
/// died before <see cref="DeliveryRecorder.RecordAsync"/> committed; the lease then expires
/// and another worker sends again. That window is one SQL transaction long.
/// </summary>
public sealed class DeliveryService(
    MessageStore store,
    MessageLifecycle lifecycle,
    DeliveryRecorder recorder,
    IMailTransportFactory transports,
    WorkerIdentity identity,
    PolicyService policies,
    CompanyNames companies,
    MessageEncryption encryptor,
    MessageLinks links,
    Archive.IBlobStore blobs,
    TimeProvider time,
    IOptions<DeliveryOptions> options,
    SendGateMetrics metrics,
    ILogger<DeliveryService> logger)
{
    // A claim this close to its expiry is not started: another worker may take it over meanwhile.
    private static readonly TimeSpan LeaseSafetyMargin = WorkLease.SafetyMargin;

    public async Task<DeliveryRun> DeliverDueAsync(CancellationToken cancellationToken = default)
    {
        var o = options.Value;
        int claimedTotal = 0, sent = 0, deferred = 0, failed = 0, leaseLost = 0;
        var lanes = new Stack<IMailTransport>();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var now = time.GetUtcNow();
                var leaseUntil = now + o.LeaseDuration;
                IReadOnlyList<ClaimedMessage> claimed;
                ActivityContext batch;
                using (var claim = SendGateTracing.Source.StartActivity("sendgate.delivery.claim"))
                {
                    claimed = await lifecycle.ClaimDueAsync(identity.Name, now.ToUnixTimeMilliseconds(), leaseUntil.ToUnixTimeMilliseconds(), o.BatchSize, cancellationToken);
                    if (claimed.Count == 0)
                    {
                        // An idle poll, once a second: nothing worth a span.
                        claim.Drop();
                        break;
                    }

                    claim?.SetTag("sendgate.claimed", claimed.Count);
                    batch = claim?.Context ?? default;
                }

                claimedTotal += claimed.Count;
                Log.Claimed(logger, claimed.Count, identity.Name);
                var unstarted = new HashSet<string>(claimed.Select(c => c.Id));
                var inputs = await store.GetClaimedAsync(identity.Name, cancellationToken);
                try
                {
                    await Parallel.ForEachAsync(claimed, new ParallelOptions { MaxDegreeOfParallelism = o.Parallelism, CancellationToken = cancellationToken },
                        async (message, ct) =>
                        {
                            if (!new WorkLease(leaseUntil).Covers(TimeSpan.Zero, time.GetUtcNow()))
                            {
                                // Too little of the lease is left to begin: the message goes back with the unstarted ones.
                                Log.LeaseTooShort(logger, message.Id);
                                return;
                            }

                            lock (unstarted)
                            {
                                unstarted.Remove(message.Id);
                            }

                            IMailTransport lane;
                            lock (lanes)
                            {
                                lane = lanes.Count > 0 ? lanes.Pop() : transports.Create();
                            }

                            try
                            {
                                // Each message's attempt under the claim that took it; its events and its submission share its id.
                                using var attempt = SendGateTracing.StartForMessage("sendgate.delivery.send", message.Id, message.TenantId, ActivityKind.Client, batch);
                                attempt?.SetTag(SendGateTracing.Attempt, message.Attempts);
                                var outcome = await DeliverWithinBudgetAsync(lane, message, inputs.GetValueOrDefault(message.Id), leaseUntil, ct);
                                Recorded(message, outcome, attempt);
                                switch (outcome)
                                {
                                    case Outcome.Sent: Interlocked.Increment(ref sent); break;
                                    case Outcome.Deferred: Interlocked.Increment(ref deferred); break;
                                    case Outcome.Failed: Interlocked.Increment(ref failed); break;
                                    case Outcome.LeaseLost: Interlocked.Increment(ref leaseLost); break;
                                }
                            }
                            finally
                            {
                                lock (lanes)
                                {
                                    lanes.Push(lane);
                                }
                            }
                        });
                }
                finally
                {
                    if (unstarted.Count > 0)
                    {
                        // Stopping: hand back what we claimed but never began, without waiting for the lease.
                        await lifecycle.ReturnUnstartedAsync(unstarted, identity.Name, time.NowMs());
                    }
                }

                // Claim again at once even after a short batch: under steady inflow new mail is
                // already waiting, and leaving it to the next poll would idle the lanes.
            }
        }
        finally
        {
            foreach (var lane in lanes)
            {
                await lane.DisposeAsync();
            }
        }

        return new DeliveryRun(claimedTotal, sent, deferred, failed, leaseLost);
    }

    private enum Outcome { Sent, Deferred, Failed, LeaseLost }

    /// <summary>What the attempt's record (already committed) says, for the metrics and its span.</summary>
    private void Recorded(ClaimedMessage message, Outcome outcome, Activity? attempt)
    {
        var result = outcome switch
        {
            Outcome.Sent => MessageStatus.Sent,
            Outcome.Failed => MessageStatus.Failed,
            Outcome.Deferred => "deferred",
            _ => "lease_lost",
        };
        if (outcome == Outcome.LeaseLost)
        {
            metrics.DeliveryLeaseLost();
        }
        else
        {
            metrics.DeliveryFinished(message.TenantId, result, time.GetUtcNow() - Clock.FromMs(message.CreatedAt));
        }

        attempt.Ended(result, failed: outcome == Outcome.Failed);
    }

    /// <summary>
    /// Delivers one message within its time budget (<see cref="DeliveryOptions.MessageTimeBudget"/>,
    /// cut to what is left of the lease): a message whose preparation or relay session takes
    /// longer is stopped and retried later like a relay's 4xx, and its lane goes on with the
    /// next message. What the relay accepted before the budget ran out is still recorded.
    /// </summary>
    private async Task<Outcome> DeliverWithinBudgetAsync(IMailTransport lane, ClaimedMessage claim, (MessageRow Row, IReadOnlyList<string> Pending) input,
        DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        var budget = options.Value.MessageTimeBudget;
        var left = leaseUntil - LeaseSafetyMargin - time.GetUtcNow();
        using var deadline = new CancellationTokenSource(left < budget ? (left > TimeSpan.Zero ? left : TimeSpan.Zero) : budget, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            return await DeliverOneAsync(lane, claim, input, leaseUntil, new Budget(linked.Token, deadline.Token, budget), cancellationToken);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // Stopped before anything was sent: every pending recipient waits for the next attempt.
            Log.TimeBudgetExceeded(logger, claim.Id, budget);
            var encrypted = input.Row is { } row && PolicyDecisions.Read(row.Decisions) is { } d && (d.Encryption is not null || d.Link is not null);
            return await RecordAsync(claim, input.Pending ?? [], TransportResult.Transient(Budget.Exceeded(budget)), encrypted, cancellationToken);
        }
    }

    /// <summary>The token that ends one message's attempt, and whether its deadline (rather than a stop) ended it.</summary>
    private readonly record struct Budget(CancellationToken Token, CancellationToken Deadline, TimeSpan Length)
    {
        public static string Exceeded(TimeSpan length) =>
            $"stopped after the message's time budget of {length} (SendGate:Delivery:MessageTimeBudget)";
    }

    /// <summary>A send cut short by the budget is a transient failure of that transaction, like a relay's 4xx.</summary>
    private static async Task<TransportResult> SendAsync(IMailTransport lane, OutgoingMessage outgoing, Budget budget)
    {
        try
        {
            return await lane.SendAsync(outgoing, budget.Token);
        }
        catch (OperationCanceledException) when (budget.Deadline.IsCancellationRequested)
        {
            return TransportResult.Transient(Budget.Exceeded(budget.Length));
        }
    }

    private async Task<Outcome> DeliverOneAsync(IMailTransport lane, ClaimedMessage claim, (MessageRow Row, IReadOnlyList<string> Pending) input,
        DateTimeOffset leaseUntil, Budget budget, CancellationToken cancellationToken)
    {
        if (time.GetUtcNow() > leaseUntil - LeaseSafetyMargin)
        {
            // Our lease is about to run out; leave the message to whoever claims it next.
            Log.LeaseTooShort(logger, claim.Id);
            return Outcome.LeaseLost;
        }

        var row = input.Row;
        await using var original = row is null ? null : await store.OpenContentAsync(claim.Id, budget.Token);
        if (original is null || row is null)
        {
            return await FinishAsync(claim, MessageStatus.Failed, "message content is missing", null, [], cancellationToken);
        }

        var pending = input.Pending;
        var decision = PolicyDecisions.Read(row.Decisions);
        if (pending.Count == 0)
        {
            // Every recipient already has a verdict (e.g. a previous attempt recorded them); nothing to send.
            return await FinishAsync(claim, MessageStatus.Sent, null, null, [], cancellationToken, encrypted: decision?.Encryption is not null || decision?.Link is not null);
        }

        if (decision?.Link is { } link)
        {
            return await DeliverLinkedAsync(lane, claim, row, original, pending, decision, link, budget, cancellationToken);
        }

        if (decision?.Encryption is { } encryption)
        {
            return await DeliverEncryptedAsync(lane, claim, row, original, pending, decision, encryption, budget, cancellationToken);
        }

        var outgoing = PrepareOutgoing(row, original, pending, decision, budget.Token);
        var result = await SendAsync(lane, outgoing, budget);
        var recorded = await RecordAsync(claim, pending, result, encrypted: false, cancellationToken, await CaptureAsync(outgoing, result, encrypted: false, cancellationToken));
        if (recorded == Outcome.Sent)
        {
            await LearnCompaniesAsync(row, outgoing, cancellationToken);
        }

        return recorded;
    }

    /// <summary>
    /// A mail delivered to one company alone teaches which company names its salutation uses for
    /// that domain (<see cref="CompanyNames"/>). History only: a failure here is logged, the
    /// delivery stands.
    /// </summary>
    private async Task LearnCompaniesAsync(MessageRow row, OutgoingMessage outgoing, CancellationToken cancellationToken)
    {
        try
        {
            var settings = (await policies.GetSnapshotAsync(row.TenantId, cancellationToken)).Settings;
            var domains = outgoing.Recipients.Select(r => MessageFacts.DomainOf(r.Address)).Where(d => !DomainMatch.Covers(settings.InternalDomains, d))
                .Distinct(StringComparer.Ordinal).ToList();
            if (domains.Count != 1)
            {
                return;
            }

            var names = Policies.Detectors.Salutation.Companies(Policies.Detectors.MailText.Split(MessageFacts.BodyTextOf(outgoing.Message)).NewText);
            if (names.Count > 0)
            {
                await companies.RecordAsync(row.TenantId, domains[0], names, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.CompanyNamesNotRecorded(logger, row.Id, ex.Message);
        }
    }

    /// <summary>
    /// Split delivery: the internal recipients (who get the original) apart from the others (who get
    /// the zip or the link); without it, everyone is among the others.
    /// </summary>
    private async Task<(IReadOnlyList<string> Internal, IReadOnlyList<string> Others)> SplitInternalAsync(MessageRow row, IReadOnlyList<string> pending,
        bool split, CancellationToken cancellationToken)
    {
        if (!split)
        {
            return ([], pending);
        }

        var settings = (await policies.GetSnapshotAsync(row.TenantId, cancellationToken)).Settings;
        var internalRecipients = pending.Where(a => DomainMatch.Covers(settings.InternalDomains, MessageFacts.DomainOf(a))).ToList();
        return (internalRecipients, pending.Except(internalRecipients, StringComparer.Ordinal).ToList());
    }

    /// <summary>
    /// Zips the attachments for the recipients who get the encrypted form — everyone, or with split
    /// delivery only the external ones, the internal ones getting the originals in a second
    /// transaction — and records both sends as one attempt.
    /// </summary>
    private async Task<Outcome> DeliverEncryptedAsync(IMailTransport lane, ClaimedMessage claim, MessageRow row, Stream original,
        IReadOnlyList<string> pending, PolicyDecision decision, EncryptionDecision encryption, Budget budget, CancellationToken cancellationToken)
    {
        var (plainRecipients, encryptedRecipients) = await SplitInternalAsync(row, pending, encryption.SplitDelivery, budget.Token);

        // Both parts are prepared before either is sent: once the relay has taken one, what follows
        // must not stop before its outcome is recorded.
        var plain = plainRecipients.Count > 0 ? PrepareOutgoing(row, original, plainRecipients, decision, budget.Token) with { Id = $"{row.Id}-internal" } : null;
        var parts = new List<(TransportResult Result, IReadOnlyList<string> Recipients)>();
        var copies = new List<SentCopy>();
        var learnFrom = plain;
        if (encryptedRecipients.Count > 0)
        {
            var outgoing = PrepareOutgoing(row, original, encryptedRecipients, decision, budget.Token);
            learnFrom = outgoing;
            switch (await encryptor.EncryptAsync(row, outgoing.Message, encryption, identity.Name, budget.Token))
            {
                case EncryptionOutcome.LeaseLost:
                    Log.LeaseLost(logger, claim.Id, identity.Name);
                    return Outcome.LeaseLost;
                case EncryptionOutcome.Encrypted encrypted:
                    using (encrypted.Message)
                    {
                        var sent = await SendAsync(lane, outgoing, budget);
                        parts.Add((sent, encryptedRecipients));
                        // Copied while the zip's temporary file still exists.
                        copies.AddRange(await CaptureAsync(outgoing, sent, encrypted: true, cancellationToken));
                    }

                    break;
                default:
                    var plainResult = await SendAsync(lane, outgoing, budget);
                    parts.Add((plainResult, encryptedRecipients));
                    copies.AddRange(await CaptureAsync(outgoing, plainResult, encrypted: false, cancellationToken));
                    break;
            }
        }

        if (plain is not null)
        {
            var plainResult = await SendAsync(lane, plain, budget);
            parts.Add((plainResult, plainRecipients));
            copies.AddRange(await CaptureAsync(plain, plainResult, encrypted: false, cancellationToken));
        }

        var recorded = await RecordAsync(claim, pending, Combine(parts), encrypted: true, cancellationToken, copies);
        if (recorded == Outcome.Sent && learnFrom is not null)
        {
            // The salutation is the same in both parts; the recipients of the encrypted one are the external ones.
            await LearnCompaniesAsync(row, learnFrom, cancellationToken);
        }

        return recorded;
    }

    /// <summary>
    /// Moves the attachments into the download store and sends the notice instead, to everyone or,
    /// with internal recipients exempt, to the external ones (the internal ones get the original
    /// in a second transaction). Fail closed: when the store cannot be written, nothing is sent
    /// and the attempt is retried like a relay's temporary failure.
    /// </summary>
    private async Task<Outcome> DeliverLinkedAsync(IMailTransport lane, ClaimedMessage claim, MessageRow row, Stream original,
        IReadOnlyList<string> pending, PolicyDecision decision, LinkDecision link, Budget budget, CancellationToken cancellationToken)
    {
        var (plainRecipients, linkedRecipients) = await SplitInternalAsync(row, pending, link.ExemptInternalRecipients, budget.Token);

        var plain = plainRecipients.Count > 0 ? PrepareOutgoing(row, original, plainRecipients, decision, budget.Token) with { Id = $"{row.Id}-internal" } : null;
        var parts = new List<(TransportResult Result, IReadOnlyList<string> Recipients)>();
        var copies = new List<SentCopy>();
        var learnFrom = plain;
        if (linkedRecipients.Count > 0)
        {
            var outgoing = PrepareOutgoing(row, original, linkedRecipients, decision, budget.Token);
            learnFrom = outgoing;
            LinkOutcome outcome;
            try
            {
                outcome = await links.ApplyAsync(row, outgoing.Message, link, identity.Name, budget.Token);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Nothing has been sent yet: the whole message waits, its attachments never in the mail.
                Log.DownloadStoreFailed(logger, row.Id, ex.Message);
                return await RecordAsync(claim, pending, TransportResult.Transient($"the download store could not be written ({ex.GetType().Name}); not sent with the attachments"),
                    encrypted: true, cancellationToken);
            }

            if (outcome is LinkOutcome.LeaseLost)
            {
                Log.LeaseLost(logger, claim.Id, identity.Name);
                return Outcome.LeaseLost;
            }

            var sent = await SendAsync(lane, outgoing, budget);
            parts.Add((sent, linkedRecipients));
            // With a password mail, the notice's copies say whom the password goes to (as the zip's copies do).
            copies.AddRange(await CaptureAsync(outgoing, sent, encrypted: link.PasswordMail, cancellationToken));
        }

        if (plain is not null)
        {
            var plainResult = await SendAsync(lane, plain, budget);
            parts.Add((plainResult, plainRecipients));
            copies.AddRange(await CaptureAsync(plain, plainResult, encrypted: false, cancellationToken));
        }

        var recorded = await RecordAsync(claim, pending, Combine(parts), encrypted: true, cancellationToken, copies);
        if (recorded == Outcome.Sent && learnFrom is not null)
        {
            await LearnCompaniesAsync(row, learnFrom, cancellationToken);
        }

        return recorded;
    }

    /// <summary>
    /// One result for two transactions of the same attempt: a part the relay refused as a whole
    /// becomes explicit refusals of its recipients, so the other part's outcome still counts.
    /// </summary>
    private static TransportResult Combine(List<(TransportResult Result, IReadOnlyList<string> Recipients)> parts)
    {
        if (parts.Count == 1)
        {
            return parts[0].Result;
        }

        if (parts.All(p => p.Result.Kind == TransportResultKind.PermanentFailure))
        {
            return parts[0].Result;
        }

        var outcomes = new List<RecipientOutcome>();
        foreach (var (result, recipients) in parts)
        {
            outcomes.AddRange(result.Recipients);
            if (result.Kind == TransportResultKind.PermanentFailure)
            {
                outcomes.AddRange(recipients.Where(a => result.Recipients.All(r => r.Address != a))
                    .Select(a => new RecipientOutcome(a, RecipientVerdict.Rejected, result.Reply)));
            }
        }

        var transient = parts.FirstOrDefault(p => p.Result.Kind == TransportResultKind.TransientFailure).Result;
        return transient is not null
            ? new TransportResult(TransportResultKind.TransientFailure, transient.Reply, outcomes)
            : new TransportResult(TransportResultKind.Delivered, string.Join(" / ", parts.Select(p => p.Result.Reply)), outcomes);
    }

    /// <summary>
    /// The archive's copy of what one transaction delivered: the message as the transport wrote
    /// it (Bcc removed, policy rewrites and encryption applied, parts prepared for the relay). The
    /// password mail reads its recipients and their view of the To and Cc from the copies that
    /// carried the zip, so it never needs to work out the rewrite again.
    /// </summary>
    private async Task<IReadOnlyList<SentCopy>> CaptureAsync(OutgoingMessage outgoing, TransportResult result, bool encrypted, CancellationToken cancellationToken)
    {
        var accepted = result.Recipients.Where(r => r.Verdict == RecipientVerdict.Accepted).Select(r => r.Address).ToList();
        if (result.Kind != TransportResultKind.Delivered || accepted.Count == 0)
        {
            return [];
        }

        try
        {
            var copy = await blobs.StageAsync(stream => outgoing.Message.WriteToAsync(MessageIntake.WriteFormat, stream, cancellationToken), cancellationToken);
            return [new SentCopy(copy, accepted, encrypted)];
        }
        catch (Exception ex) when (Data.StorageFull.Is(ex))
        {
            // The relay has the message: its outcome must be recorded now, or the lease would run
            // out and the message be sent again. Only the archive's copy of this send is missing.
            Log.SentCopyNotStored(logger, outgoing.Id, ex.Message);
            return [];
        }
    }

    private async Task<Outcome> RecordAsync(ClaimedMessage claim, IReadOnlyList<string> pending, TransportResult result, bool encrypted, CancellationToken cancellationToken,
        IReadOnlyList<SentCopy>? copies = null)
    {
        var results = result.Recipients
            .Where(r => r.Verdict != RecipientVerdict.Deferred)
            .Select(r => (r.Address, r.Verdict == RecipientVerdict.Accepted ? RecipientStatus.Accepted : RecipientStatus.Rejected, r.Reply))
            .ToList();
        var stillPending = pending.Count - results.Count;

        switch (result.Kind)
        {
            case TransportResultKind.Delivered when stillPending == 0:
                return await FinishAsync(claim, MessageStatus.Sent, null, null, results, cancellationToken, result, encrypted, copies);
            case TransportResultKind.PermanentFailure:
                // The relay refused the message itself: every recipient still pending fails with it.
                var all = pending.Select(a => results.FirstOrDefault(r => r.Address == a) is { Address: not null } r
                    ? r : (a, RecipientStatus.Rejected, result.Reply)).ToList();
                return await FinishAsync(claim, MessageStatus.Failed, result.Reply, null, all, cancellationToken, result, encrypted, copies);
            default:
                // Transient failure, or some recipients deferred (4xx): try again later for those still pending.
                if (options.Value.Retries().NextDue(claim.Attempts, time.GetUtcNow()) is not { } next)
                {
                    var givenUp = pending.Select(a => results.FirstOrDefault(r => r.Address == a) is { Address: not null } r
                        ? r : (a, RecipientStatus.Rejected, $"gave up after {claim.Attempts} attempts: {result.Reply}")).ToList();
                    var anyAccepted = givenUp.Any(r => r.Item2 == RecipientStatus.Accepted);
                    return await FinishAsync(claim, anyAccepted ? MessageStatus.Sent : MessageStatus.Failed,
                        $"gave up after {claim.Attempts} attempts: {result.Reply}", null, givenUp, cancellationToken, result, encrypted, copies);
                }

                return await FinishAsync(claim, MessageStatus.Queued, result.Reply, next.ToUnixTimeMilliseconds(), results, cancellationToken, result, encrypted, copies);
        }
    }

    private static OutgoingMessage PrepareOutgoing(MessageRow row, Stream original, IReadOnlyList<string> pending, PolicyDecision? decision,
        CancellationToken cancellationToken)
    {
        // Persistent: parts read their content from the stored original instead of copying it, so
        // a large message is never held whole. The stream must therefore outlive the send; two
        // messages parsed from it (split delivery) each seek where they read.
        original.Position = 0;
        var message = MimeMessage.Load(ParserOptions.Default, original, persistent: true, cancellationToken);

        // Bcc recipients are in the envelope only; the header would show them to everyone.
        message.Headers.RemoveAll(HeaderId.Bcc);
        if (decision is not null)
        {
            OutgoingRewrite.Apply(message, decision);
        }

        if (string.IsNullOrEmpty(message.MessageId) && row.MessageIdHeader is not null)
        {
            message.MessageId = row.MessageIdHeader;
        }

        if (!message.Headers.Contains(HeaderId.Date))
        {
            message.Date = Clock.FromMs(row.CreatedAt);
        }

        var sender = MailAddresses.ReversePath(row.EnvelopeFrom);
        var recipients = pending.Select(a => new MailboxAddress("", a)).ToList();
        return new OutgoingMessage(row.Id, row.TenantId, message, sender, recipients);
    }

    private async Task<Outcome> FinishAsync(ClaimedMessage claim, string to, string? error, long? nextAttemptAt,
        IReadOnlyList<(string Address, string Status, string? Reply)> results, CancellationToken cancellationToken, TransportResult? transport = null,
        bool encrypted = false, IReadOnlyList<SentCopy>? copies = null)
    {
        var (type, reason) = to switch
        {
            MessageStatus.Sent => (MessageEventType.Sent, transport?.Reply),
            MessageStatus.Failed => (MessageEventType.Failed, error),
            _ => (MessageEventType.DeliveryDeferred, $"attempt {claim.Attempts} deferred: {error}"),
        };
        var data = results.Count == 0 ? null : JsonSerializer.Serialize(new
        {
            attempt = claim.Attempts,
            recipients = results.Select(r => new { address = r.Address, status = r.Status, reply = r.Reply }),
        });
        var now = time.NowMs();
        // Not cancellable: once the relay has answered, the answer must be recorded even while stopping.
        var finished = await recorder.RecordAsync(new DeliveryOutcome(claim.Id, identity.Name, to, error, nextAttemptAt, results,
            new NewEvent(type, MessageStatus.Sending, to, $"worker:{identity.Name}", reason, data), now, encrypted, copies, claim.Attempts));
        if (!finished)
        {
            Log.LeaseLost(logger, claim.Id, identity.Name);
            return Outcome.LeaseLost;
        }

        policies.RecordDelivered(claim.TenantId, results.Where(r => r.Status == RecipientStatus.Accepted)
            .Select(r => MessageFacts.DomainOf(r.Address)).ToList());
        Log.DeliveryFinished(logger, claim.Id, to, claim.Attempts);
        return to switch
        {
            MessageStatus.Sent => Outcome.Sent,
            MessageStatus.Failed => Outcome.Failed,
            _ => Outcome.Deferred,
        };
    }
}
