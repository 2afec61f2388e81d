using System.Data.Common;
using System.Text.Json;
using Dapper;
using SendGate.Core.Data;
using SendGate.Core.Messages;
using SendGate.Core.Messages.Lifecycle;

namespace SendGate.Core.Approvals;

public static class ApprovalStatus
{
    public const string Pending = "pending";
    public const string Approved = "approved";
    public const string Rejected = "rejected";
    public const string Expired = "expired";
    public const string Cancelled = "cancelled";
}

public sealed record ApprovalRequestRow
{
    public string Id { get; init; } = "";
    public string MessageId { get; init; } = "";
    public string TenantId { get; init; } = "";
    public string RouteName { get; init; } = "";
    public string RouteSnapshot { get; init; } = "";
    public string Status { get; init; } = "";
    public int Level { get; init; }
    public long TimeoutMs { get; init; }
    public long? ReminderMs { get; init; }
    public string OnTimeout { get; init; } = "";
    public long DueAt { get; init; }
    public long? ReminderAt { get; init; }
    public int Version { get; init; }
    public string? DecidedBy { get; init; }
    public long? DecidedAt { get; init; }
    public string? Comment { get; init; }
    public long CreatedAt { get; init; }
    public long UpdatedAt { get; init; }

    public ResolvedRoute Route => JsonSerializer.Deserialize<ResolvedRoute>(RouteSnapshot, ApprovalStore.Json)!;
}

public sealed record ApprovalDecisionRow
{
    public string RequestId { get; init; } = "";
    public int Seq { get; init; }
    public int Level { get; init; }
    public string Approver { get; init; } = "";
    public string Actor { get; init; } = "";
    public string ActingAs { get; init; } = "";
    public string Decision { get; init; } = "";
    public string? Comment { get; init; }
    public string Channel { get; init; } = "";
    public string? KeyId { get; init; }
    public string? Ip { get; init; }
    public long At { get; init; }

    /// <summary>An admin decided a mail they sent themselves.</summary>
    public bool OwnMail { get; init; }
}

/// <summary>SQL for approval routes, requests and decisions. Request changes are compare-and-swap on <c>version</c>.</summary>
public sealed class ApprovalStore(IDbConnectionFactory db, MessageLifecycle lifecycle)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.Create(System.Text.Unicode.UnicodeRanges.All),
    };

    private const string RequestColumns = """
        id AS Id, message_id AS MessageId, tenant_id AS TenantId, route_name AS RouteName, route_snapshot AS RouteSnapshot, status AS Status,
        level AS Level, timeout_ms AS TimeoutMs, reminder_ms AS ReminderMs, on_timeout AS OnTimeout, due_at AS DueAt, reminder_at AS ReminderAt,
        version AS Version, decided_by AS DecidedBy, decided_at AS DecidedAt, comment AS Comment, created_at AS CreatedAt, updated_at AS UpdatedAt
        """;

    private const string RoutesSql = "SELECT name, document FROM approval_routes WHERE tenant_id = @tenantId ORDER BY name";

    private const string RouteSql = "SELECT document FROM approval_routes WHERE tenant_id = @tenantId AND name = @name";

    private const string InsertRouteSql = """
        INSERT INTO approval_routes (tenant_id, name, document, created_at, updated_at) VALUES (@tenantId, @name, @document, @now, @now)
        """;

    private const string UpdateRouteSql = "UPDATE approval_routes SET document = @document, updated_at = @now WHERE tenant_id = @tenantId AND name = @name";

    private const string DeleteRouteSql = "DELETE FROM approval_routes WHERE tenant_id = @tenantId AND name = @name";

    private const string InsertRequestSql = """
        INSERT INTO approval_requests (id, message_id, tenant_id, route_name, route_snapshot, status, level, timeout_ms, reminder_ms, on_timeout,
                                       due_at, reminder_at, version, created_at, updated_at)
        VALUES (@Id, @MessageId, @TenantId, @RouteName, @RouteSnapshot, 'pending', 0, @TimeoutMs, @ReminderMs, @OnTimeout,
                @DueAt, @ReminderAt, 1, @CreatedAt, @CreatedAt)
        """;

    private const string RequestSql = $"SELECT {RequestColumns} FROM approval_requests WHERE id = @id AND tenant_id = @tenantId";

    private const string RequestByMessageSql = $"SELECT {RequestColumns} FROM approval_requests WHERE message_id = @messageId";

    // Newest first from a keyset position, through ix_approval_requests_tenant (tenant_id, status, created_at).
    private const string ListSql = $"""
        SELECT {RequestColumns} FROM approval_requests
         WHERE tenant_id = @tenantId AND status IN @statuses AND (@hasBefore = 0 OR created_at < @beforeAt OR (created_at = @beforeAt AND id < @beforeId))
         ORDER BY created_at DESC, id DESC
        """;

    private const string DecisionsSql = """
        SELECT request_id AS RequestId, seq AS Seq, level AS Level, approver AS Approver, actor AS Actor, acting_as AS ActingAs, decision AS Decision,
               comment AS Comment, channel AS Channel, key_id AS KeyId, ip AS Ip, at AS At, own_mail AS OwnMail
          FROM approval_decisions WHERE request_id = @requestId ORDER BY seq
        """;

    private const string InsertDecisionSql = """
        INSERT INTO approval_decisions (request_id, seq, level, approver, actor, acting_as, decision, comment, channel, key_id, ip, at, own_mail)
        SELECT @RequestId, COALESCE(MAX(seq), 0) + 1, @Level, @Approver, @Actor, @ActingAs, @Decision, @Comment, @Channel, @KeyId, @Ip, @At, @OwnMail
          FROM approval_decisions WHERE request_id = @RequestId
        """;

    private const string UpdateRequestSql = """
        UPDATE approval_requests
           SET status = @status, level = @level, due_at = @dueAt, reminder_at = @reminderAt, version = version + 1,
               decided_by = @decidedBy, decided_at = @decidedAt, comment = @comment, updated_at = @now
         WHERE id = @id AND version = @version AND status = 'pending'
        """;

    private const string DueSql = """
        SELECT id AS Id, tenant_id AS TenantId FROM approval_requests
         WHERE status = 'pending' AND (due_at <= @now OR reminder_at <= @now)
         ORDER BY due_at
        """;

    internal const string CancelForMessageSql = """
        UPDATE approval_requests SET status = 'cancelled', version = version + 1, updated_at = @now, comment = @reason
         WHERE message_id = @messageId AND status = 'pending'
        """;

    public async Task<IReadOnlyList<ApprovalRouteSpec>> GetRoutesAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Name, string Document)>(new CommandDefinition(RoutesSql, new { tenantId }, cancellationToken: cancellationToken));
        return rows.Select(r => JsonSerializer.Deserialize<ApprovalRouteSpec>(r.Document, Json)!).ToList();
    }

    public async Task<ApprovalRouteSpec?> GetRouteAsync(string tenantId, string name, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var document = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(RouteSql, new { tenantId, name }, cancellationToken: cancellationToken));
        return document is null ? null : JsonSerializer.Deserialize<ApprovalRouteSpec>(document, Json);
    }

    /// <summary>Creates or replaces a route; true when it was created.</summary>
    public async Task<bool> SaveRouteAsync(string tenantId, ApprovalRouteSpec route, long now, CancellationToken cancellationToken = default)
    {
        var document = JsonSerializer.Serialize(route with { UpdatedAt = Clock.FromMs(now) }, Json);
        await using var connection = await db.OpenAsync(cancellationToken);
        if (await connection.ExecuteAsync(new CommandDefinition(UpdateRouteSql, new { tenantId, name = route.Name, document, now }, cancellationToken: cancellationToken)) == 1)
        {
            return false;
        }

        try
        {
            await connection.ExecuteAsync(new CommandDefinition(InsertRouteSql, new { tenantId, name = route.Name, document, now }, cancellationToken: cancellationToken));
            return true;
        }
        catch (DbException ex) when (DbErrors.IsUniqueViolation(ex))
        {
            // Created meanwhile by another request: replace it, as the caller asked.
            await connection.ExecuteAsync(new CommandDefinition(UpdateRouteSql, new { tenantId, name = route.Name, document, now }, cancellationToken: cancellationToken));
            return false;
        }
    }

    public async Task<bool> DeleteRouteAsync(string tenantId, string name, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(DeleteRouteSql, new { tenantId, name }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>Inside the submission's transaction: the request exists as soon as the message does.</summary>
    public static Task InsertRequestAsync(DbConnection connection, DbTransaction transaction, ApprovalRequestRow row) =>
        connection.ExecuteAsync(InsertRequestSql, row, transaction);

    public async Task<ApprovalRequestRow?> GetAsync(string tenantId, string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ApprovalRequestRow>(new CommandDefinition(RequestSql, new { id, tenantId }, cancellationToken: cancellationToken));
    }

    public async Task<ApprovalRequestRow?> GetByMessageAsync(string messageId, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ApprovalRequestRow>(new CommandDefinition(RequestByMessageSql, new { messageId }, cancellationToken: cancellationToken));
    }

    /// <summary>Up to <paramref name="limit"/> requests with the status, newest first, after <paramref name="before"/> when given.</summary>
    public Task<IReadOnlyList<ApprovalRequestRow>> ListAsync(string tenantId, string status, (long At, string Id)? before, int limit,
        CancellationToken cancellationToken = default) =>
        ListAsync(tenantId, [status], before, limit, cancellationToken);

    /// <summary>Up to <paramref name="limit"/> requests with any of the statuses, newest first, after <paramref name="before"/> when given.</summary>
    public async Task<IReadOnlyList<ApprovalRequestRow>> ListAsync(string tenantId, IReadOnlyList<string> statuses, (long At, string Id)? before, int limit,
        CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var args = new { tenantId, statuses, hasBefore = before is null ? 0 : 1, beforeAt = before?.At ?? 0, beforeId = before?.Id ?? "", limit };
        return (await connection.QueryAsync<ApprovalRequestRow>(new CommandDefinition(ListSql + " " + db.Dialect.LimitClause, args, cancellationToken: cancellationToken))).AsList();
    }

    public async Task<IReadOnlyList<ApprovalDecisionRow>> GetDecisionsAsync(string requestId, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<ApprovalDecisionRow>(new CommandDefinition(DecisionsSql, new { requestId }, cancellationToken: cancellationToken))).AsList();
    }

    public async Task<IReadOnlyList<(string Id, string TenantId)>> DueAsync(long now, int batch, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<(string, string)>(new CommandDefinition(DueSql + " " + db.Dialect.LimitClause, new { now, limit = batch }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>What one change to a request does, all in one transaction; false when someone changed it first.</summary>
    public sealed record Change(
        ApprovalRequestRow Before,
        string Status,
        int Level,
        long DueAt,
        long? ReminderAt,
        string? DecidedBy,
        long? DecidedAt,
        string? Comment,
        ApprovalDecisionRow? Decision,
        MessageTransition? Message,
        IReadOnlyList<NewEvent> Events,
        long Now,
        IReadOnlyList<Notifications.NewNotification>? Notifications = null);

    /// <summary>The message's move out of awaiting_approval, when the request ends.</summary>
    public sealed record MessageTransition(string To, long? ReleaseAt, string? HoldMode);

    public async Task<bool> ApplyAsync(Change change, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var before = change.Before;
        var updated = await connection.ExecuteAsync(UpdateRequestSql, new
        {
            id = before.Id, version = before.Version, status = change.Status, level = change.Level, dueAt = change.DueAt, reminderAt = change.ReminderAt,
            decidedBy = change.DecidedBy, decidedAt = change.DecidedAt, comment = change.Comment, now = change.Now,
        }, transaction);
        if (updated == 0)
        {
            return false;
        }

        if (change.Decision is { } decision)
        {
            await connection.ExecuteAsync(InsertDecisionSql, decision, transaction);
        }

        var events = change.Events.ToList();
        if (change.Message is { } move)
        {
            // The first event is the move itself.
            if (!await lifecycle.LeaveApprovalAsync(connection, transaction, before.MessageId, move.To, move.ReleaseAt, move.HoldMode, events[0], change.Now))
            {
                // The message left awaiting_approval meanwhile (e.g. cancelled): nothing to decide any more.
                return false;
            }

            events.RemoveAt(0);
        }

        foreach (var e in events)
        {
            await MessageStore.AppendEventAsync(connection, transaction, before.MessageId, e, change.Now);
        }

        await Notifications.NotificationStore.InsertAsync(connection, transaction, change.Notifications ?? [], change.Now);

        await transaction.CommitAsync(cancellationToken);
        return true;
    }
}
