using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SendGate.Core.Data;
using SendGate.Core.Tenants;

namespace SendGate.Core.Hosting;

/// <summary>
/// Runs before anything else in the host: applies migrations, seals audit trails from before the
/// audit key, then creates the first tenant and its admin key when the database has none (from
/// configuration, or generated and printed once).
/// </summary>
public sealed class DatabaseInitializer(
    DatabaseMigrator migrator,
    TenantStore tenants,
    IDbConnectionFactory db,
    Policies.InitialPolicy initialPolicy,
    Audit.AuditTrail audit,
    TimeProvider time,
    IOptions<BootstrapOptions> bootstrap,
    ILogger<DatabaseInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await migrator.MigrateAsync(cancellationToken);

        // At start, not at the first entry: an unreadable key file stops the host now, a backup of the data folder
        // holds the key from the first day, and the operator's command on the host finds it where the service keeps it.
        audit.LoadKey();

        // Trails written before the audit key existed are sealed under it once (and say so in an entry).
        await audit.SealUnkeyedTrailsAsync(cancellationToken);

        // Tenants from before policies existed start with the initial policy too.
        await using (var connection = await db.OpenAsync(cancellationToken))
        {
            await Policies.PolicyStore.SeedMissingAsync(connection, null, initialPolicy.Document, time.NowMs());
        }

        var configured = bootstrap.Value.ApiKey;
        var secret = string.IsNullOrWhiteSpace(configured) ? ApiKeySecrets.Generate() : configured.Trim();
        var tenantId = await tenants.CreateFirstTenantAsync(bootstrap.Value.TenantName, secret, cancellationToken);
        if (tenantId is null)
        {
            // Silence here once left an operator with a lost admin key believing the configured one would let them back in.
            if (!string.IsNullOrWhiteSpace(configured) && await tenants.FindActiveKeyAsync(secret, cancellationToken) is null)
            {
                Log.BootstrapIgnored(logger);
            }

            return;
        }

        if (string.IsNullOrWhiteSpace(configured))
        {
            Log.BootstrapGenerated(logger, tenantId);
            // Printed, not logged: log sinks keep lines forever, the console of a first start does not.
            Console.WriteLine();
            Console.WriteLine("SendGate created tenant '{0}' with this admin API key (shown once, store it now):", bootstrap.Value.TenantName);
            Console.WriteLine("  {0}", secret);
            Console.WriteLine();
        }
        else
        {
            Log.BootstrapFromConfiguration(logger, tenantId);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
