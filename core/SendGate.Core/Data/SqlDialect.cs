namespace SendGate.Core.Data;

/// <summary>
/// The few statements that differ between SQLite and SQL Server. Everything else is written once
/// in the portable subset both understand (see the stores). Modelled on Quartz's ADO delegates.
/// </summary>
public abstract class SqlDialect
{
    public abstract DatabaseProvider Provider { get; }

    /// <summary>Resource prefix of the embedded migration scripts for this dialect.</summary>
    public abstract string ScriptPrefix { get; }

    /// <summary>Appended after ORDER BY to take the first <c>@limit</c> rows.</summary>
    public abstract string LimitClause { get; }

    /// <summary>
    /// Claims up to <c>@batch</c> due rows of <paramref name="queue"/> for <c>@owner</c> until
    /// <c>@leaseUntil</c> in one statement: queued ones that are due, and sending ones whose lease
    /// has expired (a crashed worker's claims), oldest due first. Returns the claimed rows'
    /// <see cref="WorkQueue.Returned"/> columns. Called through <see cref="WorkQueue.ClaimSql"/>,
    /// which keeps each queue's statement.
    /// </summary>
    public abstract string ClaimDueSql(WorkQueue queue);

    private protected static string Assignments(WorkQueue queue) =>
        queue.AlsoSet is null ? WorkQueue.ClaimAssignments : $"{WorkQueue.ClaimAssignments}, {queue.AlsoSet}";

    private protected static string Columns(WorkQueue queue, string prefix) =>
        string.Join(", ", queue.Returned.Select(c => $"{prefix}{c} AS {WorkQueue.Property(c)}"));

    /// <summary>Inserts an idempotency key unless one exists; affects 0 rows when it does.</summary>
    public abstract string InsertIdempotencyKeySql { get; }

    /// <summary>Adds <c>@messages</c> and <c>@bytes</c> to tenant <c>@tenantId</c>'s usage of <c>@day</c>, creating the day's row.</summary>
    public abstract string AddTenantUsageSql { get; }

    /// <summary>
    /// Remembers that message <c>@id</c>'s tenant has delivered to <c>@domain</c>, unless already
    /// known. Runs inside the delivery's transaction, so it must never fail on a duplicate.
    /// </summary>
    public abstract string InsertDeliveredDomainSql { get; }

    /// <summary>
    /// Counts one more delivered mail from message <c>@id</c>'s sender to <c>@address</c> (at
    /// <c>@domain</c>), creating the contact the first time; nothing for a null reverse path.
    /// </summary>
    public abstract string UpsertDeliveredContactSql { get; }

    /// <summary>Remembers that message <c>@id</c>'s sender has mailed <c>@a</c> and <c>@b</c> together (a &lt; b), unless known.</summary>
    public abstract string InsertDeliveredDomainPairSql { get; }

    /// <summary>Remembers that the tenant's delivered mail greeted company <c>@name</c> at <c>@domain</c>, unless known.</summary>
    public abstract string InsertCompanyNameSql { get; }

    /// <summary>
    /// A message's size and original MIME for streaming (<c>@id</c>): columns size, key, content.
    /// With SQLite the row id lets the reader stream the blob instead of loading it whole.
    /// </summary>
    public abstract string ContentStreamSql { get; }

    /// <summary>Size, a row locator and the content of one blob of the database blob store, to be read as a stream.</summary>
    public abstract string BlobStreamSql { get; }

    /// <summary>
    /// Stores a blob unless the same key is there. With SQL Server the existing row stays locked
    /// until the transaction ends, so a sweep cannot delete it under the reference being written.
    /// </summary>
    public virtual string InsertBlobSql => """
        INSERT INTO blobs (blob_key, content, size, created_at)
        SELECT @key, @content, @size, @now WHERE NOT EXISTS (SELECT 1 FROM blobs WHERE blob_key = @key)
        """;

    /// <summary>
    /// Deletes a blob only if it is old and nothing refers to it, both decided in this statement. SQLite
    /// runs one writer at a time, so a reference is either committed before (the row stays) or after
    /// (its transaction inserts the row anew).
    /// </summary>
    public virtual string DeleteUnusedBlobSql =>
        "DELETE FROM blobs WHERE blob_key = @key AND created_at < @before AND " + Archive.BlobReferences.NoneForKey;

    /// <summary>
    /// Whether the message search picks, per query, which filters find their messages through
    /// their own index (see <see cref="Archive.MessageSearch.ListAsync"/>). SQLite's planner has no
    /// statistics on the values, so the store measures them; SQL Server's optimizer has its own.
    /// </summary>
    public virtual bool ChoosesSearchDrivers => false;

    /// <summary>
    /// Rowids of messages whose subject may contain the trigram phrase <c>@subjectMatch</c> (a
    /// superset: the caller keeps its LIKE); null where no text index exists.
    /// </summary>
    public virtual string? SubjectCandidates => null;

    /// <summary>Rowids of attachments whose name may contain <c>@attachmentMatch</c>; as <see cref="SubjectCandidates"/>.</summary>
    public virtual string? AttachmentCandidates => null;
}

public sealed class SqliteDialect : SqlDialect
{
    public static readonly SqliteDialect Instance = new();

    public override DatabaseProvider Provider => DatabaseProvider.Sqlite;

    public override string ScriptPrefix => "sql.sqlite.";

    public override string LimitClause => "LIMIT @limit";

    // SQLite has one writer at a time, so the sub-select and the update cannot interleave with
    // another claimer's; RETURNING gives back exactly the rows this statement took.
    public override string ClaimDueSql(WorkQueue queue) => $"""
        UPDATE {queue.Table}
           SET {Assignments(queue)}
         WHERE id IN (SELECT id FROM {queue.Table}
                       WHERE {queue.DueWhere}
                       ORDER BY {queue.Order}
                       LIMIT @batch)
        RETURNING {Columns(queue, "")}
        """;

    public override string AddTenantUsageSql => """
        INSERT INTO tenant_usage_days (tenant_id, day, messages, bytes) VALUES (@tenantId, @day, @messages, @bytes)
        ON CONFLICT (tenant_id, day) DO UPDATE SET messages = tenant_usage_days.messages + excluded.messages, bytes = tenant_usage_days.bytes + excluded.bytes
        """;

    public override string InsertIdempotencyKeySql => """
        INSERT INTO idempotency_keys (tenant_id, idem_key, request_hash, message_id, response_status, response_body, created_at, expires_at)
        VALUES (@tenantId, @key, @requestHash, @messageId, @responseStatus, @responseBody, @now, @expiresAt)
        ON CONFLICT (tenant_id, idem_key) DO NOTHING
        """;

    public override string InsertDeliveredDomainSql => """
        INSERT INTO delivered_domains (tenant_id, domain, first_delivered_at, first_message_id)
        SELECT tenant_id, @domain, @now, id FROM messages WHERE id = @id
        ON CONFLICT (tenant_id, domain) DO NOTHING
        """;

    public override string UpsertDeliveredContactSql => """
        INSERT INTO delivered_contacts (tenant_id, sender, address, domain, first_at, last_at, mails)
        SELECT tenant_id, LOWER(envelope_from), @address, @domain, @now, @now, 1 FROM messages WHERE id = @id AND envelope_from <> ''
        ON CONFLICT (tenant_id, sender, address) DO UPDATE SET last_at = excluded.last_at, mails = delivered_contacts.mails + 1
        """;

    public override string InsertDeliveredDomainPairSql => """
        INSERT INTO delivered_domain_pairs (tenant_id, sender, domain_a, domain_b, first_at)
        SELECT tenant_id, LOWER(envelope_from), @a, @b, @now FROM messages WHERE id = @id AND envelope_from <> ''
        ON CONFLICT (tenant_id, sender, domain_a, domain_b) DO NOTHING
        """;

    public override string InsertCompanyNameSql => """
        INSERT INTO delivered_company_names (tenant_id, name, domain, first_at) VALUES (@tenantId, @name, @domain, @now)
        ON CONFLICT (tenant_id, name, domain) DO NOTHING
        """;

    public override string ContentStreamSql => "SELECT length(original), rowid, original FROM message_content WHERE message_id = @id";

    // The rowid lets Microsoft.Data.Sqlite read the blob incrementally instead of whole.
    public override string BlobStreamSql => "SELECT size, rowid, content FROM blobs WHERE blob_key = @key";

    public override bool ChoosesSearchDrivers => true;

    // FTS5 trigram tables of 0011_search_indexes.sql.
    public override string SubjectCandidates => "SELECT rowid FROM message_subject_search WHERE message_subject_search MATCH @subjectMatch";

    public override string AttachmentCandidates => "SELECT rowid FROM message_attachment_search WHERE message_attachment_search MATCH @attachmentMatch";
}

public sealed class SqlServerDialect : SqlDialect
{
    public static readonly SqlServerDialect Instance = new();

    public override DatabaseProvider Provider => DatabaseProvider.SqlServer;

    public override string ScriptPrefix => "sql.sqlserver.";

    public override string LimitClause => "OFFSET 0 ROWS FETCH NEXT @limit ROWS ONLY";

    // READPAST lets several workers claim side by side without waiting on each other's rows;
    // UPDLOCK keeps two of them from reading the same candidate.
    public override string ClaimDueSql(WorkQueue queue) => $"""
        WITH due AS (
            SELECT TOP (@batch) *
              FROM {queue.Table} WITH (UPDLOCK, READPAST, ROWLOCK)
             WHERE {queue.DueWhere}
             ORDER BY {queue.Order})
        UPDATE due
           SET {Assignments(queue)}
        OUTPUT {Columns(queue, "inserted.")};
        """;

    public override string AddTenantUsageSql => """
        MERGE tenant_usage_days WITH (HOLDLOCK) AS u
        USING (SELECT @tenantId AS tenant_id, @day AS day) AS s ON u.tenant_id = s.tenant_id AND u.day = s.day
         WHEN MATCHED THEN UPDATE SET messages = u.messages + @messages, bytes = u.bytes + @bytes
         WHEN NOT MATCHED THEN INSERT (tenant_id, day, messages, bytes) VALUES (@tenantId, @day, @messages, @bytes);
        """;

    public override string InsertIdempotencyKeySql => """
        INSERT INTO idempotency_keys (tenant_id, idem_key, request_hash, message_id, response_status, response_body, created_at, expires_at)
        SELECT @tenantId, @key, @requestHash, @messageId, @responseStatus, @responseBody, @now, @expiresAt
         WHERE NOT EXISTS (SELECT 1 FROM idempotency_keys WITH (UPDLOCK, HOLDLOCK)
                            WHERE tenant_id = @tenantId AND idem_key = @key);
        """;

    public override string InsertDeliveredDomainSql => """
        INSERT INTO delivered_domains (tenant_id, domain, first_delivered_at, first_message_id)
        SELECT m.tenant_id, @domain, @now, m.id FROM messages m
         WHERE m.id = @id
           AND NOT EXISTS (SELECT 1 FROM delivered_domains d WITH (UPDLOCK, HOLDLOCK)
                            WHERE d.tenant_id = m.tenant_id AND d.domain = @domain);
        """;

    public override string UpsertDeliveredContactSql => """
        MERGE delivered_contacts WITH (HOLDLOCK) AS c
        USING (SELECT m.tenant_id, LOWER(m.envelope_from) AS sender FROM messages m WHERE m.id = @id AND m.envelope_from <> '') AS s
           ON c.tenant_id = s.tenant_id AND c.sender = s.sender AND c.address = @address
         WHEN MATCHED THEN UPDATE SET last_at = @now, mails = c.mails + 1
         WHEN NOT MATCHED THEN INSERT (tenant_id, sender, address, domain, first_at, last_at, mails)
              VALUES (s.tenant_id, s.sender, @address, @domain, @now, @now, 1);
        """;

    public override string InsertDeliveredDomainPairSql => """
        INSERT INTO delivered_domain_pairs (tenant_id, sender, domain_a, domain_b, first_at)
        SELECT m.tenant_id, LOWER(m.envelope_from), @a, @b, @now FROM messages m
         WHERE m.id = @id AND m.envelope_from <> ''
           AND NOT EXISTS (SELECT 1 FROM delivered_domain_pairs p WITH (UPDLOCK, HOLDLOCK)
                            WHERE p.tenant_id = m.tenant_id AND p.sender = LOWER(m.envelope_from) AND p.domain_a = @a AND p.domain_b = @b);
        """;

    public override string InsertCompanyNameSql => """
        INSERT INTO delivered_company_names (tenant_id, name, domain, first_at)
        SELECT @tenantId, @name, @domain, @now
         WHERE NOT EXISTS (SELECT 1 FROM delivered_company_names WITH (UPDLOCK, HOLDLOCK)
                            WHERE tenant_id = @tenantId AND name = @name AND domain = @domain);
        """;

    public override string ContentStreamSql => "SELECT DATALENGTH(original), 0, original FROM message_content WHERE message_id = @id";

    public override string BlobStreamSql => "SELECT size, 0, content FROM blobs WHERE blob_key = @key";

    // UPDLOCK, HOLDLOCK: the row (or the key's range, when absent) stays locked until the referencing
    // transaction commits; a sweep's DELETE waits for it, then finds the reference.
    public override string InsertBlobSql => """
        INSERT INTO blobs (blob_key, content, size, created_at)
        SELECT @key, @content, @size, @now
         WHERE NOT EXISTS (SELECT 1 FROM blobs WITH (UPDLOCK, HOLDLOCK) WHERE blob_key = @key);
        """;

    // READCOMMITTEDLOCK: with READ_COMMITTED_SNAPSHOT on, the reference check would otherwise read the
    // snapshot from before the wait for the row lock, and miss the reference committed meanwhile.
    public override string DeleteUnusedBlobSql => """
        DELETE FROM blobs
         WHERE blob_key = @key AND created_at < @before
           AND NOT EXISTS (SELECT 1 FROM message_originals WITH (READCOMMITTEDLOCK) WHERE blob_key = @key)
           AND NOT EXISTS (SELECT 1 FROM message_sent WITH (READCOMMITTEDLOCK) WHERE blob_key = @key);
        """;
}
