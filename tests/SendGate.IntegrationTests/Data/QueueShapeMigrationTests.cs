using Dapper;
using DbUp;
using Microsoft.Data.Sqlite;
using SendGate.Core.Data;
using SendGate.Core.Webhooks;
using SendGate.IntegrationTests.Infrastructure;

namespace SendGate.IntegrationTests.Data;

/// <summary>
/// A database made before the work queues had one shape is upgraded in place by the host's start:
/// every queued, scheduled or pending row keeps its time and attempts under the shared words, no
/// webhook attempt loses its delivery, and the product's claims find the upgraded rows.
/// </summary>
public sealed class QueueShapeMigrationTests
{
    private static readonly long T = SendGateApp.Start.ToUnixTimeMilliseconds();

    [Fact]
    public async Task A_database_from_before_the_one_queue_shape_is_upgraded_without_losing_a_row()
    {
        if (TestDatabase.SqlServer is not null)
        {
            return; // The SQL Server script is parsed by the unit tests; this upgrade is SQLite's table rebuild.
        }

        var folder = Path.Combine(Path.GetTempPath(), "sendgate-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            await UpgradeAsync(folder);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task UpgradeAsync(string folder)
    {
        var connectionString = $"Data Source={Path.Combine(folder, "sendgate.db")}";
        var upgrade = DeployChanges.To.SqliteDatabase(connectionString)
            .WithScriptsEmbeddedInAssembly(typeof(SqlDialect).Assembly,
                name => name.StartsWith("sql.sqlite.", StringComparison.Ordinal) && string.CompareOrdinal(name, "sql.sqlite.0018") < 0)
            .WithTransactionPerScript()
            .LogToNowhere()
            .Build()
            .PerformUpgrade();
        Assert.True(upgrade.Successful, upgrade.Error?.Message);
        await using (var old = new SqliteConnection(connectionString))
        {
            await old.ExecuteAsync(OldRowsSql, new { t = T });
        }

        SqliteConnection.ClearAllPools();
        await using var app = new SendGateApp(folder: folder);
        await using var connection = await app.Service<IDbConnectionFactory>().OpenAsync();

        Assert.Empty(await connection.QueryAsync("PRAGMA foreign_key_check"));
        Assert.Equal(T, await connection.ExecuteScalarAsync<long>("SELECT due_at FROM messages WHERE id = 'msg_old'"));
        Assert.Equal(
            [("pm_done", "sent", (long?)T), ("pm_due", "queued", T + 60_000), ("pm_waiting", "waiting", null)],
            (await connection.QueryAsync<(string, string, long?)>("SELECT id, status, due_at FROM password_mails ORDER BY id")).ToList());
        Assert.Equal(
            [("wd_failed", "failed", 16, (long?)null), ("wd_pending", "queued", 2, null), ("wd_succeeded", "sent", 1, T + 5)],
            (await connection.QueryAsync<(string, string, int, long?)>("SELECT id, status, attempts, sent_at FROM webhook_deliveries ORDER BY id")).ToList());
        Assert.Equal(T + 30_000, await connection.ExecuteScalarAsync<long>("SELECT due_at FROM webhook_deliveries WHERE id = 'wd_pending'"));
        Assert.Equal(3, await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM webhook_attempts"));
        Assert.Equal("pending", WebhookDeliveryStatus.Published("queued"));

        // The upgraded rows are the queues' rows: the product's claims and due reads find them.
        app.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(["we_old"], await app.Service<WebhookStore>().DueEndpointsAsync(app.Time.GetUtcNow().ToUnixTimeMilliseconds()));
        Assert.Equal(1, (await app.DeliverDueAsync()).Claimed);
    }

    private const string OldRowsSql = """
        INSERT INTO tenants (id, name, created_at) VALUES ('ten_old', 'old', @t);
        INSERT INTO messages (id, tenant_id, status, source, envelope_from, header_from, subject, size_bytes, attachment_count, decisions,
                              created_at, updated_at, next_attempt_at, attempts)
        VALUES ('msg_old', 'ten_old', 'queued', 'json', 'a@example.co.jp', 'a@example.co.jp', 's', 10, 0, '[]', @t, @t, @t, 0),
               ('msg_p1', 'ten_old', 'sent', 'json', 'a@example.co.jp', 'a@example.co.jp', 's', 10, 1, '[]', @t, @t, NULL, 1),
               ('msg_p2', 'ten_old', 'sent', 'json', 'a@example.co.jp', 'a@example.co.jp', 's', 10, 1, '[]', @t, @t, NULL, 1),
               ('msg_p3', 'ten_old', 'sending', 'json', 'a@example.co.jp', 'a@example.co.jp', 's', 10, 1, '[]', @t, @t, NULL, 1);
        INSERT INTO password_mails (id, message_id, tenant_id, status, zip_name, password_to, delay_ms, password_key_id, password_hash, due_at,
                                    attempts, created_at, updated_at, sent_at)
        VALUES ('pm_due', 'msg_p1', 'ten_old', 'scheduled', 'a.zip', 'recipients', 60000, 'k1', 'h', @t + 60000, 0, @t, @t, NULL),
               ('pm_done', 'msg_p2', 'ten_old', 'sent', 'a.zip', 'recipients', 0, 'k1', 'h', @t, 1, @t, @t, @t),
               ('pm_waiting', 'msg_p3', 'ten_old', 'waiting', 'a.zip', 'recipients', 0, 'k1', 'h', NULL, 0, @t, @t, NULL);
        INSERT INTO webhook_endpoints (id, tenant_id, url, event_types, enabled, created_at, updated_at)
        VALUES ('we_old', 'ten_old', 'https://hooks.example.co.jp/', '["*"]', 1, @t, @t);
        INSERT INTO webhook_deliveries (id, endpoint_id, tenant_id, message_id, event_seq, event_type, payload, status, attempts,
                                        next_attempt_at, created_at, updated_at, delivered_at)
        VALUES ('wd_pending', 'we_old', 'ten_old', 'msg_old', 1, 'message.queued', '{}', 'pending', 2, @t + 30000, @t, @t, NULL),
               ('wd_succeeded', 'we_old', 'ten_old', 'msg_old', 2, 'message.queued', '{}', 'succeeded', 1, @t, @t, @t, @t + 5),
               ('wd_failed', 'we_old', 'ten_old', 'msg_old', 3, 'message.queued', '{}', 'failed', 16, @t, @t, @t, NULL);
        INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, duration_ms, error)
        VALUES ('wd_pending', 1, @t, 503, 10, 'HTTP 503'), ('wd_pending', 2, @t + 1, 503, 10, 'HTTP 503'), ('wd_succeeded', 1, @t, 200, 10, NULL);
        """;
}
