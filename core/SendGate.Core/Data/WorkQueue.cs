using System.Data.Common;
using Dapper;

namespace SendGate.Core.Data;

/// <summary>
/// One leased work queue. The four queues (messages, password mails, notifications, webhook
/// deliveries) are tables of one shape: a row is <c>queued</c> until <c>due_at</c>, then claimed in
/// batches by one statement per dialect (<see cref="SqlDialect.ClaimDueSql"/>), which makes it
/// <c>sending</c> with <c>lease_owner</c> and <c>lease_until</c> and counts the attempt; a row whose
/// lease expired (its worker died) is claimed again like a due one. Each attempt then ends in one
/// of three ways, decided by <see cref="RetryRule"/>: done (<c>sent</c>), due again later
/// (<c>queued</c> with a backed-off <c>due_at</c>) or given up (<c>failed</c>).
/// </summary>
/// <param name="Table">The queue's table.</param>
/// <param name="Returned">Columns the claim returns, each as the property of the same name in Pascal case (<c>tenant_id</c> → <c>TenantId</c>).</param>
/// <param name="Candidates">A condition the queue adds to "due" (e.g. one endpoint's deliveries), in the table's own columns; null for none.</param>
/// <param name="AlsoSet">Assignments the claim makes besides the lease (e.g. taking the next event number); null for none.</param>
/// <param name="Order">Which due rows go first: the oldest due, unless the queue needs a finer order.</param>
/// <param name="Paused">Rows the queue holds back although due (e.g. a disabled endpoint's), for the depth reading; null for none.</param>
public sealed class WorkQueue(string Table, IReadOnlyList<string> Returned, string? Candidates = null, string? AlsoSet = null, string Order = "due_at",
    QueuePause? Paused = null)
{
    public string Table { get; } = Table;

    public IReadOnlyList<string> Returned { get; } = Returned;

    public string? Candidates { get; } = Candidates;

    public string? AlsoSet { get; } = AlsoSet;

    public string Order { get; } = Order;

    public QueuePause? Paused { get; } = Paused;

    public const string Queued = "queued";
    public const string Sending = "sending";
    public const string Sent = "sent";
    public const string Failed = "failed";

    /// <summary>Due rows, in the words every queue shares: queued and due, or sending with an expired lease.</summary>
    internal const string DueCondition = "((status = 'queued' AND due_at <= @now) OR (status = 'sending' AND lease_until <= @now))";

    /// <summary>What every claim sets, whichever the queue.</summary>
    internal const string ClaimAssignments = "status = 'sending', lease_owner = @owner, lease_until = @leaseUntil, attempts = attempts + 1, updated_at = @now";

    private string? _sqlite;
    private string? _sqlServer;

    /// <summary>The claim statement for <paramref name="dialect"/>, built once per queue.</summary>
    public string ClaimSql(SqlDialect dialect) => dialect.Provider == DatabaseProvider.Sqlite
        ? _sqlite ??= dialect.ClaimDueSql(this)
        : _sqlServer ??= dialect.ClaimDueSql(this);

    /// <summary>
    /// Claims up to <paramref name="batch"/> due rows for <paramref name="owner"/> until
    /// <paramref name="leaseUntil"/>, in one statement; <paramref name="candidates"/> carries the
    /// parameters of <see cref="Candidates"/>.
    /// </summary>
    public async Task<IReadOnlyList<T>> ClaimAsync<T>(DbConnection connection, DbTransaction? transaction, SqlDialect dialect,
        string owner, long now, long leaseUntil, int batch, object? candidates = null, CancellationToken cancellationToken = default)
    {
        var parameters = new DynamicParameters(candidates);
        parameters.AddDynamicParams(new { owner, now, leaseUntil, batch });
        return (await connection.QueryAsync<T>(new CommandDefinition(ClaimSql(dialect), parameters, transaction, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>
    /// Claims a batch for <paramref name="owner"/> under a lease of <paramref name="leaseLength"/>
    /// from now, to be attempted one row at a time, each attempt taking at most
    /// <paramref name="longestAttempt"/>; rows not attempted go back when the batch is disposed.
    /// </summary>
    public async Task<ClaimedBatch<T>> ClaimBatchAsync<T>(IDbConnectionFactory db, TimeProvider time, string owner, TimeSpan leaseLength,
        TimeSpan longestAttempt, int batch, Func<T, string> idOf, object? candidates = null, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var lease = new WorkLease(now + leaseLength);
        IReadOnlyList<T> rows = [];
        await using (var connection = await db.OpenAsync(cancellationToken))
        {
            // A read first: an idle queue's poll must not take SQLite's write lock from the writers.
            var parameters = new DynamicParameters(candidates);
            parameters.Add("now", now.ToUnixTimeMilliseconds());
            if (await connection.ExecuteScalarAsync<int>(new CommandDefinition(AnyDueSql, parameters, cancellationToken: cancellationToken)) == 1)
            {
                rows = await ClaimAsync<T>(connection, null, db.Dialect, owner, now.ToUnixTimeMilliseconds(), lease.Until.ToUnixTimeMilliseconds(), batch,
                    candidates, cancellationToken);
            }
        }

        return new ClaimedBatch<T>(rows, idOf, lease, time, longestAttempt,
            ids => ReturnUnstartedAsync(db, ids, owner, time.GetUtcNow().ToUnixTimeMilliseconds()));
    }

    /// <summary>
    /// Gives back claims <paramref name="owner"/> never started (it is stopping, or the lease left too
    /// little time): due again at once, and the unused attempt is not counted. Returns how many.
    /// </summary>
    public async Task<int> ReturnUnstartedAsync(IDbConnectionFactory db, IReadOnlyCollection<string> ids, string owner, long now)
    {
        if (ids.Count == 0)
        {
            return 0;
        }

        await using var connection = await db.OpenAsync();
        return await connection.ExecuteAsync(ReturnUnstartedSql, new { ids, owner, now });
    }

    /// <summary>The queue's due rows: <see cref="DueCondition"/> and its <see cref="Candidates"/>.</summary>
    internal string DueWhere => Candidates is null ? DueCondition : $"{DueCondition} AND ({Candidates})";

    internal string AnyDueSql => $"""
        SELECT CASE WHEN EXISTS (SELECT 1 FROM {Table} WHERE {DueWhere}) THEN 1 ELSE 0 END
        """;

    internal string ReturnUnstartedSql => $"""
        UPDATE {Table}
           SET status = 'queued', lease_owner = NULL, lease_until = NULL, attempts = attempts - 1, due_at = @now, updated_at = @now
         WHERE id IN @ids AND status = 'sending' AND lease_owner = @owner
        """;

    /// <summary>
    /// One reading of the queue for its gauges: the rows by state and the oldest due one. The
    /// queued and sending rows are what the queue's partial index on (status, due_at) holds, so
    /// the read costs what the queue holds, not what the table has kept; a joined pause (an
    /// aggregate may not contain a subquery in SQL Server) is read per row of the queue.
    /// </summary>
    internal string DepthSql => Paused is null ? $"""
        SELECT COALESCE(SUM(CASE WHEN {DueCondition} THEN 1 ELSE 0 END), 0) AS Due,
               COALESCE(SUM(CASE WHEN status = 'queued' AND due_at > @now THEN 1 ELSE 0 END), 0) AS NotDue,
               COALESCE(SUM(CASE WHEN status = 'sending' AND lease_until > @now THEN 1 ELSE 0 END), 0) AS Sending,
               0 AS Paused,
               MIN(CASE WHEN {DueCondition} THEN due_at END) AS OldestDue
          FROM {Table} WHERE status IN ('queued', 'sending')
        """ : $"""
        SELECT COALESCE(SUM(CASE WHEN {DueCondition} AND NOT ({Paused.Condition}) THEN 1 ELSE 0 END), 0) AS Due,
               COALESCE(SUM(CASE WHEN status = 'queued' AND due_at > @now AND NOT ({Paused.Condition}) THEN 1 ELSE 0 END), 0) AS NotDue,
               COALESCE(SUM(CASE WHEN status = 'sending' AND lease_until > @now THEN 1 ELSE 0 END), 0) AS Sending,
               COALESCE(SUM(CASE WHEN NOT (status = 'sending' AND lease_until > @now) AND ({Paused.Condition}) THEN 1 ELSE 0 END), 0) AS Paused,
               MIN(CASE WHEN {DueCondition} AND NOT ({Paused.Condition}) THEN due_at END) AS OldestDue
          FROM {Table} {Paused.Join} WHERE status IN ('queued', 'sending')
        """;

    /// <summary>Reads the queue's depth now (see <see cref="DepthSql"/>).</summary>
    public async Task<Telemetry.QueueSample> SampleAsync(DbConnection connection, long now, CancellationToken cancellationToken = default)
    {
        var row = await connection.QuerySingleAsync<DepthRow>(new CommandDefinition(DepthSql, new { now }, cancellationToken: cancellationToken));
        return new Telemetry.QueueSample(Table, row.Due, row.NotDue, row.Sending, row.Paused,
            row.OldestDue is { } due && due < now ? TimeSpan.FromMilliseconds(now - due) : TimeSpan.Zero);
    }

    private sealed record DepthRow
    {
        public long Due { get; init; }
        public long NotDue { get; init; }
        public long Sending { get; init; }
        public long Paused { get; init; }
        public long? OldestDue { get; init; }
    }

    internal static string Property(string column) =>
        string.Concat(column.Split('_').Select(part => char.ToUpperInvariant(part[0]) + part[1..]));
}

/// <summary>
/// Rows of a queue that wait on something outside it although due: <paramref name="Join"/> joins
/// what decides it to the queue's table (its columns keep their names), <paramref name="Condition"/>
/// holds for a paused row.
/// </summary>
public sealed record QueuePause(string Join, string Condition);

/// <summary>
/// A batch claimed under one lease, handed out a row at a time while the lease leaves time for
/// one more attempt (<see cref="WorkLease.Covers"/>). What was not taken when the batch is
/// disposed (the worker is stopping, or the lease ran short) goes back to the queue at once.
/// </summary>
public sealed class ClaimedBatch<T> : IAsyncDisposable
{
    private readonly Queue<T> _rows;
    private readonly Func<T, string> _idOf;
    private readonly TimeProvider _time;
    private readonly TimeSpan _longestAttempt;
    private readonly Func<IReadOnlyCollection<string>, Task> _giveBack;

    internal ClaimedBatch(IReadOnlyList<T> rows, Func<T, string> idOf, WorkLease lease, TimeProvider time, TimeSpan longestAttempt,
        Func<IReadOnlyCollection<string>, Task> giveBack)
    {
        _rows = new Queue<T>(rows);
        _idOf = idOf;
        Lease = lease;
        _time = time;
        _longestAttempt = longestAttempt;
        _giveBack = giveBack;
        Count = rows.Count;
    }

    /// <summary>How many rows the claim took.</summary>
    public int Count { get; }

    public WorkLease Lease { get; }

    /// <summary>The next row to attempt; false when none is left or the lease is too short for another attempt.</summary>
    public bool TryTake(out T row)
    {
        if (_rows.Count > 0 && Lease.Covers(_longestAttempt, _time.GetUtcNow()))
        {
            row = _rows.Dequeue();
            return true;
        }

        row = default!;
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        if (_rows.Count > 0)
        {
            var ids = _rows.Select(_idOf).ToList();
            _rows.Clear();
            await _giveBack(ids);
        }
    }
}

/// <summary>
/// How every work queue retries an attempt that may succeed later (a relay's 4xx, an endpoint's
/// 5xx or timeout): due again after <see cref="RetryBackoff"/>, until <see cref="MaxAttempts"/>
/// attempts were made; then the row is given up (failed for good).
/// </summary>
public sealed record RetryRule(int MaxAttempts, TimeSpan BaseDelay, TimeSpan MaxDelay)
{
    /// <summary>When the row is due again after its <paramref name="attempts"/>-th attempt failed; null: give up.</summary>
    public DateTimeOffset? NextDue(int attempts, DateTimeOffset now) =>
        attempts >= MaxAttempts ? null : now + RetryBackoff.Delay(attempts, BaseDelay, MaxDelay, Random.Shared.NextDouble());
}

/// <summary>Exponential backoff with jitter: base·2^(n-1), capped, then 50–100 % of it.</summary>
public static class RetryBackoff
{
    /// <param name="attempts">Attempts made so far (1 after the first failure).</param>
    /// <param name="random">A number in [0, 1): the jitter, so that retries of many messages spread out.</param>
    public static TimeSpan Delay(int attempts, TimeSpan baseDelay, TimeSpan maxDelay, double random)
    {
        var exponential = baseDelay.TotalMilliseconds * Math.Pow(2, Math.Clamp(attempts - 1, 0, 30));
        var capped = Math.Min(exponential, maxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.5 + (random * 0.5)));
    }
}

/// <summary>
/// The lease a worker holds on one claimed batch. An attempt is started only while what is left of
/// the lease covers its longest possible length and <see cref="SafetyMargin"/>: otherwise another
/// worker could take the row over while it is still being sent, and send it twice.
/// </summary>
public readonly record struct WorkLease(DateTimeOffset Until)
{
    public static readonly TimeSpan SafetyMargin = TimeSpan.FromSeconds(5);

    public bool Covers(TimeSpan longestAttempt, DateTimeOffset now) => now + longestAttempt + SafetyMargin <= Until;
}
