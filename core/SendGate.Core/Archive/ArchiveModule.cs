using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SendGate.Core.Background;
using SendGate.Core.Data;
using SendGate.Core.Hosting;

namespace SendGate.Core.Archive;

public static class ArchiveModule
{
    /// <summary>Where originals and sent copies are kept, the mbox export, retention and the orphan sweep.</summary>
    public static IServiceCollection AddArchive(this IServiceCollection services)
    {
        services.AddOptions<ArchiveOptions>().BindSettings(ArchiveOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<BlobFiles>();
        services.AddSingleton<IBlobStore>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ArchiveOptions>>();
            var sqlServer = sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.Provider == DatabaseProvider.SqlServer;
            var database = new DatabaseBlobStore(sp.GetRequiredService<IDbConnectionFactory>(), sp.GetRequiredService<TimeProvider>());
            if (options.Value.BlobStore == BlobStoreKind.Database || (options.Value.BlobStore == BlobStoreKind.Auto && sqlServer))
            {
                return database;
            }

            var folder = new FolderBlobStore(options, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<BlobFiles>());
            return options.Value.InlineUpTo > 0 ? new TieredBlobStore(database, folder, options) : folder;
        });
        services.AddSingleton<RetentionService>();
        services.AddSingleton<BlobSweeper>();
        services.AddSingleton<MessageSearch>();
        services.AddSingleton<SentCopies>();
        services.AddSingleton<MboxExport>();

        // Hourly, at a quarter past: retention is counted in days, so the exact minute does not matter.
        services.AddRecurringWork<RetentionService>("retention", WorkSchedule.Cron("0 15 * * * ?"), (retention, ct) => retention.PurgeAsync(ct));
        // Daily, off hours: it reads every key of the archive, and what it deletes waited a day already.
        services.AddRecurringWork<BlobSweeper>("blob-sweep", WorkSchedule.Cron("0 40 3 * * ?"), (sweeper, ct) => sweeper.SweepAsync(ct));
        return services;
    }
}
