using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using MimeKit;
using SendGate.Api.SmtpIngress;
using SendGate.IntegrationTests.Infrastructure;
using SendGate.IntegrationTests.Policies;
using SendGate.Tests.ExternalTools;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;

namespace SendGate.IntegrationTests.SmtpIngress;

/// <summary>
/// The smart-host path as companies run it: a real Postfix (Debian's, its own instance with its
/// own configuration and queue) has SendGate as its <c>relayhost</c>, with STARTTLS and SASL AUTH.
/// Mail handed to Postfix reaches SendGate's policy and then the relay after it. Needs root (Postfix's
/// master runs as root); CI runs as root.
/// </summary>
public sealed class PostfixRelayTests : AppWithSmtpTest
{
    private string _certificate = "";
    private string _folder = "";
    private Process? _postfix;

    protected override IDictionary<string, string?> Settings => IngressSettings.WithStartTls(out _certificate);

    public override async Task DisposeAsync()
    {
        if (_postfix is not null)
        {
            ExternalTool.Run("postfix", ["-c", Path.Combine(_folder, "conf"), "stop"]);
            if (!_postfix.HasExited)
            {
                _postfix.Kill(entireProcessTree: true);
            }

            await _postfix.WaitForExitAsync();
            _postfix.Dispose();
        }

        await base.DisposeAsync();
    }

    /// <summary>Starts a Postfix of its own that relays everything to SendGate; returns the port it takes mail on.</summary>
    private async Task<int> StartPostfixAsync(string username, string password)
    {
        var sendGate = App.Service<SmtpIngressHost>().Endpoints.Single().Port;
        _folder = Path.Combine(App.Folder, "postfix");
        var conf = Path.Combine(_folder, "conf");
        Directory.CreateDirectory(conf);
        Directory.CreateDirectory(Path.Combine(_folder, "queue"));
        Directory.CreateDirectory(Path.Combine(_folder, "data"));
        Assert.Equal(0, ExternalTool.Run("chown", ["postfix", Path.Combine(_folder, "data")]).ExitCode);
        // Below the ephemeral range, so that no socket of another test is handed this port meanwhile.
        var port = Random.Shared.Next(20_000, 30_000);

        // Debian's master.cf, with the smtpd on a port of this test and no chroot (which would need copies of /etc).
        var master = File.ReadAllLines("/etc/postfix/master.cf")
            .Select(line => line.StartsWith("smtp ", StringComparison.Ordinal) && line.Contains(" inet ", StringComparison.Ordinal)
                ? $"127.0.0.1:{port} inet n - n - - smtpd"
                : line);
        await File.WriteAllLinesAsync(Path.Combine(conf, "master.cf"), master);
        await File.WriteAllTextAsync(Path.Combine(conf, "sasl_passwd"), $"[127.0.0.1]:{sendGate} {username}:{password}\n");
        await File.WriteAllTextAsync(Path.Combine(conf, "main.cf"), $"""
            compatibility_level = 3.6
            queue_directory = {Path.Combine(_folder, "queue")}
            data_directory = {Path.Combine(_folder, "data")}
            myhostname = relay.example.co.jp
            mydomain = example.co.jp
            myorigin = $mydomain
            mydestination =
            alias_maps =
            alias_database =
            inet_interfaces = loopback-only
            inet_protocols = ipv4
            mynetworks = 127.0.0.0/8
            relayhost = [127.0.0.1]:{sendGate}
            smtp_tls_security_level = encrypt
            smtp_tls_loglevel = 1
            smtp_sasl_auth_enable = yes
            smtp_sasl_password_maps = texthash:{Path.Combine(conf, "sasl_passwd")}
            smtp_sasl_security_options = noanonymous
            smtp_sasl_tls_security_options = noanonymous
            maillog_file = /dev/stdout

            """);
        Assert.Equal(0, ExternalTool.Run("postconf", ["-c", conf, "-F", "*/*/chroot = n"]).ExitCode);

        var start = new ProcessStartInfo("postfix") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-c", conf, "start-fg" })
        {
            start.ArgumentList.Add(argument);
        }

        _postfix = Process.Start(start)!;
        _postfix.OutputDataReceived += (_, e) => Log(e.Data);
        _postfix.ErrorDataReceived += (_, e) => Log(e.Data);
        _postfix.BeginOutputReadLine();
        _postfix.BeginErrorReadLine();
        await UntilAsync(() => SmtpGreeting.Of(port)?.Contains("ESMTP Postfix", StringComparison.Ordinal) == true, $"Postfix did not listen on {port}:\n{PostfixLog}");
        return port;
    }

    private readonly System.Text.StringBuilder _log = new();

    private string PostfixLog
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    private void Log(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }

    [ToolFact("postfix", "postconf", "chown", Dkim.DkimVerifier.Tool)]
    public async Task Mail_handed_to_postfix_reaches_sendgate_over_starttls_and_auth_and_leaves_after_the_policy_signed_by_sendgate()
    {
        await Client.SetInternalDomainsAsync("example.co.jp");
        var dkim = await (await Client.PostAsJsonAsync("/v1/dkim/keys", new { domain = "example.co.jp", selector = "relay" })).JsonAsync();
        Assert.Equal(HttpStatusCode.OK, (await Client.PostAsync($"/v1/dkim/keys/{dkim.Str("id")}/activate", null)).StatusCode);
        var created = await (await Client.PostAsJsonAsync("/v1/smtp/credentials", new { name = "Postfix relay" })).JsonAsync();
        var port = await StartPostfixAsync(created.GetProperty("credential").Str("username"), created.Str("password"));

        var mail = new MimeMessage();
        mail.From.Add(new MailboxAddress("山田 花子", "hanako@example.co.jp"));
        mail.To.Add(new MailboxAddress("田中 様", "tanaka@partner.co.jp"));
        mail.Subject = "Postfix経由のお見積り";
        mail.Body = new TextPart("plain") { Text = "いつもお世話になっております。\n" };
        using (var client = new MailKit.Net.Smtp.SmtpClient())
        {
            await client.ConnectAsync("127.0.0.1", port, MailKit.Security.SecureSocketOptions.None);
            // An envelope recipient the header does not name: Bcc, as Outlook's Bcc reaches the server.
            await client.SendAsync(mail, new MailboxAddress("", "hanako@example.co.jp"), [new MailboxAddress("", "tanaka@partner.co.jp"), new MailboxAddress("", "archive@partner.co.jp")]);
            await client.DisconnectAsync(quit: true);
        }

        // Postfix relays on its own schedule: wait for the message to be in SendGate (bounded).
        System.Text.Json.JsonElement item = default;
        await UntilAsync(async () =>
        {
            var items = (await (await Client.GetAsync("/v1/messages")).JsonAsync()).GetProperty("items");
            if (items.GetArrayLength() == 0)
            {
                return false;
            }

            item = items[0];
            return true;
        }, $"SendGate never received the mail from Postfix:\n{PostfixLog}");
        Assert.Contains("status=sent (250 2.0.0 Ok: queued as", PostfixLog, StringComparison.Ordinal);
        Assert.Contains($"TLS connection established to 127.0.0.1[127.0.0.1]:{App.Service<SmtpIngressHost>().Endpoints.Single().Port}", PostfixLog, StringComparison.Ordinal);
        // It signed in with the tenant's credential (and could not have without TLS).
        var credential = (await (await Client.GetAsync("/v1/smtp/credentials")).JsonAsync()).GetProperty("items")[0];
        Assert.NotEqual(System.Text.Json.JsonValueKind.Null, credential.GetProperty("lastUsedAt").ValueKind);

        var id = item.Str("id");
        var stored = await (await Client.GetAsync($"/v1/messages/{id}")).JsonAsync();
        Assert.Equal("smtp", stored.Str("door"));
        Assert.Equal("Postfix経由のお見積り", stored.Str("subject"));
        var kinds = stored.GetProperty("recipients").EnumerateArray().ToDictionary(r => r.Str("address"), r => r.Str("kind"));
        Assert.Equal("to", kinds["tanaka@partner.co.jp"]);
        Assert.Equal("bcc", kinds["archive@partner.co.jp"]);

        await App.DeliverDueAsync();
        var delivered = Smtp.Received.Single();
        Assert.Equal(["archive@partner.co.jp", "tanaka@partner.co.jp"], delivered.To.Order(StringComparer.Ordinal));
        var received = delivered.Parse();
        Assert.Equal("Postfix経由のお見積り", received.Subject);
        // Postfix's own trace header came through SendGate untouched.
        Assert.Contains(received.Headers, h => h.Field == "Received" && h.Value.Contains("relay.example.co.jp", StringComparison.Ordinal));
        // Signed by SendGate as it left, over everything Postfix and SendGate added on the way.
        Dkim.DkimVerifier.AssertSignedBy(Dkim.DkimVerifier.Verify(App.Folder, delivered.Raw, Dkim.DkimVerifier.Record(dkim)), "example.co.jp", "relay");
    }

    private static Task UntilAsync(Func<bool> condition, string failure) => UntilAsync(() => Task.FromResult(condition()), failure);

    /// <summary>Waits for another process to have done something (bounded), not for time to pass.</summary>
    private static async Task UntilAsync(Func<Task<bool>> condition, string failure)
    {
        for (var i = 0; i < 600; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail(failure);
    }
}
