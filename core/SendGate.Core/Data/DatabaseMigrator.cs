using System.Reflection;
using DbUp;
using DbUp.Builder;
using DbUp.Engine;
using DbUp.Engine.Output;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace SendGate.Core.Data;

/// <summary>
/// Applies the forward-only scripts in <c>sql/&lt;dialect&gt;/</c> (embedded in this assembly) with
/// DbUp's journal table, so every host can call it at start and only the first one does work. Hosts
/// that start together (the API and the worker on a new database) take turns: DbUp reads its journal
/// once and would run a script another host is running, so the upgrade runs under a lock that every
/// host of the database sees — a lock file beside the SQLite file, an application lock on SQL Server.
/// </summary>
public sealed class DatabaseMigrator(IOptions<DatabaseOptions> options, IDbConnectionFactory connections, ILogger<DatabaseMigrator> logger)
{
    private static readonly Assembly Scripts = typeof(DatabaseMigrator).Assembly;

    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        if (options.Value.Provider == DatabaseProvider.Sqlite)
        {
            // WAL lets readers run beside the single writer; the mode is stored in the file.
            await using var connection = await connections.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode = WAL;";
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var gate = await MigrationGateAsync(cancellationToken);
        var result = Build().PerformUpgrade();
        if (!result.Successful)
        {
            throw new InvalidOperationException(
                $"Database migration failed in script '{result.ErrorScript?.Name}': {result.Error.Message}", result.Error);
        }

        foreach (var script in result.Scripts)
        {
            Log.MigrationApplied(logger, script.Name);
        }
    }

    // Long enough for another host to apply every script of a new database on a slow disk.
    private static readonly TimeSpan GateTimeout = TimeSpan.FromMinutes(5);

    private async Task<IAsyncDisposable> MigrationGateAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Provider == DatabaseProvider.SqlServer)
        {
            // Held by this session until the connection closes; a host that dies releases it with its session.
            var connection = await connections.OpenAsync(cancellationToken);
            try
            {
                await using var command = connection.CreateCommand();
                command.CommandText = """
                    DECLARE @result int;
                    EXEC @result = sp_getapplock @Resource = N'SendGate.Migrations', @LockMode = 'Exclusive', @LockOwner = 'Session', @LockTimeout = @timeout;
                    SELECT @result;
                    """;
                var timeout = command.CreateParameter();
                timeout.ParameterName = "@timeout";
                timeout.Value = (int)GateTimeout.TotalMilliseconds;
                command.Parameters.Add(timeout);
                command.CommandTimeout = (int)GateTimeout.TotalSeconds + 30;
                if (Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) < 0)
                {
                    throw new InvalidOperationException($"Another host has been migrating the database for {GateTimeout.TotalMinutes} minutes; not starting beside it.");
                }

                return connection;
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }
        }

        var file = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(SqliteConnectionString()).DataSource;
        if (string.IsNullOrEmpty(file) || file.Equals(":memory:", StringComparison.OrdinalIgnoreCase))
        {
            return NoGate.Instance;
        }

        // FileShare.None is an exclusive advisory lock (flock) on Unix, a sharing lock on Windows:
        // another process, or another migrator in this one, cannot open the file until it is closed.
        var path = Path.GetFullPath(file) + ".migrations.lock";
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            }
            catch (IOException) when (waited.Elapsed < GateTimeout)
            {
                // Not the injected clock: this waits for another process, in real time, before the host runs.
                await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
            }
        }
    }

    private sealed class NoGate : IAsyncDisposable
    {
        public static readonly NoGate Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>Scripts this build ships that the database has not run yet.</summary>
    public IReadOnlyList<string> PendingScripts() =>
        Build().GetScriptsToExecute().Select(s => s.Name).ToList();

    private UpgradeEngine Build()
    {
        var prefix = connections.Dialect.ScriptPrefix;
        UpgradeEngineBuilder builder = options.Value.Provider switch
        {
            DatabaseProvider.Sqlite => DeployChanges.To.SqliteDatabase(SqliteConnectionString()),
            DatabaseProvider.SqlServer => DeployChanges.To.SqlDatabase(options.Value.ConnectionString),
            _ => throw new InvalidOperationException($"Unknown database provider {options.Value.Provider}."),
        };
        return builder
            .WithScriptsEmbeddedInAssembly(Scripts, name => name.StartsWith(prefix, StringComparison.Ordinal))
            .WithTransactionPerScript()
            .LogTo(new UpgradeLog(logger))
            .Build();
    }

    private string SqliteConnectionString() =>
        ((SqliteConnectionFactory)connections).ConnectionString;

    private sealed class UpgradeLog(ILogger logger) : IUpgradeLog
    {
        public void LogTrace(string format, params object[] args) { }

        public void LogDebug(string format, params object[] args) { }

        public void LogInformation(string format, params object[] args) => Log.MigrationOutput(logger, string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));

        public void LogWarning(string format, params object[] args) => Log.MigrationOutput(logger, string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));

        public void LogError(string format, params object[] args) => Log.MigrationError(logger, string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));

        public void LogError(Exception ex, string format, params object[] args) => Log.MigrationError(logger, string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));
    }
}
