using SendGate.IntegrationTests.Infrastructure;

namespace SendGate.IntegrationTests.Operator;

/// <summary>A bad setting stops either host before it serves, with one line naming it and no stack trace.</summary>
public sealed class BadSettingsTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "sendgate-tests", Guid.NewGuid().ToString("N"));

    public BadSettingsTests() => Directory.CreateDirectory(_folder);

    public static TheoryData<string, string, string, string> BadValues => new()
    {
        { "api", "SendGate__Smtp__Port", "abc", "SendGate: invalid setting SendGate:Smtp:Port = \"abc\": expected a whole number from 1 to 65535" },
        { "api", "SendGate__Smtp__Port", "70000", "SendGate: invalid setting SendGate:Smtp:Port = \"70000\": expected a whole number from 1 to 65535" },
        // TimeSpan would read "5" as five days.
        { "api", "SendGate__Smtp__Timeout", "5", "SendGate: invalid setting SendGate:Smtp:Timeout = \"5\": expected a duration such as 00:00:30 (hh:mm:ss) or 1.00:00:00 (d.hh:mm:ss), from 00:00:01 to 00:10:00" },
        { "api", "SendGate__Webhooks__Timeout", "00:05:00", "SendGate: invalid setting SendGate:Webhooks:Timeout = \"00:05:00\": expected a duration such as 00:00:30 (hh:mm:ss) or 1.00:00:00 (d.hh:mm:ss), from 00:00:01 to 00:02:00" },
        { "api", "SendGate__Archive__OrphanGrace", "00:10:00", "SendGate: invalid setting SendGate:Archive:OrphanGrace = \"00:10:00\": expected a duration such as 00:00:30 (hh:mm:ss) or 1.00:00:00 (d.hh:mm:ss), from 01:00:00 to 30.00:00:00" },
        { "api", "SendGate__Delivery__Mode", "Relay", "SendGate: invalid setting SendGate:Delivery:Mode = \"Relay\": expected one of Smtp, Pickup" },
        { "api", "SendGate__Worker__InProcess", "yes", "SendGate: invalid setting SendGate:Worker:InProcess = \"yes\": expected true or false" },
        // A rule across two settings, from the validators that run on start.
        // (Raising the SMTP timeout: a lease short enough to break this rule would break MessageTimeBudget's too.)
        { "api", "SendGate__Smtp__Timeout", "00:03:00", "SendGate: SendGate:Delivery:LeaseDuration must be at least twice SendGate:Smtp:Timeout, so a slow send never outlives its lease." },
        { "api", "SendGate__Delivery__MessageTimeBudget", "00:03:00", "SendGate: SendGate:Delivery:MessageTimeBudget must be at most half of LeaseDuration, so a message given up still leaves the lease to record it." },
        { "api", "SendGate__Limits__MaxHeaderLines", "0", "SendGate: invalid setting SendGate:Limits:MaxHeaderLines = \"0\": expected a whole number from 1 to 100000" },
        { "api", "SendGate__Limits__MaxHeaderValueLength", "300000", "SendGate: SendGate:Limits:MaxHeaderValueLength and MaxSubjectLength may not exceed MaxHeaderBytes." },
        { "api", "SendGate__Console__KeyRingFolder", "/dev/null", "SendGate: SendGate:Console:KeyRingFolder must be a folder (or not exist yet: it is then created, mode 700)." },
        { "api", "SendGate__ReverseProxy__TrustedProxies__0", "proxy.example.internal", "SendGate: invalid setting SendGate:ReverseProxy:TrustedProxies:0 = \"proxy.example.internal\": expected a network such as 10.0.0.0/8 or 2001:db8::/32, or one address" },
        // The API host's own settings are checked the same way.
        { "api", "SendGate__RateLimits__SubmitPerKey__PermitLimit", "-1", "SendGate: invalid setting SendGate:RateLimits:SubmitPerKey:PermitLimit = \"-1\": expected a whole number from 0 to 2147483647" },
        { "api", "SendGate__RateLimits__SubmitPerTenant__Window", "1", "SendGate: invalid setting SendGate:RateLimits:SubmitPerTenant:Window = \"1\": expected a duration such as 00:00:30 (hh:mm:ss) or 1.00:00:00 (d.hh:mm:ss), from 00:00:01 to 1.00:00:00" },
        { "api", "SendGate__RateLimits__ApprovalLinksPerAddress__Window", "00:00:01.500", "SendGate: SendGate:RateLimits:ApprovalLinksPerAddress:Window must be whole seconds (RateLimit-Policy states it in seconds)." },
        { "api", "SendGate__SmtpIngress__MaxBufferedBytes", "2000000", "SendGate: SendGate:SmtpIngress:MaxBufferedBytes must be at least SendGate:Limits:MaxRequestBytes (41943040), or no message of the largest size could ever be received." },
        { "api", "SendGate__SmtpIngress__MaxConnections", "0", "SendGate: invalid setting SendGate:SmtpIngress:MaxConnections = \"0\": expected a whole number from 1 to 100000" },
        { "api", "SendGate__Telemetry__MetricsNetworks__0", "10.0.0.0/33", "SendGate: invalid setting SendGate:Telemetry:MetricsNetworks:0 = \"10.0.0.0/33\": expected a network such as 10.0.0.0/8 or 2001:db8::/32, or one address" },
        { "api", "SendGate__Telemetry__OtlpProtocol", "udp", "SendGate: invalid setting SendGate:Telemetry:OtlpProtocol = \"udp\": expected one of Grpc, HttpProtobuf" },
        { "worker", "SendGate__Telemetry__OtlpEndpoint", "collector:4317", "SendGate: invalid setting SendGate:Telemetry:OtlpEndpoint = \"collector:4317\": expected an http:// or https:// URL such as http://collector:4317" },
        { "worker", "SendGate__Smtp__Port", "abc", "SendGate: invalid setting SendGate:Smtp:Port = \"abc\": expected a whole number from 1 to 65535" },
        { "worker", "SendGate__Policy__CacheDuration", "10", "SendGate: invalid setting SendGate:Policy:CacheDuration = \"10\": expected a duration such as 00:00:30 (hh:mm:ss) or 1.00:00:00 (d.hh:mm:ss), from 00:00:00 to 00:05:00" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void A_bad_setting_stops_the_host_with_one_line_naming_it(string host, string variable, string value, string expected)
    {
        var run = HostProcess.Run(host == "api" ? HostProcess.ApiDll : HostProcess.WorkerDll, _folder, Settings((variable, value)));

        Assert.True(run.ExitCode != 0, run.ToString());
        Assert.Equal([expected], run.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.DoesNotContain("   at ", run.StdOut + run.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", run.StdOut + run.StdErr, StringComparison.Ordinal);
        // Refused before the database was touched.
        Assert.False(File.Exists(Path.Combine(_folder, "sendgate.db")), run.ToString());
    }

    [Fact]
    public void Every_bad_setting_is_named_at_once()
    {
        var run = HostProcess.Run(HostProcess.ApiDll, _folder, Settings(("SendGate__Smtp__Port", "abc"), ("SendGate__Archive__OrphanGrace", "2")));

        Assert.Equal(2, run.ExitCode);
        var lines = run.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(2, lines.Length);
        Assert.Contains(lines, l => l.StartsWith("SendGate: invalid setting SendGate:Smtp:Port = \"abc\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("SendGate: invalid setting SendGate:Archive:OrphanGrace = \"2\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_existing_forms_of_durations_still_start_the_host()
    {
        await using (var app = new SendGateApp(folder: _folder))
        {
            using var admin = app.Admin();
            (await admin.GetAsync("/v1/api-keys")).EnsureSuccessStatusCode();
        }

        // "keys list" validates everything a start validates, then reads the database and exits instead of serving.
        var run = HostProcess.Run(HostProcess.ApiDll, _folder, Settings(
            ("SendGate__Smtp__Timeout", "00:00:30"), ("SendGate__Worker__PollInterval", "00:00:00.100"), ("SendGate__Limits__IdempotencyRetention", "2.00:00:00"),
            ("SendGate__Webhooks__DeliveryRetention", "30.00:00:00"), ("SendGate__Smtp__Port", "2525"), ("SendGate__Delivery__Mode", "smtp")),
            "keys", "list", "--tenant", "default");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("bootstrap admin", run.StdOut, StringComparison.Ordinal);
        Assert.Equal("", run.StdErr);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder left behind is harmless.
        }
    }

    private Dictionary<string, string> Settings(params (string Name, string Value)[] values)
    {
        var settings = new Dictionary<string, string>
        {
            ["SendGate__Database__ConnectionString"] = $"Data Source={Path.Combine(_folder, "sendgate.db")}",
            ["SendGate__Encryption__PasswordKeyFile"] = Path.Combine(_folder, "password.key"),
            ["SendGate__Delivery__PickupDirectory"] = Path.Combine(_folder, "outbox"),
            ["SendGate__Archive__BlobFolder"] = Path.Combine(_folder, "blobs"),
        };
        foreach (var (name, value) in values)
        {
            settings[name] = value;
        }

        return settings;
    }
}
