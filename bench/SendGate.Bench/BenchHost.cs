using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SendGate.Core;
using SendGate.Core.Data;

namespace SendGate.Bench;

/// <summary>The product's core services in this process, on a fresh SQLite database and blob folder under <c>work</c>.</summary>
internal static class BenchHost
{
    /// <summary>Runs <paramref name="bench"/> with a fresh temporary folder, deleted afterwards.</summary>
    public static async Task<int> InTemporaryFolderAsync(string prefix, Func<string, Task<int>> bench)
    {
        var work = Directory.CreateTempSubdirectory(prefix).FullName;
        try
        {
            return await bench(work);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>The managed heap while <paramref name="work"/> runs: the idle baseline, the peak, and what was allocated.</summary>
    public sealed record HeapUse<T>(T Result, long Baseline, long Peak, long Allocated)
    {
        public long Extra => Peak - Baseline;
    }

    /// <summary>
    /// Samples the heap while <paramref name="work"/> runs. <paramref name="liveOnly"/> collects before
    /// each sample (every 5 ms), so that garbage the collector has not reached yet does not count;
    /// otherwise the heap is read as it is, every millisecond.
    /// </summary>
    public static async Task<HeapUse<T>> MeasureHeapAsync<T>(Func<Task<T>> work, bool liveOnly)
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var peak = baseline;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: liveOnly));
                await Task.Delay(liveOnly ? 5 : 1);
            }
        });

        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var result = await work();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: liveOnly));
        await sampling.CancelAsync();
        await sampler;
        return new HeapUse<T>(result, baseline, peak, allocated);
    }

    public static async Task<(IHost Host, string TenantId)> StartAsync(string work)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SendGate:Database:ConnectionString"] = $"Data Source={Path.Combine(work, "sendgate.db")}",
            ["SendGate:Archive:BlobFolder"] = Path.Combine(work, "blobs"),
            ["SendGate:Bootstrap:ApiKey"] = "sg_bench_0123456789abcdefghijklmn",
            ["SendGate:Policy:InitialPolicy"] = "empty",
            ["SendGate:Delivery:Mode"] = "Pickup",
            ["SendGate:Delivery:PickupDirectory"] = Path.Combine(work, "outbox"),
            ["SendGate:Encryption:PasswordKeyFile"] = Path.Combine(work, "password.key"),
            ["SendGate:Audit:KeyFile"] = Path.Combine(work, "audit.key"),
            ["Logging:LogLevel:Default"] = "Warning",
        });
        builder.Services.AddSendGateCore();
        var host = builder.Build();
        await host.StartAsync();
        await using var connection = await host.Services.GetRequiredService<IDbConnectionFactory>().OpenAsync();
        return (host, await connection.QuerySingleAsync<string>("SELECT id FROM tenants"));
    }
}
