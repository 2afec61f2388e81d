using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SendGate.Core.Audit;
using SendGate.IntegrationTests.Infrastructure;

namespace SendGate.IntegrationTests.Operator;

/// <summary>
/// A tenant whose admin key is lost gets a new one from the operator on the host
/// (<c>SendGate.Api keys create</c>), through the same entry point and database as the service.
/// </summary>
public sealed class KeysCommandTests : IAsyncLifetime
{
    private readonly CollectingLoggerProvider _logs = new();
    private SendGateApp _app = null!;

    public async Task InitializeAsync()
    {
        _app = new SendGateApp(logs: _logs);
        using var admin = _app.Admin();
        (await admin.GetAsync("/v1/api-keys")).EnsureSuccessStatusCode();
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Keys_create_prints_a_working_key_once_audits_it_and_does_not_serve()
    {
        var run = Keys("create", "--tenant", "default", "--name", "recovery", "--role", "admin");

        Assert.True(run.ExitCode == 0, run.ToString());
        var lines = run.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var secret = lines[^1];
        Assert.StartsWith("sg_", secret, StringComparison.Ordinal);
        Assert.Equal(1, lines.Count(l => l.Contains(secret, StringComparison.Ordinal)));
        // It exited by itself: no server was started.
        Assert.DoesNotContain("Now listening", run.StdOut + run.StdErr, StringComparison.Ordinal);

        using var recovered = _app.ClientFor(secret);
        var keys = await recovered.GetFromJsonAsync<JsonElement>("/v1/api-keys");
        var created = keys.GetProperty("items").EnumerateArray().Single(k => k.GetProperty("name").GetString() == "recovery");
        Assert.Equal(["admin"], created.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        // An admin key: it can make keys of its own.
        var another = await recovered.PostAsJsonAsync("/v1/api-keys", new { name = "made with the recovered key", roles = new[] { "sender" } });
        Assert.Equal(HttpStatusCode.Created, another.StatusCode);

        var keyId = created.GetProperty("id").GetString()!;
        var trail = await _app.Service<AuditTrail>().ListAsync(
            (await _app.Service<SendGate.Core.Tenants.TenantStore>().FindTenantsAsync("default")).Single().Id, new AuditFilter(null, "CLI keys create", null, null, null, 10));
        var entry = Assert.Single(trail);
        Assert.Equal($"operator:{Environment.UserName}@{Environment.MachineName}", entry.Actor);
        Assert.Equal($"id={keyId}", entry.Resource);
        Assert.Contains("channel=cli", entry.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, entry.Detail, StringComparison.Ordinal);
        Assert.True((await _app.Service<AuditTrail>().VerifyAsync(entry.TenantId)).Intact);
    }

    [Fact]
    public void Keys_list_shows_the_keys_without_their_secrets()
    {
        var run = Keys("list", "--tenant", "default");

        Assert.True(run.ExitCode == 0, run.ToString());
        var line = Assert.Single(run.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("bootstrap admin", line, StringComparison.Ordinal);
        Assert.Contains("admin", line, StringComparison.Ordinal);
        Assert.DoesNotContain(SendGateApp.AdminKey, run.StdOut, StringComparison.Ordinal);
        Assert.Contains(SendGateApp.AdminKey[..8], line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SendGate: no tenant has the name or id 'nobody'.", "create", "--tenant", "nobody", "--name", "x", "--role", "admin")]
    [InlineData("SendGate: 'owner' is not a role.", "create", "--tenant", "default", "--name", "x", "--role", "owner")]
    [InlineData("SendGate: --tenant is required.", "create", "--name", "x", "--role", "admin")]
    [InlineData("SendGate: --approver-address (an e-mail address) goes with the approver role, and only with it.", "create", "--tenant", "default", "--name", "x", "--role", "approver")]
    [InlineData("SendGate: 'delete' is not a keys verb: use create or list.", "delete", "--tenant", "default")]
    public void A_wrong_command_says_what_is_wrong_and_creates_nothing(string expected, params string[] arguments)
    {
        var run = Keys(arguments);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Equal(expected, run.StdErr.Split('\n')[0].Trim());
        Assert.DoesNotContain("sg_", run.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_create_away_from_the_services_audit_key_refuses_and_leaves_the_trail_intact()
    {
        var elsewhere = Path.Combine(_app.Folder, "elsewhere.key");
        var run = HostProcess.Run(HostProcess.ApiDll, _app.Folder, new Dictionary<string, string>
        {
            ["SendGate__Database__ConnectionString"] = _app.ConnectionString,
            ["SendGate__Database__Provider"] = TestDatabase.SqlServer is null ? "Sqlite" : "SqlServer",
            ["SendGate__Audit__KeyFile"] = elsewhere,
        }, "keys", "create", "--tenant", "default", "--name", "recovery", "--role", "admin");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal($"SendGate: the audit key file {elsewhere} does not exist; run this in the service's folder with its settings (SendGate:Audit:KeyFile).",
            run.StdErr.Split('\n')[0].Trim());
        Assert.DoesNotContain("sg_", run.StdOut, StringComparison.Ordinal);
        Assert.False(File.Exists(elsewhere));
        var tenant = (await _app.Service<SendGate.Core.Tenants.TenantStore>().FindTenantsAsync("default")).Single().Id;
        Assert.True((await _app.Service<AuditTrail>().VerifyAsync(tenant)).Intact);
    }

    [Fact]
    public async Task A_bootstrap_key_that_no_longer_applies_is_reported_with_the_way_out()
    {
        var logs = new CollectingLoggerProvider();
        await using var restarted = new SendGateApp(folder: _app.Folder, time: _app.Time, logs: logs,
            settings: new Dictionary<string, string?> { ["SendGate:Bootstrap:ApiKey"] = "sg_forgotten_0123456789abcdefghijklmn" });
        using var client = restarted.ClientFor("sg_forgotten_0123456789abcdefghijklmn");

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/v1/api-keys")).StatusCode);
        var warning = Assert.Single(logs.Lines, l => l.Contains("SendGate:Bootstrap:ApiKey is set but ignored", StringComparison.Ordinal));
        Assert.StartsWith("Warning", warning, StringComparison.Ordinal);
        Assert.Contains("keys create --tenant", warning, StringComparison.Ordinal);
        Assert.DoesNotContain("sg_forgotten", warning, StringComparison.Ordinal);
        // The first start, with the key that created the tenant, had nothing to warn about.
        Assert.DoesNotContain(_logs.Lines, l => l.Contains("SendGate:Bootstrap:ApiKey is set but ignored", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_bootstrap_key_that_still_works_is_not_reported()
    {
        var logs = new CollectingLoggerProvider();
        await using var restarted = new SendGateApp(folder: _app.Folder, time: _app.Time, logs: logs);
        using var admin = restarted.Admin();

        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/v1/api-keys")).StatusCode);
        Assert.DoesNotContain(logs.Lines, l => l.Contains("SendGate:Bootstrap:ApiKey is set but ignored", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Operator_create_key_prints_a_key_that_reaches_the_operator_api_and_the_trail_verifies()
    {
        var run = Command("operator", "create-key", "--name", "ops team");

        Assert.True(run.ExitCode == 0, run.ToString());
        var secret = run.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
        Assert.StartsWith(SendGate.Core.Tenants.OperatorKeys.Prefix, secret, StringComparison.Ordinal);
        using var operatorClient = _app.ClientFor(secret);
        Assert.Equal(HttpStatusCode.OK, (await operatorClient.GetAsync("/v1/operator/tenants")).StatusCode);
        using (var tenantAdmin = _app.Admin())
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await tenantAdmin.GetAsync("/v1/operator/tenants")).StatusCode);
        }

        var list = Command("operator", "list-keys");
        Assert.Contains("ops team", list.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, list.StdOut, StringComparison.Ordinal);

        var verified = Command("audit", "verify", "--operator");
        Assert.True(verified.ExitCode == 0, verified.ToString());
        Assert.Contains("The operator's trail is intact: 1 entries.", verified.StdOut, StringComparison.Ordinal);
        var tenant = Command("audit", "verify", "--tenant", "default");
        Assert.True(tenant.ExitCode == 0, tenant.ToString());
        Assert.Contains("is intact", tenant.StdOut, StringComparison.Ordinal);

        var migrated = Command("migrate");
        Assert.True(migrated.ExitCode == 0, migrated.ToString());
        Assert.Contains("The database is up to date.", migrated.StdOut, StringComparison.Ordinal);
    }

    private SendGate.Tests.ExternalTools.ToolRun Keys(params string[] arguments) => Command(["keys", .. arguments]);

    private SendGate.Tests.ExternalTools.ToolRun Command(params string[] arguments) =>
        HostProcess.Run(HostProcess.ApiDll, _app.Folder, new Dictionary<string, string>
        {
            ["SendGate__Database__ConnectionString"] = _app.ConnectionString,
            ["SendGate__Database__Provider"] = TestDatabase.SqlServer is null ? "Sqlite" : "SqlServer",
            ["SendGate__Encryption__PasswordKeyFile"] = Path.Combine(_app.Folder, "password.key"),
            // The trail's key: an entry written with another would break the chain the service verifies.
            ["SendGate__Audit__KeyFile"] = Path.Combine(_app.Folder, "audit.key"),
        }, arguments);
}
