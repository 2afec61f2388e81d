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
/// DbUp's journal table, so every host can call it at start and only the first one does work.
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
