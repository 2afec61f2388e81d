using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;

namespace SendGate.IntegrationTests.Contract;

/// <summary>
/// The API host the contract tests talk to: its own SQLite file and pickup folder, no delivery
/// worker, a known admin key, and a small body limit so that a 413 is cheap to provoke.
/// </summary>
public sealed class ContractHost : WebApplicationFactory<Program>
{
    public const string AdminKey = "contract-tests-admin-key-0123456789abcdef";
    public const long MaxRequestBytes = 64 * 1024;

    private readonly string folder = Directory.CreateTempSubdirectory("sendgate-contract-").FullName;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // UseSetting rather than ConfigureAppConfiguration: Program reads SendGate:Worker before Build().
        builder.UseSetting("SendGate:Database:ConnectionString", $"Data Source={Path.Combine(folder, "sendgate.db")}");
        builder.UseSetting("SendGate:Worker:InProcess", "false");
        builder.UseSetting("SendGate:Delivery:PickupDirectory", Path.Combine(folder, "outbox"));
        builder.UseSetting("SendGate:Bootstrap:ApiKey", AdminKey);
        builder.UseSetting("SendGate:Policy:InitialPolicy", "empty");
        builder.UseSetting("SendGate:Encryption:PasswordKeyFile", Path.Combine(folder, "password.key"));
        builder.UseSetting("SendGate:Audit:KeyFile", Path.Combine(folder, "audit.key"));
        builder.UseSetting("SendGate:Archive:BlobFolder", Path.Combine(folder, "blobs"));
        builder.UseSetting("SendGate:Console:KeyRingFolder", Path.Combine(folder, "keyring"));
        builder.UseSetting("SendGate:Limits:MaxRequestBytes", MaxRequestBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    public HttpClient CreateAdminClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", AdminKey);
        return client;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            // DisposeAsync and Dispose may both arrive here.
            SqliteConnection.ClearAllPools();
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }
}
