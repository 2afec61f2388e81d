using Dapper;
using SendGate.Core.Data;
using SendGate.Core.Messages;

namespace SendGate.Core.Webhooks;

public sealed record WebhookEndpointRow
{
    public string Id { get; init; } = "";
    public string TenantId { get; init; } = "";
    public string Url { get; init; } = "";
    public string? Description { get; init; }
    public string EventTypes { get; init; } = "[]";
    public bool Enabled { get; init; }
    public string? DisabledReason { get; init; }
    public int ConsecutiveFailures { get; init; }
    public long CreatedAt { get; init; }
    public long UpdatedAt { get; init; }

    /// <summary>When it was last switched back on; null while on since its creation.</summary>
    public long? EnabledAt { get; init; }

    /// <summary>Events from this time on are delivered to it: nothing from before it existed or while it was off.</summary>
    public long DeliversFrom => EnabledAt ?? CreatedAt;

    public IReadOnlyList<string> EventTypeList => System.Text.Json.JsonSerializer.Deserialize<List<string>>(EventTypes) ?? [];

    public bool Wants(string type) => EventTypeList is var types && (types.Count == 0 || types.Contains(type, StringComparer.Ordinal));
}

public sealed record WebhookSecretRow
{
    public string Id { get; init; } = "";
    public string EndpointId { get; init; } = "";
    public byte[] Ciphertext { get; init; } = [];
    public string KeyId { get; init; } = "";
    public string Prefix { get; init; } = "";
    public long CreatedAt { get; init; }
    public long? ExpiresAt { get; init; }
}

public sealed record WebhookDeliveryRow
{
    public string Id { get; init; } = "";
    public string EndpointId { get; init; } = "";
    public string TenantId { get; init; } = "";
    public string MessageId { get; init; } = "";
    public int EventSeq { get; init; }
    public string EventType { get; init; } = "";
    public string Payload { get; init; } = "";
    public string Status { get; init; } = "";
    public int Attempts { get; init; }
    public long DueAt { get; init; }
    public int? LastStatusCode { get; init; }
    public string? LastError { get; init; }
    public long CreatedAt { get; init; }
    public long? SentAt { get; init; }
}

/// <summary>
/// A delivery's status as stored (the words of every <see cref="WorkQueue"/>) and as the published
/// API has always said it: <c>pending</c> while queued or sending, <c>succeeded</c> once sent.
/// </summary>
public static class WebhookDeliveryStatus
{
    public static string Published(string status) => status switch
    {
        WorkQueue.Queued => "pending",
        WorkQueue.Sent => "succeeded",
        _ => status,
    };
}

public sealed record WebhookAttemptRow
{
    public string DeliveryId { get; init; } = "";
    public int Attempt { get; init; }
    public long At { get; init; }
    public int? StatusCode { get; init; }
    public long DurationMs { get; init; }
    public string? Error { get; init; }
}

/// <summary>SQL for webhook endpoints, secrets, deliveries and the fan-out cursor.</summary>
public sealed class WebhookStore(IDbConnectionFactory db, TimeProvider time)
{
    private const string EndpointColumns = """
        id AS Id, tenant_id AS TenantId, url AS Url, description AS Description, event_types AS EventTypes, enabled AS Enabled,
        disabled_reason AS DisabledReason, consecutive_failures AS ConsecutiveFailures, created_at AS CreatedAt, updated_at AS UpdatedAt,
        enabled_at AS EnabledAt
        """;

    private const string DeliveryColumns = """
        id AS Id, endpoint_id AS EndpointId, tenant_id AS TenantId, message_id AS MessageId, event_seq AS EventSeq, event_type AS EventType,
        payload AS Payload, status AS Status, attempts AS Attempts, due_at AS DueAt, last_status_code AS LastStatusCode,
        last_error AS LastError, created_at AS CreatedAt, sent_at AS SentAt
        """;

    private const string InsertEndpointSql = """
        INSERT INTO webhook_endpoints (id, tenant_id, url, description, event_types, enabled, consecutive_failures, created_at, updated_at)
        VALUES (@Id, @TenantId, @Url, @Description, @EventTypes, @Enabled, 0, @CreatedAt, @UpdatedAt)
        """;

    private const string InsertSecretSql = """
        INSERT INTO webhook_secrets (id, endpoint_id, ciphertext, key_id, prefix, created_at, expires_at)
        VALUES (@Id, @EndpointId, @Ciphertext, @KeyId, @Prefix, @CreatedAt, @ExpiresAt)
        """;

    private const string ExpireSecretsSql = """
        UPDATE webhook_secrets SET expires_at = @expiresAt WHERE endpoint_id = @endpointId AND (expires_at IS NULL OR expires_at > @expiresAt)
        """;

    private const string EndpointsSql = $"SELECT {EndpointColumns} FROM webhook_endpoints WHERE tenant_id = @tenantId ORDER BY created_at, id";

    private const string EndpointSql = $"SELECT {EndpointColumns} FROM webhook_endpoints WHERE tenant_id = @tenantId AND id = @id";

    private const string EnabledTenantsSql = "SELECT DISTINCT tenant_id FROM webhook_endpoints WHERE enabled = 1";

    private const string UpdateEndpointSql = """
        UPDATE webhook_endpoints
           SET url = @Url, description = @Description, event_types = @EventTypes, enabled = @Enabled, disabled_reason = @DisabledReason,
               consecutive_failures = @ConsecutiveFailures, updated_at = @UpdatedAt, enabled_at = @EnabledAt
         WHERE tenant_id = @TenantId AND id = @Id
        """;

    private const string DeleteSecretsSql = "DELETE FROM webhook_secrets WHERE endpoint_id = @id";
    private const string DeleteAttemptsSql = "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE endpoint_id = @id)";
    private const string DeleteDeliveriesSql = "DELETE FROM webhook_deliveries WHERE endpoint_id = @id";
    private const string DeleteEndpointSql = "DELETE FROM webhook_endpoints WHERE tenant_id = @tenantId AND id = @id";

    private const string SecretsSql = """
        SELECT id AS Id, endpoint_id AS EndpointId, ciphertext AS Ciphertext, key_id AS KeyId, prefix AS Prefix, created_at AS CreatedAt, expires_at AS ExpiresAt
          FROM webhook_secrets WHERE endpoint_id = @endpointId AND (expires_at IS NULL OR expires_at > @now) ORDER BY created_at DESC
        """;

    private const string CursorSql = "SELECT watermark FROM webhook_cursors WHERE tenant_id = @tenantId";

    private const string EventsSinceSql = """
        SELECT message_id AS MessageId, seq AS Seq, type AS Type, from_status AS FromStatus, to_status AS ToStatus, actor AS Actor,
               reason AS Reason, data AS Data, at AS At
          FROM message_events WHERE tenant_id = @tenantId AND at >= @since
         ORDER BY at, message_id, seq
        """;

    private const string InsertDeliverySql = """
        INSERT INTO webhook_deliveries (id, endpoint_id, tenant_id, message_id, event_seq, event_type, payload, status, attempts, due_at, created_at, updated_at)
        SELECT @Id, @EndpointId, @TenantId, @MessageId, @EventSeq, @EventType, @Payload, 'queued', 0, @now, @now, @now
         WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries WHERE endpoint_id = @EndpointId AND message_id = @MessageId AND event_seq = @EventSeq)
        """;

    private const string MoveCursorSql = "UPDATE webhook_cursors SET watermark = @watermark WHERE tenant_id = @tenantId";
    private const string InsertCursorSql = "INSERT INTO webhook_cursors (tenant_id, watermark) VALUES (@tenantId, @watermark)";

    /// <summary>
    /// Deliveries as a work queue, claimed one endpoint at a time (<c>@endpointId</c>), oldest first,
    /// so a receiver sees a message's events in order. A disabled endpoint's deliveries wait,
    /// attempts unspent, until it is switched back on.
    /// </summary>
    internal static readonly WorkQueue Queue = new("webhook_deliveries",
        ["id", "endpoint_id", "tenant_id", "message_id", "event_seq", "event_type", "payload", "status", "attempts", "due_at", "last_status_code",
         "last_error", "created_at", "sent_at"],
        Candidates: "endpoint_id = @endpointId AND endpoint_id IN (SELECT e.id FROM webhook_endpoints e WHERE e.enabled = 1)",
        Order: "due_at, created_at, message_id, event_seq",
        Paused: new QueuePause("LEFT JOIN webhook_endpoints p ON p.id = webhook_deliveries.endpoint_id", "COALESCE(p.enabled, 0) = 0"));

    private const string DueEndpointsSql = """
        SELECT DISTINCT d.endpoint_id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
         WHERE e.enabled = 1 AND ((d.status = 'queued' AND d.due_at <= @now) OR (d.status = 'sending' AND d.lease_until <= @now))
        """;

    private const string DeliverySql = $"SELECT {DeliveryColumns} FROM webhook_deliveries WHERE id = @id";

    private const string DeliveriesSql = $"SELECT {DeliveryColumns} FROM webhook_deliveries WHERE endpoint_id = @endpointId ORDER BY created_at DESC, id DESC";

    private const string AttemptsSql = """
        SELECT delivery_id AS DeliveryId, attempt AS Attempt, at AS At, status_code AS StatusCode, duration_ms AS DurationMs, error AS Error
          FROM webhook_attempts WHERE delivery_id = @deliveryId ORDER BY attempt
        """;

    private const string FinishSql = """
        UPDATE webhook_deliveries
           SET status = @to, lease_owner = NULL, lease_until = NULL, due_at = @dueAt, last_status_code = @statusCode,
               last_error = @error, updated_at = @now, sent_at = CASE WHEN @to = 'sent' THEN @now ELSE sent_at END
         WHERE id = @id AND status = 'sending' AND lease_owner = @owner
        """;

    private const string InsertAttemptSql = """
        INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, duration_ms, error) VALUES (@id, @attempt, @now, @statusCode, @durationMs, @error)
        """;

    private const string SucceededSql = "UPDATE webhook_endpoints SET consecutive_failures = 0 WHERE id = @endpointId";

    private const string FailedSql = """
        UPDATE webhook_endpoints
           SET consecutive_failures = consecutive_failures + 1,
               enabled = CASE WHEN consecutive_failures + 1 >= @disableAfter THEN 0 ELSE enabled END,
               disabled_reason = CASE WHEN consecutive_failures + 1 >= @disableAfter THEN @reason ELSE disabled_reason END,
               updated_at = @now
         WHERE id = @endpointId
        """;

    private const string RetrySql = """
        UPDATE webhook_deliveries SET status = 'queued', due_at = @now, updated_at = @now
         WHERE id = @id AND endpoint_id = @endpointId AND status = 'failed'
        """;

    public async Task CreateEndpointAsync(WebhookEndpointRow endpoint, WebhookSecretRow secret, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(InsertEndpointSql, endpoint, transaction);
        await connection.ExecuteAsync(InsertSecretSql, secret, transaction);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task AddSecretAsync(string endpointId, WebhookSecretRow secret, long oldSecretsExpireAt, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(ExpireSecretsSql, new { endpointId, expiresAt = oldSecretsExpireAt }, transaction);
        await connection.ExecuteAsync(InsertSecretSql, secret, transaction);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<WebhookEndpointRow>> EndpointsAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<WebhookEndpointRow>(new CommandDefinition(EndpointsSql, new { tenantId }, cancellationToken: cancellationToken))).AsList();
    }

    public async Task<WebhookEndpointRow?> EndpointAsync(string tenantId, string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<WebhookEndpointRow>(new CommandDefinition(EndpointSql, new { tenantId, id }, cancellationToken: cancellationToken));
    }

    public async Task UpdateEndpointAsync(WebhookEndpointRow endpoint, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(UpdateEndpointSql, endpoint, cancellationToken: cancellationToken));
    }

    public async Task<bool> DeleteEndpointAsync(string tenantId, string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await connection.QuerySingleOrDefaultAsync<string>(EndpointSql.Replace(EndpointColumns, "id", StringComparison.Ordinal), new { tenantId, id }, transaction) is null)
        {
            return false;
        }

        await connection.ExecuteAsync(DeleteSecretsSql, new { id }, transaction);
        await connection.ExecuteAsync(DeleteAttemptsSql, new { id }, transaction);
        await connection.ExecuteAsync(DeleteDeliveriesSql, new { id }, transaction);
        await connection.ExecuteAsync(DeleteEndpointSql, new { tenantId, id }, transaction);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    private const string AllEndpointsSql = "SELECT id FROM webhook_endpoints";

    private const string DeleteAttemptsOfSql = "DELETE FROM webhook_attempts WHERE delivery_id IN @ids";

    private const string DeleteDeliveriesOfSql = "DELETE FROM webhook_deliveries WHERE id IN @ids";

    // Per endpoint, through ix_webhook_deliveries_endpoint (endpoint_id, created_at); unfinished ones stay whatever their age.
    private string FinishedBeforeSql => $"""
        SELECT id FROM webhook_deliveries
         WHERE endpoint_id = @endpointId AND created_at < @before AND status IN ('sent', 'failed')
         ORDER BY created_at {db.Dialect.LimitClause}
        """;

    /// <summary>
    /// Deletes finished deliveries created before <paramref name="before"/>, with their attempts,
    /// a few hundred per transaction so that the write lock is never held long; returns how many.
    /// </summary>
    public async Task<int> PurgeFinishedAsync(long before, CancellationToken cancellationToken = default)
    {
        const int batch = 500;
        await using var connection = await db.OpenAsync(cancellationToken);
        var purged = 0;
        foreach (var endpointId in (await connection.QueryAsync<string>(new CommandDefinition(AllEndpointsSql, cancellationToken: cancellationToken))).AsList())
        {
            List<string> ids;
            do
            {
                ids = (await connection.QueryAsync<string>(new CommandDefinition(FinishedBeforeSql, new { endpointId, before, limit = batch }, cancellationToken: cancellationToken))).AsList();
                if (ids.Count == 0)
                {
                    break;
                }

                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await connection.ExecuteAsync(DeleteAttemptsOfSql, new { ids }, transaction);
                purged += await connection.ExecuteAsync(DeleteDeliveriesOfSql, new { ids }, transaction);
                await transaction.CommitAsync(cancellationToken);
            }
            while (ids.Count == batch);
        }

        return purged;
    }

    public async Task<IReadOnlyList<WebhookSecretRow>> ActiveSecretsAsync(string endpointId, long now, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<WebhookSecretRow>(new CommandDefinition(SecretsSql, new { endpointId, now }, cancellationToken: cancellationToken))).AsList();
    }

    public async Task<IReadOnlyList<string>> TenantsWithEndpointsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<string>(new CommandDefinition(EnabledTenantsSql, cancellationToken: cancellationToken))).AsList();
    }

    public async Task<long?> CursorAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(CursorSql, new { tenantId }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<EventRow>> EventsSinceAsync(string tenantId, long since, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<EventRow>(new CommandDefinition(EventsSinceSql, new { tenantId, since }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>Creates the deliveries that do not exist yet and moves the cursor, in one transaction.</summary>
    public async Task<int> FanOutAsync(string tenantId, IReadOnlyList<WebhookDeliveryRow> deliveries, long watermark, bool cursorExists, long now)
    {
        await using var connection = await db.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var created = 0;
        foreach (var d in deliveries)
        {
            created += await connection.ExecuteAsync(InsertDeliverySql, new { d.Id, d.EndpointId, d.TenantId, d.MessageId, d.EventSeq, d.EventType, d.Payload, now }, transaction);
        }

        await connection.ExecuteAsync(cursorExists ? MoveCursorSql : InsertCursorSql, new { tenantId, watermark }, transaction);
        await transaction.CommitAsync();
        return created;
    }

    /// <summary>Endpoints that are on and have deliveries due.</summary>
    public async Task<IReadOnlyList<string>> DueEndpointsAsync(long now, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<string>(new CommandDefinition(DueEndpointsSql, new { now }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>Claims up to <paramref name="batch"/> due deliveries of one endpoint (see <see cref="WorkQueue"/>).</summary>
    public Task<ClaimedBatch<WebhookDeliveryRow>> ClaimDueAsync(string endpointId, string owner, TimeSpan leaseLength, TimeSpan longestAttempt, int batch,
        CancellationToken cancellationToken = default) =>
        Queue.ClaimBatchAsync<WebhookDeliveryRow>(db, time, owner, leaseLength, longestAttempt, batch, d => d.Id, new { endpointId }, cancellationToken);

    public async Task<WebhookDeliveryRow?> DeliveryAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<WebhookDeliveryRow>(new CommandDefinition(DeliverySql, new { id }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<WebhookDeliveryRow>> DeliveriesAsync(string endpointId, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<WebhookDeliveryRow>(new CommandDefinition(DeliveriesSql, new { endpointId }, cancellationToken: cancellationToken))).AsList();
    }

    public async Task<IReadOnlyList<WebhookAttemptRow>> AttemptsAsync(string deliveryId, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<WebhookAttemptRow>(new CommandDefinition(AttemptsSql, new { deliveryId }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>Records an attempt and the delivery's next state; a final failure counts against the endpoint.</summary>
    public async Task<bool> FinishAsync(WebhookDeliveryRow delivery, string owner, string to, long dueAt, int? statusCode, string? error, long durationMs,
        int disableAfter, long now)
    {
        await using var connection = await db.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        if (await connection.ExecuteAsync(FinishSql, new { id = delivery.Id, owner, to, dueAt, statusCode, error, now }, transaction) == 0)
        {
            return false;
        }

        await connection.ExecuteAsync(InsertAttemptSql, new { id = delivery.Id, attempt = delivery.Attempts, now, statusCode, durationMs, error }, transaction);
        if (to == WorkQueue.Sent)
        {
            await connection.ExecuteAsync(SucceededSql, new { endpointId = delivery.EndpointId }, transaction);
        }
        else if (to == WorkQueue.Failed)
        {
            await connection.ExecuteAsync(FailedSql, new
            {
                endpointId = delivery.EndpointId, disableAfter, now,
                reason = $"disabled after {disableAfter} deliveries in a row failed (last: {error})",
            }, transaction);
        }

        await transaction.CommitAsync();
        return true;
    }

    public async Task<bool> RetryAsync(string endpointId, string id, long now, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(RetrySql, new { endpointId, id, now }, cancellationToken: cancellationToken)) == 1;
    }
}
