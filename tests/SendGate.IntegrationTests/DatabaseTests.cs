using System.Net;
using System.Net.Http.Json;
using SendGate.Core.Data;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;

namespace SendGate.IntegrationTests;

public sealed class DatabaseTests
{
    /// <summary>Says in every test report which database the suite used.</summary>
    [SqlServerFact]
    public async Task Suite_runs_against_sql_server_when_configured()
    {
        await using var app = new SendGateApp();
        Assert.Equal(SendGate.Core.Data.DatabaseProvider.SqlServer, app.Service<IDbConnectionFactory>().Dialect.Provider);
        using var client = app.Admin();
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/v1/messages", Mail())).StatusCode);
    }

    [Fact]
    public async Task Readiness_reports_database_and_migrations()
    {
        await using var app = new SendGateApp();
        using var client = app.CreateClient();
        var ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        Assert.Empty(app.Service<DatabaseMigrator>().PendingScripts());
    }

    [Fact]
    public async Task Sqlite_connections_are_durable_wal_with_foreign_keys_also_when_reused_from_the_pool()
    {
        if (TestDatabase.SqlServer is not null)
        {
            return;
        }

        await using var app = new SendGateApp();
        var factory = app.Service<IDbConnectionFactory>();
        for (var i = 0; i < 3; i++)
        {
            await using var connection = await factory.OpenAsync();
            Assert.Equal("wal", await Dapper.SqlMapper.ExecuteScalarAsync<string>(connection, "PRAGMA journal_mode"));
            Assert.Equal(2L, await Dapper.SqlMapper.ExecuteScalarAsync<long>(connection, "PRAGMA synchronous"));
            Assert.Equal(1L, await Dapper.SqlMapper.ExecuteScalarAsync<long>(connection, "PRAGMA foreign_keys"));
        }
    }

    /// <summary>
    /// The API and the worker unit start together on a new database (one machine: one SQLite file;
    /// several hosts: one SQL Server): each applies the scripts it finds missing, and neither may
    /// fail because the other applied them first.
    /// </summary>
    [Fact]
    public async Task Hosts_starting_together_on_a_new_database_migrate_it_once_and_both_start()
    {
        for (var round = 0; round < 40; round++)
        {
            var folder = Directory.CreateTempSubdirectory("sendgate-migrate-").FullName;
            var connectionString = TestDatabase.SqlServer is { } server
                ? TestDatabase.CreateSqlServerDatabase(server, $"sg_migrate_{Guid.NewGuid():N}")
                : $"Data Source={Path.Combine(folder, "sendgate.db")}";
            try
            {
                var options = Microsoft.Extensions.Options.Options.Create(new DatabaseOptions
                {
                    Provider = TestDatabase.SqlServer is null ? DatabaseProvider.Sqlite : DatabaseProvider.SqlServer,
                    ConnectionString = connectionString,
                });
                DatabaseMigrator Migrator() => new(options,
                    TestDatabase.SqlServer is null ? new SqliteConnectionFactory(options) : new SqlServerConnectionFactory(options),
                    Microsoft.Extensions.Logging.Abstractions.NullLogger<DatabaseMigrator>.Instance);
                var hosts = Enumerable.Range(0, 3).Select(_ => Migrator()).ToList();

                await Task.WhenAll(hosts.Select(h => Task.Run(() => h.MigrateAsync())));

                Assert.All(hosts, h => Assert.Empty(h.PendingScripts()));
            }
            finally
            {
                if (TestDatabase.SqlServer is not null)
                {
                    TestDatabase.DropSqlServerDatabase(connectionString);
                }

                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Restart_on_the_same_database_keeps_messages_and_applies_no_migration_twice()
    {
        string id;
        await using (var first = new SendGateApp())
        {
            using var client = first.Admin();
            id = (await (await client.PostAsJsonAsync("/v1/messages", Mail(("sendAt", SendGateApp.Start.AddHours(1).ToString("O"))))).JsonAsync()).Str("id");

            await using var second = new SendGateApp(folder: first.Folder, time: first.Time);
            using var again = second.Admin();
            var message = await (await again.GetAsync($"/v1/messages/{id}")).JsonAsync();
            Assert.Equal("held", message.Str("status"));
            Assert.Empty(second.Service<DatabaseMigrator>().PendingScripts());
        }
    }
}
