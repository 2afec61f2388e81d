using System.Data.Common;
using Dapper;
using SendGate.Core.Archive;
using SendGate.Core.Data;
using SendGate.Core.Messages;
using SendGate.Core.Messages.Lifecycle;

namespace SendGate.Core.Delivery;

/// <summary>
/// Records what one delivery attempt did, in one transaction: the message's move out of sending
/// (the lifecycle's, only while the worker still holds the lease), each recipient's result, the
/// tenant's delivery history that first-time and look-alike checks read, and the archived copies
/// of what the relay received. With group commit: lanes that finish together share one commit,
/// and each outcome is still recorded as soon as the writer is free (the duplicate window stays
/// one commit long).
/// </summary>
public sealed class DeliveryRecorder : IAsyncDisposable
{
    private const string UpdateRecipientSql = """
        UPDATE message_recipients SET status = @status, smtp_reply = @reply, updated_at = @now
         WHERE message_id = @id AND address = @address AND status = 'pending'
        """;

    private readonly IDbConnectionFactory _db;
    private readonly MessageLifecycle _lifecycle;
    private readonly IBlobStore _blobs;
    private readonly GroupCommit<DeliveryOutcome, bool> _commits;

    public DeliveryRecorder(IDbConnectionFactory db, MessageLifecycle lifecycle, IBlobStore blobs)
    {
        _db = db;
        _lifecycle = lifecycle;
        _blobs = blobs;
        _commits = new GroupCommit<DeliveryOutcome, bool>(db, WriteAsync);
    }

    /// <summary>Records <paramref name="outcome"/>; false when its worker no longer holds the lease (nothing is recorded).</summary>
    public Task<bool> RecordAsync(DeliveryOutcome outcome) => _commits.WriteAsync(outcome);

    public ValueTask DisposeAsync() => _commits.DisposeAsync();

    private async Task<bool> WriteAsync(DbConnection connection, DbTransaction transaction, DeliveryOutcome o)
    {
        if (!await _lifecycle.FinishDeliveryAsync(connection, transaction, o))
        {
            return false;
        }

        if (o.RecipientResults.Count > 0)
        {
            await connection.ExecuteAsync(UpdateRecipientSql,
                o.RecipientResults.Select(r => new { id = o.Id, address = r.Address, status = r.Status, reply = Truncate(r.Reply, 1000), now = o.Now }), transaction);
            var domains = o.RecipientResults.Where(r => r.Status == RecipientStatus.Accepted)
                .Select(r => Policies.MessageFacts.DomainOf(r.Address)).Where(d => d.Length > 0).Distinct(StringComparer.Ordinal)
                .Select(domain => new { id = o.Id, domain, now = o.Now }).ToList();
            if (domains.Count > 0)
            {
                await connection.ExecuteAsync(_db.Dialect.InsertDeliveredDomainSql, domains, transaction);
                await RecordSenderHistoryAsync(connection, transaction, o);
            }
        }

        await SentCopies.RecordAsync(connection, transaction, _blobs, o.Id, o.Sent ?? [], o.Now);
        await NoticeOfFailureAsync(connection, transaction, o);
        return true;
    }

    // A mail to hundreds is a mailing, not a conversation: its first recipients and domains are enough history.
    private const int MaxContactsPerMail = 50;
    private const int MaxPairedDomains = 10;

    /// <summary>
    /// The sender's history: each accepted recipient (how often this sender wrote to it) and each
    /// pair of recipient domains the mail joined, for the unusual-recipient checks.
    /// </summary>
    private async Task RecordSenderHistoryAsync(DbConnection connection, DbTransaction transaction, DeliveryOutcome o)
    {
        var accepted = o.RecipientResults.Where(r => r.Status == RecipientStatus.Accepted).Select(r => r.Address.ToLowerInvariant())
            .Distinct(StringComparer.Ordinal).Take(MaxContactsPerMail).ToList();
        await connection.ExecuteAsync(_db.Dialect.UpsertDeliveredContactSql,
            accepted.Select(address => new { id = o.Id, address, domain = Policies.MessageFacts.DomainOf(address), now = o.Now }), transaction);
        var domains = accepted.Select(Policies.MessageFacts.DomainOf).Where(d => d.Length > 0).Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal).Take(MaxPairedDomains).ToList();
        var pairs = new List<object>();
        for (var i = 0; i < domains.Count; i++)
        {
            for (var j = i + 1; j < domains.Count; j++)
            {
                pairs.Add(new { id = o.Id, a = domains[i], b = domains[j], now = o.Now });
            }
        }

        if (pairs.Count > 0)
        {
            await connection.ExecuteAsync(_db.Dialect.InsertDeliveredDomainPairSql, pairs, transaction);
        }
    }

    /// <summary>
    /// As an MTA's bounce would: a mail that failed for good, or that some recipients refused, is
    /// told to its sender (when the tenant wants it), in the outcome's own transaction.
    /// </summary>
    private static async Task NoticeOfFailureAsync(DbConnection connection, DbTransaction transaction, DeliveryOutcome o)
    {
        // A mail sent at the first attempt to everyone is the common case: it costs no query here.
        if (o.To is not (MessageStatus.Failed or MessageStatus.Sent)
            || (o.To == MessageStatus.Sent && o.Attempt <= 1 && o.RecipientResults.All(r => r.Status != RecipientStatus.Rejected)))
        {
            return;
        }

        // Refusals of earlier attempts count too: a retry sends only to the recipients that were deferred.
        var sender = await connection.QuerySingleOrDefaultAsync<FailureNoticeTarget>(FailureNoticeTargetSql, new { id = o.Id }, transaction);
        var outcome = o.To == MessageStatus.Failed ? "failed" : sender is { Refused: > 0 } ? "refused" : null;
        if (outcome is null || sender is not { FailureNotices: true } || sender.EnvelopeFrom.Length == 0)
        {
            return;
        }

        await Notifications.NotificationStore.InsertAsync(connection, transaction,
            [new Notifications.NewNotification(sender.TenantId, o.Id, null, Notifications.NotificationKind.SenderOutcome, sender.EnvelopeFrom,
                System.Text.Json.JsonSerializer.Serialize(new { outcome }))], o.Now);
    }

    private const string FailureNoticeTargetSql = """
        SELECT m.tenant_id AS TenantId, m.envelope_from AS EnvelopeFrom, t.failure_notices AS FailureNotices,
               (SELECT COUNT(*) FROM message_recipients r WHERE r.message_id = m.id AND r.status = 'rejected') AS Refused
          FROM messages m JOIN tenants t ON t.id = m.tenant_id WHERE m.id = @id
        """;

    private sealed record FailureNoticeTarget
    {
        public string TenantId { get; init; } = "";
        public string EnvelopeFrom { get; init; } = "";
        public bool FailureNotices { get; init; }
        public long Refused { get; init; }
    }

    private static string? Truncate(string? value, int max) =>
        value is null || value.Length <= max ? value : value[..max];
}
