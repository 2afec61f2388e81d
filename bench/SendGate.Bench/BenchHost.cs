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
            ["Logging:LogLevel:Default"] = "Warning",
        });
        builder.Services.AddSendGateCore();
        var host = builder.Build();
        await host.StartAsync();
        await using var connection = await host.Services.GetRequiredService<IDbConnectionFactory>().OpenAsync();
        return (host, await connection.QuerySingleAsync<string>("SELECT id FROM tenants"));
    }
}
