using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using SendGate.Core.Delivery;
using SendGate.Core.Messages;
using SendGate.Core.Tenants;

namespace SendGate.IntegrationTests.Infrastructure;

/// <summary>
/// The real API host over its own SQLite file, with time under the test's control. The worker is
/// not started in-process: tests call the same core services its jobs call, when they choose.
/// </summary>
public sealed class SendGateApp : WebApplicationFactory<Program>
{
    public const string AdminKey = "sg_test_admin_0123456789abcdefghijklmnop";

    public static readonly DateTimeOffset Start = new(2026, 11, 28, 9, 0, 0, TimeSpan.Zero);

    private readonly Dictionary<string, string?> _settings;
    private readonly bool _ownsFolder;
    private readonly bool _realClock;

    private readonly CollectingLoggerProvider? _logs;
    private readonly Action<IServiceCollection>? _services;

    /// <param name="services">Replaces services at an I/O seam (e.g. the blob files of a full disk), after the host's own registrations.</param>
    public SendGateApp(SmtpTestServer? smtp = null, IDictionary<string, string?>? settings = null, string? folder = null, FakeTimeProvider? time = null,
        bool realClock = false, CollectingLoggerProvider? logs = null, Action<IServiceCollection>? services = null)
    {
        _logs = logs;
        _services = services;
        _realClock = realClock;
        _ownsFolder = folder is null;
        Folder = folder ?? Path.Combine(Path.GetTempPath(), "sendgate-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
        Time = time ?? new FakeTimeProvider(Start);
        ConnectionString = TestDatabase.SqlServer is { } server
            ? TestDatabase.CreateSqlServerDatabase(server, "sendgate_test_" + Path.GetFileName(Folder))
            : $"Data Source={Path.Combine(Folder, "sendgate.db")}";
        _settings = new Dictionary<string, string?>
        {
            ["SendGate:Database:Provider"] = TestDatabase.SqlServer is null ? "Sqlite" : "SqlServer",
            ["SendGate:Database:ConnectionString"] = ConnectionString,
            ["SendGate:Bootstrap:ApiKey"] = AdminKey,
            ["SendGate:Worker:InProcess"] = "false",
            // Tests state the rules they need; the recommended policy has its own tests.
            ["SendGate:Policy:InitialPolicy"] = "empty",
            ["SendGate:Delivery:Mode"] = smtp is null ? "Pickup" : "Smtp",
            ["SendGate:Delivery:PickupDirectory"] = Path.Combine(Folder, "outbox"),
            ["SendGate:Smtp:Host"] = "127.0.0.1",
            ["SendGate:Smtp:Port"] = smtp?.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "25",
            ["SendGate:Smtp:Security"] = "None",
            ["SendGate:Smtp:Timeout"] = "00:00:10",
            ["SendGate:Encryption:PasswordKeyFile"] = Path.Combine(Folder, "password.key"),
            ["SendGate:Audit:KeyFile"] = Path.Combine(Folder, "audit.key"),
            ["SendGate:Archive:BlobFolder"] = Path.Combine(Folder, "blobs"),
            ["SendGate:Console:KeyRingFolder"] = Path.Combine(Folder, "keyring"),
            ["SendGate:Links:StoreFolder"] = Path.Combine(Folder, "downloads"),
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }
    }

    public string Folder { get; }

    /// <summary>The database under test: a SQLite file here, or a fresh SQL Server database (see <see cref="TestDatabase"/>).</summary>
    public string ConnectionString { get; }

    public FakeTimeProvider Time { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        if (_logs is not null)
        {
            // Every level, whatever the configured filters: tests read what could ever be logged.
            builder.ConfigureLogging(logging => logging.AddProvider(_logs).AddFilter<CollectingLoggerProvider>(null, LogLevel.Trace));
        }

        if (_services is not null)
        {
            builder.ConfigureServices(_services);
        }

        if (_realClock)
        {
            // Quartz takes TimeProvider from the container too: its triggers only fire on a moving clock.
            return;
        }

        builder.ConfigureServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Time);
        });
    }

    public T Service<T>() where T : notnull => Services.GetRequiredService<T>();

    public HttpClient ClientFor(string apiKey)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return client;
    }

    public HttpClient Admin() => ClientFor(AdminKey);

    /// <summary>Creates a key with the given roles through the API, as an admin would.</summary>
    public async Task<string> CreateKeyAsync(params string[] roles)
    {
        using var admin = Admin();
        // Approver keys decide as a person; tests that do not care get a stand-in.
        var approverAddress = roles.Contains(Roles.Approver) ? "approver@example.co.jp" : null;
        var response = await admin.PostAsJsonAsync("/v1/api-keys", new { name = $"test {string.Join('+', roles)}", roles, approverAddress });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return body.GetProperty("key").GetString()!;
    }

    /// <summary>An approver key bound to <paramref name="address"/>, created through the API.</summary>
    public async Task<string> CreateApproverKeyAsync(string address)
    {
        using var admin = Admin();
        var response = await admin.PostAsJsonAsync("/v1/api-keys", new { name = $"approver {address}", roles = new[] { Roles.Approver }, approverAddress = address });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
    }

    /// <summary>What the worker's webhook job does (fan-out, then delivery).</summary>
    public Task<int> DeliverWebhooksAsync() => Service<SendGate.Core.Webhooks.WebhookService>().DeliverDueAsync();

    /// <summary>What the worker's notification job does.</summary>
    public Task<int> DeliverNotificationsAsync() => Service<SendGate.Core.Notifications.NotificationService>().DeliverDueAsync();

    /// <summary>What the worker's approval-deadline job does.</summary>
    public Task<int> ProcessApprovalsAsync() => Service<SendGate.Core.Approvals.ApprovalService>().ProcessDueAsync();

    /// <summary>A second tenant with its own admin key (tenants have no API of their own yet).</summary>
    public async Task<string> CreateOtherTenantAdminKeyAsync()
    {
        var tenants = Service<TenantStore>();
        var tenantId = await tenants.CreateTenantAsync("other");
        var (_, secret) = await tenants.CreateKeyAsync(tenantId, "other admin", [Roles.Admin]);
        return secret;
    }

    /// <summary>What the worker's release job does.</summary>
    public Task<int> ReleaseDueAsync() => Service<SendGate.Core.Background.HoldReleaser>().ReleaseDueAsync();

    /// <summary>What the worker's password-mail job does.</summary>
    public Task<int> DeliverPasswordMailsAsync() => Service<SendGate.Core.Encryption.PasswordMailService>().DeliverDueAsync();

    /// <summary>What the worker's delivery job does.</summary>
    public Task<DeliveryRun> DeliverDueAsync() => Service<DeliveryService>().DeliverDueAsync();

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && _ownsFolder)
        {
            SqliteConnection.ClearAllPools();
            if (TestDatabase.SqlServer is not null)
            {
                TestDatabase.DropSqlServerDatabase(ConnectionString);
            }

            try
            {
                Directory.Delete(Folder, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a temp folder left behind is harmless.
            }
        }
    }
}
