using System.Net.Http.Json;
using System.Text;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;

namespace SendGate.IntegrationTests.Telemetry;

/// <summary>
/// Log lines name ids and transitions: at no level does SendGate's or the framework's logging carry
/// a mail's content, its addresses or a key, the framework's request log excepted (see below).
/// </summary>
public sealed class LogContentTests : IAsyncLifetime
{
    private readonly CollectingLoggerProvider _logs = new();
    private SmtpTestServer _smtp = null!;
    private SendGateApp _app = null!;

    public async Task InitializeAsync()
    {
        _smtp = await SmtpTestServer.StartAsync();
        _app = new SendGateApp(_smtp, logs: _logs);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _smtp.DisposeAsync();
    }

    [Fact]
    public async Task No_log_line_at_any_level_carries_mail_content_addresses_or_keys()
    {
        using var admin = _app.Admin();
        var key = await _app.CreateKeyAsync("sender");
        using var sender = _app.ClientFor(key);
        var secrets = new[]
        {
            "Sakura Sender", "sakura.sender@example.co.jp", "kaede.customer@example.com", "hidden.bcc@example.net",
            "見積の件について", "ご確認をお願いいたします本文", "見積書_極秘.txt", "X-Order-Ref-4711", key, SendGateApp.AdminKey,
        };
        var accepted = await (await sender.PostAsJsonAsync("/v1/messages", Mail(
            ("from", "Sakura Sender <sakura.sender@example.co.jp>"),
            ("to", new[] { "kaede.customer@example.com" }),
            ("bcc", new[] { "hidden.bcc@example.net" }),
            ("subject", "見積の件について"),
            ("text", "ご確認をお願いいたします本文"),
            ("headers", new Dictionary<string, string> { ["X-Order"] = "X-Order-Ref-4711" }),
            ("attachments", new[] { new { filename = "見積書_極秘.txt", contentType = "text/plain", content = Convert.ToBase64String(Encoding.UTF8.GetBytes("添付")) } })))).JsonAsync();
        var id = accepted.Str("id");
        Assert.Equal(1, (await _app.DeliverDueAsync()).Sent);
        await sender.GetStringAsync($"/v1/messages/{id}");
        await sender.GetStringAsync("/v1/messages?to=kaede.customer%40example.com&subject=%E8%A6%8B%E7%A9%8D");

        Assert.NotEmpty(_logs.Lines);
        // But ASP.NET Core's request log, which writes each URL (a search's query, a signed link's
        // token): appsettings.json keeps it at Warning, and the README says why.
        var leaks = _logs.Lines.Where(line => !line.Contains(" Microsoft.AspNetCore.Hosting.Diagnostics: ", StringComparison.Ordinal))
            .Where(line => secrets.Concat(secrets.Select(Uri.EscapeDataString)).Any(s => line.Contains(s, StringComparison.Ordinal)))
            .Select(line => line.Length > 300 ? line[..300] : line).ToList();
        Assert.True(leaks.Count == 0, "Log lines carrying content or secrets:\n" + string.Join("\n", leaks));
    }

    [Fact]
    public async Task A_signed_link_s_token_in_the_request_path_never_reaches_a_log_line_through_its_scope()
    {
        using var client = _app.CreateClient();
        var token = "tok" + Guid.NewGuid().ToString("N");
        foreach (var path in new[] { $"/download/{token}", $"/download/{token}/files/1", $"/approve/{token}", $"/console/link/{token}" })
        {
            await client.GetAsync(path);
        }

        // The scopes of every line; the messages of all but the framework's own request and routing
        // logs (which write the path at Debug and Information: appsettings.json keeps Microsoft.AspNetCore at Warning).
        var lines = _logs.Lines.ToList();
        var scopes = lines.Select(line => line.IndexOf(" |scope| ", StringComparison.Ordinal) is var at and >= 0 ? line[at..] : "").ToList();
        Assert.Contains(scopes, scope => scope.Contains("RequestPath:/download/{token}", StringComparison.Ordinal));
        Assert.Contains(scopes, scope => scope.Contains("RequestPath:/approve/{token}", StringComparison.Ordinal));
        Assert.Contains(scopes, scope => scope.Contains("RequestPath:/console/link/{token}", StringComparison.Ordinal));
        var leaks = lines.Where((line, i) => scopes[i].Contains(token, StringComparison.Ordinal)
                || (!line.Contains(" Microsoft.AspNetCore.", StringComparison.Ordinal) && line.Contains(token, StringComparison.Ordinal)))
            .Select(line => line.Length > 300 ? line[..300] : line).ToList();
        Assert.True(leaks.Count == 0, "Log lines carrying a link's token:\n" + string.Join("\n", leaks));
        // Other paths are written as they are.
        await client.GetAsync("/health/live");
        Assert.Contains(_logs.Lines, line => line.Contains("RequestPath:/health/live", StringComparison.Ordinal));
    }
}
