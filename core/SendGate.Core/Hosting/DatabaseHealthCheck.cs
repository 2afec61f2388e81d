using Dapper;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SendGate.Core.Data;

namespace SendGate.Core.Hosting;

/// <summary>Ready when the database answers and every migration this build ships has been applied.</summary>
public sealed class DatabaseHealthCheck(IDbConnectionFactory db, DatabaseMigrator migrator) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await db.OpenAsync(cancellationToken);
            await connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 1", cancellationToken: cancellationToken));
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("database unreachable", ex);
        }

        var pending = migrator.PendingScripts();
        return pending.Count == 0
            ? HealthCheckResult.Healthy("database reachable, migrations applied")
            : HealthCheckResult.Unhealthy($"{pending.Count} migration(s) not applied: {string.Join(", ", pending)}");
    }
}
