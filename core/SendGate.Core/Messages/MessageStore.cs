using System.Data.Common;
using Dapper;
using SendGate.Core.Data;

namespace SendGate.Core.Messages;

/// <summary>One new event, written in the same transaction as the change it describes.</summary>
public sealed record NewEvent(string Type, string? FromStatus, string? ToStatus, string Actor, string? Reason, string? Data = null);

/// <summary>
/// SQL for messages: the insert of a submission, the reads of one message (row, content,
/// recipients, events, the batch a worker claimed), legal holds and hold conversion. It never
/// changes a status itself: every move is <see cref="Lifecycle.MessageLifecycle"/>'s. The search
/// is <see cref="Archive.MessageSearch"/>; what a delivery records, <see cref="Delivery.DeliveryRecorder"/>.
/// </summary>
public sealed class MessageStore(IDbConnectionFactory db, Archive.IBlobStore blobs)
{
    internal const string Columns = """
        id AS Id, tenant_id AS TenantId, status AS Status, source AS Source, door AS Door, envelope_from AS EnvelopeFrom,
        header_from AS HeaderFrom, subject AS Subject, message_id_header AS MessageIdHeader, size_bytes AS SizeBytes,
        attachment_count AS AttachmentCount, metadata AS Metadata, decisions AS Decisions, created_at AS CreatedAt,
        updated_at AS UpdatedAt, release_at AS ReleaseAt, due_at AS DueAt, attempts AS Attempts,
        lease_owner AS LeaseOwner, lease_until AS LeaseUntil, last_error AS LastError, sent_at AS SentAt,
        policy_version AS PolicyVersion, hold_mode AS HoldMode, legal_hold AS LegalHold, content_purged_at AS ContentPurgedAt
        """;

    private const string InsertMessageSql = """
        INSERT INTO messages (id, tenant_id, status, source, door, envelope_from, header_from, subject, message_id_header,
                              size_bytes, attachment_count, metadata, decisions, created_at, updated_at, release_at,
                              due_at, attempts, event_seq, policy_version, hold_mode)
        VALUES (@Id, @TenantId, @Status, @Source, @Door, @EnvelopeFrom, @HeaderFrom, @Subject, @MessageIdHeader,
                @SizeBytes, @AttachmentCount, @Metadata, @Decisions, @CreatedAt, @UpdatedAt, @ReleaseAt,
                @DueAt, 0, @eventSeq, @PolicyVersion, @HoldMode)
        """;

    // A new message's first events are numbered here, without the read-back of event_seq.
    private const string InsertNumberedEventSql = """
        INSERT INTO message_events (message_id, seq, tenant_id, type, from_status, to_status, actor, reason, data, at)
        VALUES (@id, @seq, @tenantId, @Type, @FromStatus, @ToStatus, @Actor, @Reason, @Data, @now)
        """;

    private const string InsertAttachmentSql = "INSERT INTO message_attachments (message_id, tenant_id, position, name) VALUES (@id, @tenantId, @position, @name)";

    private const string InsertRuleSql = "INSERT INTO message_rules (message_id, tenant_id, rule_id) VALUES (@id, @tenantId, @ruleId)";

    private const string InsertTagSql = "INSERT INTO message_tags (message_id, tenant_id, tag) VALUES (@id, @tenantId, @tag)";

    private const string InsertOriginalSql = "INSERT INTO message_originals (message_id, blob_key, size) VALUES (@id, @key, @size)";

    private const string InsertRecipientSql = """
        INSERT INTO message_recipients (message_id, address, kind, status) VALUES (@MessageId, @Address, @Kind, 'pending')
        """;

    // The caller has just incremented messages.event_seq; the event takes that number.
    public const string InsertTakenEventSql = InsertEventSql;

    private const string InsertEventSql = """
        INSERT INTO message_events (message_id, seq, tenant_id, type, from_status, to_status, actor, reason, data, at)
        SELECT id, event_seq, tenant_id, @Type, @FromStatus, @ToStatus, @Actor, @Reason, @Data, @now
          FROM messages WHERE id = @id
        """;

    private const string GetSql = $"SELECT {Columns} FROM messages WHERE id = @id AND tenant_id = @tenantId";

    private const string GetByIdSql = $"SELECT {Columns} FROM messages WHERE id = @id";

    private const string GetManySql = $"SELECT {Columns} FROM messages WHERE tenant_id = @tenantId AND id IN @ids";

    private const string OriginalKeySql = "SELECT blob_key FROM message_originals WHERE message_id = @id";

    private const string InTenantSql = "SELECT COUNT(*) FROM messages WHERE id = @id AND tenant_id = @tenantId";

    private const string GetRecipientsSql = """
        SELECT message_id AS MessageId, address AS Address, kind AS Kind, status AS Status, smtp_reply AS SmtpReply, updated_at AS UpdatedAt
          FROM message_recipients WHERE message_id = @id ORDER BY CASE kind WHEN 'to' THEN 0 WHEN 'cc' THEN 1 ELSE 2 END, address
        """;

    private const string GetEventsSql = """
        SELECT e.message_id AS MessageId, e.seq AS Seq, e.type AS Type, e.from_status AS FromStatus, e.to_status AS ToStatus,
               e.actor AS Actor, e.reason AS Reason, e.data AS Data, e.at AS At
          FROM message_events e
         WHERE e.message_id = @id AND e.tenant_id = @tenantId
         ORDER BY e.seq
        """;

    private const string ConvertHoldSql = """
        UPDATE messages
           SET hold_mode = 'autoRelease', release_at = @releaseAt, updated_at = @now, event_seq = event_seq + 1
         WHERE id = @id AND tenant_id = @tenantId AND status = 'held' AND hold_mode = @fromMode
        """;

    public async Task InsertAsync(DbConnection connection, DbTransaction transaction, MessageRow row, Archive.StagedBlob original,
        IEnumerable<RecipientRow> recipients, IReadOnlyList<NewEvent> events, IReadOnlyList<string> tags, long now,
        IReadOnlyList<string>? attachmentNames = null, IReadOnlyList<string>? ruleIds = null)
    {
        var args = new DynamicParameters(row);
        args.Add("eventSeq", events.Count);
        await connection.ExecuteAsync(InsertMessageSql, args, transaction);
        await blobs.RecordAsync(connection, transaction, original);
        await connection.ExecuteAsync(InsertOriginalSql, new { id = row.Id, key = original.Key, size = original.Size }, transaction);
        await connection.ExecuteAsync(InsertRecipientSql, recipients, transaction);
        await connection.ExecuteAsync(InsertNumberedEventSql, events.Select((e, i) => new
        {
            id = row.Id, seq = i + 1, tenantId = row.TenantId, e.Type, e.FromStatus, e.ToStatus, e.Actor, e.Reason, e.Data, now,
        }), transaction);
        if (tags.Count > 0)
        {
            await connection.ExecuteAsync(InsertTagSql, tags.Select(tag => new { id = row.Id, tenantId = row.TenantId, tag }), transaction);
        }

        if (attachmentNames is { Count: > 0 })
        {
            await connection.ExecuteAsync(InsertAttachmentSql, attachmentNames.Select((name, position) => new { id = row.Id, tenantId = row.TenantId, position, name }), transaction);
        }

        if (ruleIds is { Count: > 0 })
        {
            await connection.ExecuteAsync(InsertRuleSql, ruleIds.Distinct(StringComparer.Ordinal).Select(ruleId => new { id = row.Id, tenantId = row.TenantId, ruleId }), transaction);
        }
    }

    public async Task<MessageRow?> GetAsync(string tenantId, string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<MessageRow>(new CommandDefinition(GetSql, new { id, tenantId }, cancellationToken: cancellationToken));
    }

    public async Task<MessageRow?> GetByIdAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<MessageRow>(new CommandDefinition(GetByIdSql, new { id }, cancellationToken: cancellationToken));
    }

    /// <summary>This tenant's messages of <paramref name="ids"/> (at most a page's worth), in one query; missing ones are left out.</summary>
    public async Task<IReadOnlyDictionary<string, MessageRow>> GetManyAsync(string tenantId, IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default)
    {
        if (ids.Count == 0)
        {
            return new Dictionary<string, MessageRow>();
        }

        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<MessageRow>(new CommandDefinition(GetManySql, new { tenantId, ids }, cancellationToken: cancellationToken));
        return rows.ToDictionary(r => r.Id, StringComparer.Ordinal);
    }

    /// <summary>The original MIME of this tenant's message, read whole; null when missing or purged.</summary>
    public async Task<byte[]?> GetOriginalAsync(string tenantId, string id, CancellationToken cancellationToken = default)
    {
        await using var stream = await OpenOriginalAsync(tenantId, id, cancellationToken);
        if (stream is null)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    /// <summary>The original MIME of this tenant's message as a stream the caller disposes; null when missing or purged.</summary>
    public async Task<Stream?> OpenOriginalAsync(string tenantId, string id, CancellationToken cancellationToken = default)
    {
        await using (var connection = await db.OpenAsync(cancellationToken))
        {
            if (await connection.ExecuteScalarAsync<long>(new CommandDefinition(InTenantSql, new { id, tenantId }, cancellationToken: cancellationToken)) == 0)
            {
                return null;
            }
        }

        return await OpenContentAsync(id, cancellationToken);
    }

    public async Task<IReadOnlyList<RecipientRow>> GetRecipientsAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<RecipientRow>(new CommandDefinition(GetRecipientsSql, new { id }, cancellationToken: cancellationToken))).AsList();
    }

    public async Task<IReadOnlyList<EventRow>> GetEventsAsync(string tenantId, string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<EventRow>(new CommandDefinition(GetEventsSql, new { id, tenantId }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>
    /// Turns a review or self-audit hold into an auto-release hold ending at <paramref name="releaseAt"/>,
    /// with its event; false when the message is no longer held that way.
    /// </summary>
    public async Task<bool> ConvertHoldAsync(string tenantId, string id, string fromMode, long releaseAt, NewEvent e, long now, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await connection.ExecuteAsync(ConvertHoldSql, new { id, tenantId, fromMode, releaseAt, now }, transaction) == 0)
        {
            return false;
        }

        await connection.ExecuteAsync(InsertEventSql, EventArgs(id, e, now), transaction);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    private const string ClaimedRowsSql = $"SELECT {Columns} FROM messages WHERE status = 'sending' AND lease_owner = @owner";

    private const string ClaimedPendingSql = """
        SELECT r.message_id AS MessageId, r.address AS Address
          FROM message_recipients r JOIN messages m ON m.id = r.message_id
         WHERE m.status = 'sending' AND m.lease_owner = @owner AND r.status = 'pending'
         ORDER BY r.message_id, r.address
        """;

    /// <summary>
    /// Rows and pending recipients of everything <paramref name="owner"/> holds, in two queries
    /// for the whole claimed batch; content is read per message (it can be large).
    /// </summary>
    public async Task<IReadOnlyDictionary<string, (MessageRow Row, IReadOnlyList<string> Pending)>> GetClaimedAsync(string owner, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<MessageRow>(new CommandDefinition(ClaimedRowsSql, new { owner }, cancellationToken: cancellationToken));
        var pending = (await connection.QueryAsync<(string MessageId, string Address)>(new CommandDefinition(ClaimedPendingSql, new { owner }, cancellationToken: cancellationToken)))
            .ToLookup(p => p.MessageId, p => p.Address);
        return rows.ToDictionary(r => r.Id, r => (r, (IReadOnlyList<string>)pending[r.Id].ToList()));
    }

    /// <summary>
    /// The original MIME for delivery, as a seekable stream the caller disposes: the blob store's
    /// file, or spooled from the database to a temporary file when large, never held whole (a
    /// 25 MB attachment costs no 25 MB of memory). Null when the content is missing.
    /// </summary>
    public async Task<Stream?> OpenContentAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        if (await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(OriginalKeySql, new { id }, cancellationToken: cancellationToken)) is { } key)
        {
            return await blobs.OpenAsync(key, cancellationToken);
        }

        // Messages accepted before originals moved to the blob store keep them in message_content.
        return await ContentSpool.OpenAsync(connection, db.Dialect.ContentStreamSql, "id", id, cancellationToken);
    }

    private const string LegalHoldSql = """
        UPDATE messages SET legal_hold = @hold, updated_at = @now, event_seq = event_seq + 1
         WHERE id = @id AND tenant_id = @tenantId AND legal_hold <> @hold
        """;

    /// <summary>Sets or lifts the legal hold, with its event; false when it already was so (or no such message).</summary>
    public async Task<bool> SetLegalHoldAsync(string tenantId, string id, bool hold, string actor, string? reason, long now, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await connection.ExecuteAsync(LegalHoldSql, new { id, tenantId, hold, now }, transaction) == 0)
        {
            return false;
        }

        await connection.ExecuteAsync(InsertEventSql, EventArgs(id, new NewEvent(MessageEventType.LegalHold, null, null, actor,
            (hold ? "legal hold set" : "legal hold lifted") + (reason is null ? "" : $": {reason}")), now), transaction);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    private const string BumpEventSeqSql = "UPDATE messages SET event_seq = event_seq + 1 WHERE id = @id";

    /// <summary>Appends an event that is not itself a status change, inside the caller's transaction.</summary>
    public static async Task AppendEventAsync(DbConnection connection, DbTransaction transaction, string id, NewEvent e, long now)
    {
        await connection.ExecuteAsync(BumpEventSeqSql, new { id }, transaction);
        await connection.ExecuteAsync(InsertEventSql, EventArgs(id, e, now), transaction);
    }

    internal static object EventArgs(string id, NewEvent e, long now) =>
        new { id, e.Type, e.FromStatus, e.ToStatus, e.Actor, Reason = Policies.Detectors.SensitiveNumbers.MaskOrNull(e.Reason), Data = MaskData(e.Data), now };

    /// <summary>
    /// Events (and the webhooks made from them) show numbers as the policy evidence does. Only the
    /// string values of the JSON are masked, and not ids, so that numbers and identifiers stay intact.
    /// </summary>
    public static string? MaskData(string? data)
    {
        if (data is null || System.Text.Json.Nodes.JsonNode.Parse(data) is not { } root)
        {
            return data;
        }

        var changed = false;
        void Walk(System.Text.Json.Nodes.JsonNode? node, string? name)
        {
            switch (node)
            {
                case System.Text.Json.Nodes.JsonObject o:
                    foreach (var (key, value) in o.ToList())
                    {
                        if (value is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var text) && !key.EndsWith("Id", StringComparison.Ordinal) && key != "id")
                        {
                            var masked = Policies.Detectors.SensitiveNumbers.Mask(text);
                            if (!ReferenceEquals(masked, text) && masked != text)
                            {
                                o[key] = masked;
                                changed = true;
                            }
                        }
                        else
                        {
                            Walk(value, key);
                        }
                    }

                    break;
                case System.Text.Json.Nodes.JsonArray a:
                    for (var i = 0; i < a.Count; i++)
                    {
                        if (a[i] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var text) && Policies.Detectors.SensitiveNumbers.Mask(text) is var masked && masked != text)
                        {
                            a[i] = masked;
                            changed = true;
                        }
                        else
                        {
                            Walk(a[i], name);
                        }
                    }

                    break;
            }
        }

        Walk(root, null);
        return changed ? root.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.Create(System.Text.Unicode.UnicodeRanges.All) }) : data;
    }
}
