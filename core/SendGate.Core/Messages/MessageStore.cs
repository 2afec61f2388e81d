using System.Data.Common;
using System.Text;
using Dapper;
using SendGate.Core.Data;

namespace SendGate.Core.Messages;

/// <summary>One new event, written in the same transaction as the change it describes.</summary>
public sealed record NewEvent(string Type, string? FromStatus, string? ToStatus, string Actor, string? Reason, string? Data = null);

/// <summary>
/// SQL for messages, their content, recipients and events. It never changes a status itself: every
/// move is <see cref="Lifecycle.MessageLifecycle"/>'s.
/// </summary>
public sealed class MessageStore(IDbConnectionFactory db, Archive.IBlobStore blobs, Lifecycle.MessageLifecycle lifecycle)
{
    private const string Columns = """
        id AS Id, tenant_id AS TenantId, status AS Status, source AS Source, envelope_from AS EnvelopeFrom,
        header_from AS HeaderFrom, subject AS Subject, message_id_header AS MessageIdHeader, size_bytes AS SizeBytes,
        attachment_count AS AttachmentCount, metadata AS Metadata, decisions AS Decisions, created_at AS CreatedAt,
        updated_at AS UpdatedAt, release_at AS ReleaseAt, due_at AS DueAt, attempts AS Attempts,
        lease_owner AS LeaseOwner, lease_until AS LeaseUntil, last_error AS LastError, sent_at AS SentAt,
        policy_version AS PolicyVersion, hold_mode AS HoldMode, legal_hold AS LegalHold, content_purged_at AS ContentPurgedAt
        """;

    private const string InsertMessageSql = """
        INSERT INTO messages (id, tenant_id, status, source, envelope_from, header_from, subject, message_id_header,
                              size_bytes, attachment_count, metadata, decisions, created_at, updated_at, release_at,
                              due_at, attempts, event_seq, policy_version, hold_mode)
        VALUES (@Id, @TenantId, @Status, @Source, @EnvelopeFrom, @HeaderFrom, @Subject, @MessageIdHeader,
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

    private const string PendingRecipientsSql = """
        SELECT address FROM message_recipients WHERE message_id = @id AND status = 'pending' ORDER BY address
        """;

    private const string UpdateRecipientSql = """
        UPDATE message_recipients SET status = @status, smtp_reply = @reply, updated_at = @now
         WHERE message_id = @id AND address = @address AND status = 'pending'
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

    // The messages a side-table filter names, found through that table's index on the value.
    private const string RecipientMatchesSql = "SELECT message_id FROM message_recipients WHERE LOWER(address) = @to";

    private const string RuleMatchesSql = "SELECT message_id FROM message_rules WHERE tenant_id = @tenantId AND rule_id = @ruleId";

    private const string TagMatchesSql = "SELECT message_id FROM message_tags WHERE tenant_id = @tenantId AND tag = @tag";

    /// <summary>Filters that can find their messages through an index on their own value.</summary>
    [Flags]
    internal enum SearchDrivers
    {
        None = 0,
        To = 1,
        Subject = 2,
        Attachment = 4,
        Rule = 8,
        Tag = 16,
    }

    // Below this many matches a filter finds its messages through its own index and sorts them (about
    // 5 µs a match with 1,000,000 messages); from there on, walking the tenant's messages newest first
    // meets a page of matches sooner. `bench search` measures both sides of the line.
    internal const int SelectiveBelow = 3000;

    public async Task<IReadOnlyList<MessageRow>> ListAsync(string tenantId, MessageFilter filter, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var drivers = SearchDrivers.None;
        foreach (var (driver, probe, probeArgs) in SelectivityProbes(db.Dialect, tenantId, filter))
        {
            if (await connection.ExecuteScalarAsync<long>(new CommandDefinition(probe, probeArgs, cancellationToken: cancellationToken)) < SelectiveBelow)
            {
                drivers |= driver;
            }
        }

        var (sql, args) = ListQuery(db.Dialect, tenantId, filter, drivers);
        return (await connection.QueryAsync<MessageRow>(new CommandDefinition(sql, args, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>
    /// Capped counts of what each side-table or text filter matches, for dialects that choose
    /// drivers: SQLite's planner knows nothing of the values, and would otherwise either walk a whole
    /// tenant for a rare recipient or fetch and sort every message of a common one.
    /// </summary>
    internal static IEnumerable<(SearchDrivers Driver, string Sql, object Args)> SelectivityProbes(SqlDialect dialect, string tenantId, MessageFilter filter)
    {
        if (!dialect.ChoosesSearchDrivers)
        {
            yield break;
        }

        static string Count(string matches) => $"SELECT COUNT(*) FROM ({matches} LIMIT {SelectiveBelow})";
        if (filter.To is not null)
        {
            yield return (SearchDrivers.To, Count(RecipientMatchesSql), new { to = filter.To.ToLowerInvariant() });
        }

        if (TrigramPhrase(filter.SubjectContains) is { } subjectMatch && dialect.SubjectCandidates is { } subjects)
        {
            yield return (SearchDrivers.Subject, Count(subjects), new { subjectMatch });
        }

        if (TrigramPhrase(filter.AttachmentName) is { } attachmentMatch && dialect.AttachmentCandidates is { } attachments)
        {
            yield return (SearchDrivers.Attachment, Count(attachments), new { attachmentMatch });
        }

        if (filter.RuleId is not null)
        {
            yield return (SearchDrivers.Rule, Count(RuleMatchesSql), new { tenantId, ruleId = filter.RuleId });
        }

        if (filter.Tag is not null)
        {
            yield return (SearchDrivers.Tag, Count(TagMatchesSql), new { tenantId, tag = filter.Tag });
        }
    }

    /// <summary>
    /// The list query for <paramref name="filter"/>: only the filters given become SQL. A filter in
    /// <paramref name="drivers"/> finds its messages through its own index (<c>m.id IN (...)</c>);
    /// the others are checked on each message while the tenant's messages are read newest first.
    /// Either way the same messages come back in the same order.
    /// </summary>
    internal static (string Sql, DynamicParameters Args) ListQuery(SqlDialect dialect, string tenantId, MessageFilter filter, SearchDrivers drivers = SearchDrivers.None)
    {
        // With a driver, SQLite must look its matches up rather than walk an index of the message
        // columns; a unary + keeps a column's comparison from being used as an index (SQLite only:
        // only dialects that choose drivers get them).
        var p = drivers == SearchDrivers.None ? "" : "+";
        var sql = new StringBuilder($"SELECT {Columns} FROM messages m WHERE {p}tenant_id = @tenantId");
        var args = new DynamicParameters(new { tenantId, limit = filter.Limit });
        if (filter.Status is not null)
        {
            sql.Append($" AND {p}status = @status");
            args.Add("status", filter.Status);
        }

        if (filter.From is not null)
        {
            // Addresses compare case-insensitively, as mail systems treat them in practice.
            sql.Append($" AND {p}LOWER(envelope_from) = @from");
            args.Add("from", filter.From.ToLowerInvariant());
        }

        if (filter.To is not null)
        {
            // The envelope recipients are the message_recipients rows: To, Cc and Bcc.
            sql.Append(drivers.HasFlag(SearchDrivers.To)
                ? $" AND m.id IN ({RecipientMatchesSql})"
                : " AND EXISTS (SELECT 1 FROM message_recipients r WHERE r.message_id = m.id AND LOWER(r.address) = @to)");
            args.Add("to", filter.To.ToLowerInvariant());
        }

        if (filter.SubjectContains is not null)
        {
            if (drivers.HasFlag(SearchDrivers.Subject))
            {
                sql.Append($" AND m.rowid IN ({dialect.SubjectCandidates})");
                args.Add("subjectMatch", TrigramPhrase(filter.SubjectContains));
            }

            sql.Append(@" AND subject LIKE @subject ESCAPE '\'");
            args.Add("subject", "%" + EscapeLike(filter.SubjectContains) + "%");
        }

        if (filter.HasAttachments is { } has)
        {
            sql.Append(has ? $" AND {p}attachment_count > 0" : $" AND {p}attachment_count = 0");
        }

        if (filter.AttachmentName is not null)
        {
            if (drivers.HasFlag(SearchDrivers.Attachment))
            {
                sql.Append($@" AND m.id IN (SELECT a.message_id FROM message_attachments a WHERE a.rowid IN ({dialect.AttachmentCandidates}) AND a.name LIKE @attachment ESCAPE '\')");
                args.Add("attachmentMatch", TrigramPhrase(filter.AttachmentName));
            }
            else
            {
                sql.Append(@" AND EXISTS (SELECT 1 FROM message_attachments a WHERE a.message_id = m.id AND a.name LIKE @attachment ESCAPE '\')");
            }

            args.Add("attachment", "%" + EscapeLike(filter.AttachmentName) + "%");
        }

        if (filter.RuleId is not null)
        {
            sql.Append(drivers.HasFlag(SearchDrivers.Rule)
                ? $" AND m.id IN ({RuleMatchesSql})"
                : " AND EXISTS (SELECT 1 FROM message_rules r WHERE r.message_id = m.id AND r.tenant_id = @tenantId AND r.rule_id = @ruleId)");
            args.Add("ruleId", filter.RuleId);
        }

        if (filter.Tag is not null)
        {
            sql.Append(drivers.HasFlag(SearchDrivers.Tag)
                ? $" AND m.id IN ({TagMatchesSql})"
                : " AND EXISTS (SELECT 1 FROM message_tags t WHERE t.message_id = m.id AND t.tenant_id = @tenantId AND t.tag = @tag)");
            args.Add("tag", filter.Tag);
        }

        if (filter.CreatedFrom is not null)
        {
            sql.Append($" AND {p}created_at >= @createdFrom");
            args.Add("createdFrom", filter.CreatedFrom);
        }

        if (filter.CreatedTo is not null)
        {
            sql.Append($" AND {p}created_at < @createdTo");
            args.Add("createdTo", filter.CreatedTo);
        }

        if (filter.Before is { } before)
        {
            sql.Append($" AND ({p}created_at < @beforeAt OR ({p}created_at = @beforeAt AND {p}id < @beforeId))");
            args.Add("beforeAt", before.CreatedAt);
            args.Add("beforeId", before.Id);
        }

        sql.Append(" ORDER BY created_at DESC, id DESC ").Append(dialect.LimitClause);
        return (sql.ToString(), args);
    }

    /// <summary>
    /// <paramref name="term"/> as an FTS5 phrase for the trigram indexes, or null when it is shorter
    /// than a trigram (3 characters, counted as code points) and only a scan can find it.
    /// </summary>
    internal static string? TrigramPhrase(string? term) =>
        term is null || term.EnumerateRunes().Count() < 3 ? null : "\"" + term.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

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

    /// <summary>
    /// Records a delivery attempt's outcome: per-recipient results and the message's next status,
    /// in one transaction, only if <paramref name="owner"/> still holds the lease.
    /// </summary>
    public async Task<bool> FinishDeliveryAsync(string id, string owner, string to, string? lastError, long? nextAttemptAt,
        IReadOnlyList<(string Address, string Status, string? Reply)> recipientResults, NewEvent e, long now, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var finished = await FinishDeliveryAsync(connection, transaction,
            new DeliveryOutcome(id, owner, to, lastError, nextAttemptAt, recipientResults, e, now));
        if (finished)
        {
            await transaction.CommitAsync(cancellationToken);
        }

        return finished;
    }

    /// <summary>The same, inside the caller's transaction (used by group commit).</summary>
    public async Task<bool> FinishDeliveryAsync(DbConnection connection, DbTransaction transaction, DeliveryOutcome o)
    {
        var dialect = db.Dialect;
        if (!await lifecycle.FinishDeliveryAsync(connection, transaction, o))
        {
            return false;
        }

        if (o.RecipientResults.Count > 0)
        {
            await connection.ExecuteAsync(UpdateRecipientSql,
                o.RecipientResults.Select(r => new { id = o.Id, address = r.Address, status = r.Status, reply = Truncate(r.Reply, 1000), now = o.Now }), transaction);
            // The tenant's delivery history, which first-time and look-alike recipient checks read.
            var domains = o.RecipientResults.Where(r => r.Status == RecipientStatus.Accepted)
                .Select(r => Policies.MessageFacts.DomainOf(r.Address)).Where(d => d.Length > 0).Distinct(StringComparer.Ordinal)
                .Select(domain => new { id = o.Id, domain, now = o.Now }).ToList();
            if (domains.Count > 0)
            {
                await connection.ExecuteAsync(dialect.InsertDeliveredDomainSql, domains, transaction);
            }
        }

        foreach (var copy in o.Sent ?? [])
        {
            // A small copy is written here, in the outcome's own transaction: no commit of its own.
            await blobs.RecordAsync(connection, transaction, copy.Blob);
            await connection.ExecuteAsync(InsertSentSql, new
            {
                id = o.Id, key = copy.Blob.Key, recipients = System.Text.Json.JsonSerializer.Serialize(copy.Recipients), size = copy.Blob.Size, now = o.Now,
                encrypted = copy.Encrypted,
            }, transaction);
        }

        return true;
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

    private const string InsertSentSql = """
        INSERT INTO message_sent (message_id, part, blob_key, recipients, size, sent_at, encrypted)
        SELECT @id, COALESCE(MAX(part), 0) + 1, @key, @recipients, @size, @now, @encrypted FROM message_sent WHERE message_id = @id
        """;

    private const string SentCopiesSql = """
        SELECT s.part AS Part, s.blob_key AS BlobKey, s.recipients AS Recipients, s.size AS Size, s.sent_at AS SentAt, s.encrypted AS Encrypted
          FROM message_sent s JOIN messages m ON m.id = s.message_id
         WHERE s.message_id = @id AND m.tenant_id = @tenantId ORDER BY s.part
        """;

    /// <summary>The copies of what was sent, one per SMTP transaction that reached someone.</summary>
    public async Task<IReadOnlyList<SentCopyRow>> GetSentCopiesAsync(string tenantId, string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<SentCopyRow>(new CommandDefinition(SentCopiesSql, new { id, tenantId }, cancellationToken: cancellationToken))).AsList();
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

    private static string EscapeLike(string value) =>
        value.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal);

    private static string? Truncate(string? value, int max) =>
        value is null || value.Length <= max ? value : value[..max];
}
