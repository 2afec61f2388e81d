using System.Collections.Concurrent;
using Dapper;
using Microsoft.Extensions.Options;
using SendGate.Core.Data;

namespace SendGate.Core.Tenants;

/// <summary>A tenant's limits as they apply: its own where the operator set them, else the host's; null is no limit.</summary>
public sealed record TenantQuotas(long? MessagesPerDay, long? StoredBytes, long? ApiKeys, long? WebhookEndpoints)
{
    public const string MessagesPerDayName = "messagesPerDay";
    public const string StoredBytesName = "storedBytes";
    public const string ApiKeysName = "apiKeys";
    public const string WebhookEndpointsName = "webhookEndpoints";
}

/// <summary>A quota met: which, its limit, what is used, and when it resets (null: when something is removed).</summary>
public sealed record QuotaRefusal(string Quota, long Limit, long Used, DateTimeOffset? ResetsAt)
{
    public string Describe() => ResetsAt is { } at
        ? $"The tenant's quota '{Quota}' of {Limit} is used up ({Used}); it resets at {Rfc3339.Format(at)}."
        : $"The tenant's quota '{Quota}' of {Limit} is used up ({Used}).";
}

/// <summary>One quota's use: what is used and the limit (null: none).</summary>
public sealed record QuotaUse(long Used, long? Limit);

/// <summary>What a tenant uses against its quotas, as its admin and the operator see it.</summary>
public sealed record TenantUsage(string Day, QuotaUse MessagesToday, long BytesToday, QuotaUse StoredBytes, QuotaUse ApiKeys, QuotaUse WebhookEndpoints);

/// <summary>
/// Whether a tenant may act, and how much: its suspension, its quotas and what it used. Every door
/// asks here — the API key check and the console for suspension, the submission for the daily and
/// storage quotas, key and endpoint creation for theirs — so a limit means the same everywhere.
/// What was read is trusted for <see cref="QuotaOptions.CacheDuration"/> and counted on locally
/// meanwhile; a change made here is seen here at once, on other hosts after that time.
/// </summary>
public sealed class TenantAccess(IDbConnectionFactory db, TimeProvider time, IOptions<QuotaOptions> options)
{
    private const string StateSql = """
        SELECT COALESCE(deleted_at, suspended_at) AS SuspendedAt, deleted_at AS DeletedAt, time_zone AS TimeZone, quota_messages_per_day AS MessagesPerDay, quota_stored_bytes AS StoredBytes,
               quota_api_keys AS ApiKeys, quota_webhook_endpoints AS WebhookEndpoints
          FROM tenants WHERE id = @tenantId
        """;

    private const string DaySql = "SELECT messages AS Messages, bytes AS Bytes FROM tenant_usage_days WHERE tenant_id = @tenantId AND day = @day";

    private const string StoredSql = "SELECT COALESCE(SUM(size_bytes), 0) FROM messages WHERE tenant_id = @tenantId AND content_purged_at IS NULL";

    private const string ApiKeysSql = "SELECT COUNT(*) FROM api_keys WHERE tenant_id = @tenantId AND revoked_at IS NULL";

    private const string WebhookEndpointsSql = "SELECT COUNT(*) FROM webhook_endpoints WHERE tenant_id = @tenantId";

    private const string SuspendSql = "UPDATE tenants SET suspended_at = @now, updated_at = @now WHERE id = @tenantId AND suspended_at IS NULL";

    private const string ResumeSql = "UPDATE tenants SET suspended_at = NULL, updated_at = @now WHERE id = @tenantId AND suspended_at IS NOT NULL AND deleted_at IS NULL";

    private const string SetQuotasSql = """
        UPDATE tenants SET quota_messages_per_day = @messagesPerDay, quota_stored_bytes = @storedBytes, quota_api_keys = @apiKeys,
               quota_webhook_endpoints = @webhookEndpoints, updated_at = @now
         WHERE id = @tenantId
        """;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>When the tenant was suspended (or deleted: refused the same way until the worker purged it); null when it is not, or does not exist.</summary>
    public async Task<DateTimeOffset?> SuspendedAtAsync(string tenantId, CancellationToken cancellationToken = default) =>
        Clock.FromMs((await EntryAsync(tenantId, cancellationToken))?.State.SuspendedAt);

    /// <summary>Whether the tenant exists and is not deleted (it may be suspended).</summary>
    public async Task<bool> ExistsAsync(string tenantId, CancellationToken cancellationToken = default) =>
        (await EntryAsync(tenantId, cancellationToken, fresh: true)) is { State.DeletedAt: null };

    /// <summary>The limits that apply to the tenant now.</summary>
    public async Task<TenantQuotas> QuotasAsync(string tenantId, CancellationToken cancellationToken = default) =>
        (await EntryAsync(tenantId, cancellationToken)) is { } entry ? Effective(entry.State) : Effective(new StateRow());

    /// <summary>The quota a message of <paramref name="bytes"/> would exceed, or null when it may be accepted.</summary>
    public async Task<QuotaRefusal?> CheckSubmissionAsync(string tenantId, long bytes, CancellationToken cancellationToken = default)
    {
        if (await EntryAsync(tenantId, cancellationToken) is not { } entry)
        {
            return null;
        }

        var quotas = Effective(entry.State);
        if (quotas.MessagesPerDay is { } perDay)
        {
            var (day, resets) = Today(entry.State.TimeZone);
            var used = entry.Day == day ? entry.Messages + Volatile.Read(ref entry.MessagesSince) : await ReadDayAsync(tenantId, entry, day, cancellationToken);
            if (used >= perDay)
            {
                return new QuotaRefusal(TenantQuotas.MessagesPerDayName, perDay, used, resets);
            }
        }

        if (quotas.StoredBytes is { } stored)
        {
            var used = entry.Stored + Volatile.Read(ref entry.BytesSince);
            if (used + bytes > stored)
            {
                return new QuotaRefusal(TenantQuotas.StoredBytesName, stored, used, null);
            }
        }

        return null;
    }

    /// <summary>Counts an accepted message on this host until the next read.</summary>
    public void Counted(string tenantId, long bytes)
    {
        if (_entries.TryGetValue(tenantId, out var entry))
        {
            Interlocked.Increment(ref entry.MessagesSince);
            Interlocked.Add(ref entry.BytesSince, bytes);
        }
    }

    /// <summary>The tenant's calendar day for usage counts (yyyy-MM-dd in its time zone).</summary>
    public async Task<string> UsageDayAsync(string tenantId, CancellationToken cancellationToken = default) =>
        Today((await EntryAsync(tenantId, cancellationToken))?.State.TimeZone).Day;

    /// <summary>The refusal when one more API key would exceed the tenant's quota of keys.</summary>
    public Task<QuotaRefusal?> CheckNewApiKeyAsync(string tenantId, CancellationToken cancellationToken = default) =>
        CheckCountAsync(tenantId, TenantQuotas.ApiKeysName, q => q.ApiKeys, ApiKeysSql, cancellationToken);

    /// <summary>The refusal when one more webhook endpoint would exceed the tenant's quota of endpoints.</summary>
    public Task<QuotaRefusal?> CheckNewWebhookEndpointAsync(string tenantId, CancellationToken cancellationToken = default) =>
        CheckCountAsync(tenantId, TenantQuotas.WebhookEndpointsName, q => q.WebhookEndpoints, WebhookEndpointsSql, cancellationToken);

    public async Task<TenantUsage> UsageAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        var entry = await EntryAsync(tenantId, cancellationToken, fresh: true);
        var quotas = entry is null ? Effective(new StateRow()) : Effective(entry.State);
        var (day, _) = Today(entry?.State.TimeZone);
        await using var connection = await db.OpenAsync(cancellationToken);
        var today = await connection.QuerySingleOrDefaultAsync<DayRow>(new CommandDefinition(DaySql, new { tenantId, day }, cancellationToken: cancellationToken));
        var stored = await connection.ExecuteScalarAsync<long>(new CommandDefinition(StoredSql, new { tenantId }, cancellationToken: cancellationToken));
        var keys = await connection.ExecuteScalarAsync<long>(new CommandDefinition(ApiKeysSql, new { tenantId }, cancellationToken: cancellationToken));
        var endpoints = await connection.ExecuteScalarAsync<long>(new CommandDefinition(WebhookEndpointsSql, new { tenantId }, cancellationToken: cancellationToken));
        return new TenantUsage(day, new QuotaUse(today?.Messages ?? 0, quotas.MessagesPerDay), today?.Bytes ?? 0,
            new QuotaUse(stored, quotas.StoredBytes), new QuotaUse(keys, quotas.ApiKeys), new QuotaUse(endpoints, quotas.WebhookEndpoints));
    }

    /// <summary>Suspends the tenant; false when it already was.</summary>
    public Task<bool> SuspendAsync(string tenantId, CancellationToken cancellationToken = default) => ChangeAsync(SuspendSql, new { tenantId, now = time.NowMs() }, tenantId, cancellationToken);

    /// <summary>Resumes the tenant; false when it was not suspended.</summary>
    public Task<bool> ResumeAsync(string tenantId, CancellationToken cancellationToken = default) => ChangeAsync(ResumeSql, new { tenantId, now = time.NowMs() }, tenantId, cancellationToken);

    /// <summary>Sets the tenant's own quotas; a null one takes the host's default, 0 is no limit.</summary>
    public Task<bool> SetQuotasAsync(string tenantId, long? messagesPerDay, long? storedBytes, long? apiKeys, long? webhookEndpoints, CancellationToken cancellationToken = default) =>
        ChangeAsync(SetQuotasSql, new { tenantId, messagesPerDay, storedBytes, apiKeys, webhookEndpoints, now = time.NowMs() }, tenantId, cancellationToken);

    /// <summary>The quotas the tenant set itself to (null: the host's default).</summary>
    public async Task<TenantQuotas> OwnQuotasAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        var state = (await EntryAsync(tenantId, cancellationToken, fresh: true))?.State ?? new StateRow();
        return new TenantQuotas(state.MessagesPerDay, state.StoredBytes, state.ApiKeys, state.WebhookEndpoints);
    }

    /// <summary>Forgets what this host read of the tenant (after a change elsewhere in this process, e.g. deleting it).</summary>
    public void Forget(string tenantId) => _entries.TryRemove(tenantId, out _);

    private async Task<bool> ChangeAsync(string sql, object args, string tenantId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var changed = await connection.ExecuteAsync(new CommandDefinition(sql, args, cancellationToken: cancellationToken)) == 1;
        Forget(tenantId);
        return changed;
    }

    private async Task<QuotaRefusal?> CheckCountAsync(string tenantId, string name, Func<TenantQuotas, long?> limitOf, string countSql, CancellationToken cancellationToken)
    {
        if (limitOf(await QuotasAsync(tenantId, cancellationToken)) is not { } limit)
        {
            return null;
        }

        await using var connection = await db.OpenAsync(cancellationToken);
        var used = await connection.ExecuteScalarAsync<long>(new CommandDefinition(countSql, new { tenantId }, cancellationToken: cancellationToken));
        return used >= limit ? new QuotaRefusal(name, limit, used, null) : null;
    }

    private TenantQuotas Effective(StateRow state)
    {
        var host = options.Value;
        static long? Limit(long? own, long fallback) => (own ?? fallback) is > 0 and var v ? v : null;
        return new TenantQuotas(Limit(state.MessagesPerDay, host.MessagesPerDay), Limit(state.StoredBytes, host.StoredBytes),
            Limit(state.ApiKeys, host.ApiKeys), Limit(state.WebhookEndpoints, host.WebhookEndpoints));
    }

    private (string Day, DateTimeOffset Resets) Today(string? timeZone)
    {
        var settings = new Policies.TenantSettings { TimeZone = timeZone ?? "Asia/Tokyo" };
        var local = settings.LocalTime(time.GetUtcNow());
        var midnight = new DateTimeOffset(local.Date.AddDays(1), local.Offset);
        return (local.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), midnight.ToUniversalTime());
    }

    private async Task<Entry?> EntryAsync(string tenantId, CancellationToken cancellationToken, bool fresh = false)
    {
        var now = time.NowMs();
        if (!fresh && _entries.TryGetValue(tenantId, out var cached) && cached.Until > now)
        {
            return cached;
        }

        await using var connection = await db.OpenAsync(cancellationToken);
        var state = await connection.QuerySingleOrDefaultAsync<StateRow>(new CommandDefinition(StateSql, new { tenantId }, cancellationToken: cancellationToken));
        if (state is null)
        {
            _entries.TryRemove(tenantId, out _);
            return null;
        }

        var (day, _) = Today(state.TimeZone);
        var entry = new Entry(state, now + (long)options.Value.CacheDuration.TotalMilliseconds) { Day = day };
        var quotas = Effective(state);
        if (quotas.MessagesPerDay is not null)
        {
            var row = await connection.QuerySingleOrDefaultAsync<DayRow>(new CommandDefinition(DaySql, new { tenantId, day }, cancellationToken: cancellationToken));
            entry.Messages = row?.Messages ?? 0;
        }

        if (quotas.StoredBytes is not null)
        {
            entry.Stored = await connection.ExecuteScalarAsync<long>(new CommandDefinition(StoredSql, new { tenantId }, cancellationToken: cancellationToken));
        }

        _entries[tenantId] = entry;
        return entry;
    }

    /// <summary>The count of a new day (the cached one is yesterday's): read, and kept for the rest of the entry's time.</summary>
    private async Task<long> ReadDayAsync(string tenantId, Entry entry, string day, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<DayRow>(new CommandDefinition(DaySql, new { tenantId, day }, cancellationToken: cancellationToken));
        entry.Day = day;
        entry.Messages = row?.Messages ?? 0;
        Interlocked.Exchange(ref entry.MessagesSince, 0);
        return entry.Messages;
    }

    private sealed record StateRow
    {
        public long? SuspendedAt { get; init; }
        public long? DeletedAt { get; init; }
        public string TimeZone { get; init; } = "Asia/Tokyo";
        public long? MessagesPerDay { get; init; }
        public long? StoredBytes { get; init; }
        public long? ApiKeys { get; init; }
        public long? WebhookEndpoints { get; init; }
    }

    private sealed record DayRow(long Messages, long Bytes);

    private sealed class Entry(StateRow state, long until)
    {
        public StateRow State { get; } = state;
        public long Until { get; } = until;
        public string Day { get; set; } = "";
        public long Messages { get; set; }
        public long Stored { get; set; }
        public long MessagesSince;
        public long BytesSince;
    }
}
