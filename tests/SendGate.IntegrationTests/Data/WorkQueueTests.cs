using Dapper;
using SendGate.Core.Data;
using SendGate.Core.Encryption;
using SendGate.Core.Messages.Lifecycle;
using SendGate.Core.Notifications;
using SendGate.Core.Webhooks;
using SendGate.IntegrationTests.Infrastructure;

namespace SendGate.IntegrationTests.Data;

/// <summary>
/// The four work queues are one shape: the same claim (one statement per batch, oldest due first),
/// the same lease and takeover, the same give-back of what was never started. Each rule is run on
/// every queue the product declares, through its own claim statement on the real database.
/// </summary>
public sealed class WorkQueueTests
{
    private const string Endpoint = "we_queue";

    public static TheoryData<string> Queues => new(Declared.Keys.Order());

    private static readonly Dictionary<string, WorkQueue> Declared = new[]
    {
        MessageLifecycle.Queue, PasswordMailStore.Queue, NotificationStore.Queue, WebhookStore.Queue,
    }.ToDictionary(q => q.Table);

    private sealed record Claimed
    {
        public string Id { get; init; } = "";
        public int Attempts { get; init; }
    }

    [Theory]
    [MemberData(nameof(Queues))]
    public async Task A_claim_takes_due_rows_oldest_first_in_batches_and_leaves_future_ones(string table)
    {
        await using var queue = await QueueAsync(table);
        await queue.AddAsync("b", dueIn: TimeSpan.FromSeconds(-1));
        await queue.AddAsync("a", dueIn: TimeSpan.FromSeconds(-2));
        await queue.AddAsync("c", dueIn: TimeSpan.FromMinutes(1));

        Assert.Equal(["a"], (await queue.ClaimAsync("w1", batch: 1)).Select(c => c.Id));
        var second = await queue.ClaimAsync("w1", batch: 10);
        Assert.Equal(["b"], second.Select(c => c.Id));
        Assert.Equal(1, second.Single().Attempts);
        Assert.Equal(("sending", "w1"), await queue.StateAsync("b"));
        Assert.Equal(("queued", (string?)null), await queue.StateAsync("c"));
    }

    [Theory]
    [MemberData(nameof(Queues))]
    public async Task Two_workers_claiming_at_once_never_take_the_same_row(string table)
    {
        await using var queue = await QueueAsync(table);
        for (var i = 0; i < 40; i++)
        {
            await queue.AddAsync($"r{i:00}", dueIn: TimeSpan.FromMilliseconds(-i));
        }

        async Task<List<string>> DrainAsync(string owner)
        {
            var taken = new List<string>();
            while (await queue.ClaimAsync(owner, batch: 7) is { Count: > 0 } claimed)
            {
                taken.AddRange(claimed.Select(c => c.Id));
            }

            return taken;
        }

        var both = await Task.WhenAll(Task.Run(() => DrainAsync("w1")), Task.Run(() => DrainAsync("w2")));
        Assert.Empty(both[0].Intersect(both[1]));
        Assert.Equal(40, both[0].Concat(both[1]).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Queues))]
    public async Task An_expired_lease_is_taken_over_and_a_live_one_is_not(string table)
    {
        await using var queue = await QueueAsync(table);
        await queue.AddAsync("x", dueIn: TimeSpan.Zero);
        Assert.Single(await queue.ClaimAsync("w1", batch: 5, lease: TimeSpan.FromSeconds(10)));

        Assert.Empty(await queue.ClaimAsync("w2", batch: 5));
        queue.App.Time.Advance(TimeSpan.FromSeconds(11));
        var takeover = Assert.Single(await queue.ClaimAsync("w2", batch: 5));
        Assert.Equal(2, takeover.Attempts);
        Assert.Equal(("sending", "w2"), await queue.StateAsync("x"));
    }

    [Theory]
    [MemberData(nameof(Queues))]
    public async Task Rows_the_lease_leaves_no_time_for_go_back_due_at_once_with_the_attempt_unspent(string table)
    {
        await using var queue = await QueueAsync(table);
        foreach (var id in new[] { "p", "q", "r" })
        {
            await queue.AddAsync(id, dueIn: TimeSpan.Zero);
        }

        await using (var batch = await queue.Queue.ClaimBatchAsync<Claimed>(queue.Db, queue.App.Time, "w1", TimeSpan.FromSeconds(60),
                         longestAttempt: TimeSpan.FromSeconds(30), batch: 10, c => c.Id, new { endpointId = Endpoint }))
        {
            Assert.Equal(3, batch.Count);
            Assert.True(batch.TryTake(out var first));
            Assert.Equal("p", first.Id);
            // 34 s of the lease left: less than one more 30 s attempt and the 5 s margin.
            queue.App.Time.Advance(TimeSpan.FromSeconds(26));
            Assert.False(batch.TryTake(out _));
        }

        var now = queue.App.Time.GetUtcNow().ToUnixTimeMilliseconds();
        Assert.Equal(("sending", "w1"), await queue.StateAsync("p"));
        await using var connection = await queue.Db.OpenAsync();
        Assert.Equal([("q", "queued", 0, now), ("r", "queued", 0, now)],
            (await connection.QueryAsync<(string, string, int, long)>(
                $"SELECT id, status, attempts, due_at FROM {table} WHERE id IN ('q', 'r') ORDER BY id")).ToList());
    }

    private static async Task<QueueUnderTest> QueueAsync(string table)
    {
        var app = new SendGateApp();
        var db = app.Service<IDbConnectionFactory>();
        await using var connection = await db.OpenAsync();
        var tenant = await connection.ExecuteScalarAsync<string>("SELECT id FROM tenants");
        var t = app.Time.GetUtcNow().ToUnixTimeMilliseconds();
        await connection.ExecuteAsync("""
            INSERT INTO messages (id, tenant_id, status, source, envelope_from, header_from, subject, size_bytes, attachment_count, decisions,
                                  created_at, updated_at, attempts)
            VALUES ('msg_parent', @tenant, 'sent', 'json', 'a@example.co.jp', 'a@example.co.jp', 's', 10, 0, '[]', @t, @t, 1);
            INSERT INTO webhook_endpoints (id, tenant_id, url, event_types, enabled, consecutive_failures, created_at, updated_at)
            VALUES ('we_queue', @tenant, 'https://hooks.example.co.jp/', '["*"]', 1, 0, @t, @t);
            """, new { tenant, t });
        return new QueueUnderTest(app, db, Declared[table], tenant!);
    }

    /// <summary>One queue's table on a real database, rows added the way the queue keeps them.</summary>
    private sealed class QueueUnderTest(SendGateApp app, IDbConnectionFactory db, WorkQueue queue, string tenant) : IAsyncDisposable
    {
        private int _seq;

        public SendGateApp App => app;

        public IDbConnectionFactory Db => db;

        public WorkQueue Queue => queue;

        public async Task AddAsync(string id, TimeSpan dueIn)
        {
            var now = app.Time.GetUtcNow().ToUnixTimeMilliseconds();
            var due = (app.Time.GetUtcNow() + dueIn).ToUnixTimeMilliseconds();
            await using var connection = await db.OpenAsync();
            var sql = queue.Table switch
            {
                "messages" => """
                    INSERT INTO messages (id, tenant_id, status, source, envelope_from, header_from, subject, size_bytes, attachment_count, decisions,
                                          created_at, updated_at, due_at, attempts)
                    VALUES (@id, @tenant, 'queued', 'json', 'a@example.co.jp', 'a@example.co.jp', 's', 10, 0, '[]', @now, @now, @due, 0)
                    """,
                "password_mails" => """
                    INSERT INTO messages (id, tenant_id, status, source, envelope_from, header_from, subject, size_bytes, attachment_count, decisions,
                                          created_at, updated_at, attempts)
                    VALUES (@parent, @tenant, 'sent', 'json', 'a@example.co.jp', 'a@example.co.jp', 's', 10, 1, '[]', @now, @now, 1);
                    INSERT INTO password_mails (id, message_id, tenant_id, status, zip_name, password_to, delay_ms, password_key_id, password_hash,
                                                due_at, attempts, created_at, updated_at)
                    VALUES (@id, @parent, @tenant, 'queued', 'a.zip', 'recipients', 0, 'k', 'h', @due, 0, @now, @now)
                    """,
                "notifications" => """
                    INSERT INTO notifications (id, tenant_id, message_id, kind, recipient, status, due_at, attempts, created_at, updated_at)
                    VALUES (@id, @tenant, 'msg_parent', 'sender_outcome', 'a@example.co.jp', 'queued', @due, 0, @now, @now)
                    """,
                _ => """
                    INSERT INTO webhook_deliveries (id, endpoint_id, tenant_id, message_id, event_seq, event_type, payload, status, attempts, due_at,
                                                    created_at, updated_at)
                    VALUES (@id, 'we_queue', @tenant, 'msg_parent', @seq, 'message.sent', '{}', 'queued', 0, @due, @now, @now)
                    """,
            };
            await connection.ExecuteAsync(sql, new { id, parent = $"{id}_parent", tenant, now, due, seq = ++_seq });
        }

        public async Task<IReadOnlyList<Claimed>> ClaimAsync(string owner, int batch, TimeSpan? lease = null)
        {
            var now = app.Time.GetUtcNow();
            await using var connection = await db.OpenAsync();
            return await queue.ClaimAsync<Claimed>(connection, null, db.Dialect, owner, now.ToUnixTimeMilliseconds(),
                (now + (lease ?? TimeSpan.FromMinutes(5))).ToUnixTimeMilliseconds(), batch, new { endpointId = Endpoint });
        }

        public async Task<(string Status, string? Owner)> StateAsync(string id)
        {
            await using var connection = await db.OpenAsync();
            return await connection.QuerySingleAsync<(string, string?)>($"SELECT status, lease_owner FROM {queue.Table} WHERE id = @id", new { id });
        }

        public ValueTask DisposeAsync() => app.DisposeAsync();
    }
}
