using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MailKit.Net.Smtp;
using Microsoft.Data.Sqlite;
using MimeKit;
using SendGate.IntegrationTests.Operator;

namespace SendGate.IntegrationTests.SmtpIngress;

/// <summary>
/// The 250 is a promise: the API host, run as an operator runs it, is killed (SIGKILL) while
/// clients are in the middle of DATA. Every message that got 250 is there after a restart; a
/// client that sends the unanswered ones again (as an MTA does) gets each stored exactly once,
/// and the restarted host's worker delivers every one of them once.
/// </summary>
public sealed class SmtpCrashTests : IDisposable
{
    private const int Clients = 6;

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "sendgate-tests", "smtp-crash-" + Guid.NewGuid().ToString("N"));

    public SmtpCrashTests() => Directory.CreateDirectory(_folder);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    private string Database => $"Data Source={Path.Combine(_folder, "sendgate.db")}";

    private string Outbox => Path.Combine(_folder, "outbox");

    private Dictionary<string, string> Environment(int port, bool deliver) => new()
    {
        ["SendGate__Database__Provider"] = "Sqlite",
        ["SendGate__Database__ConnectionString"] = Database,
        ["SendGate__Bootstrap__ApiKey"] = "sg_crash_test_0123456789abcdefghijklmn",
        ["SendGate__Policy__InitialPolicy"] = "empty",
        // Before the kill nothing leaves (what was stored is what is counted); after it, the worker delivers to the pickup folder.
        ["SendGate__Worker__InProcess"] = deliver ? "true" : "false",
        ["SendGate__Worker__PollInterval"] = "00:00:00.200",
        ["SendGate__Delivery__Mode"] = "Pickup",
        ["SendGate__Delivery__PickupDirectory"] = Outbox,
        ["SendGate__Encryption__PasswordKeyFile"] = Path.Combine(_folder, "password.key"),
        ["SendGate__Audit__KeyFile"] = Path.Combine(_folder, "audit.key"),
        ["SendGate__Archive__BlobFolder"] = Path.Combine(_folder, "blobs"),
        ["SendGate__SmtpIngress__Enabled"] = "true",
        ["SendGate__SmtpIngress__Endpoints__0__Address"] = "127.0.0.1",
        ["SendGate__SmtpIngress__Endpoints__0__Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["SendGate__SmtpIngress__Endpoints__0__Tls"] = "none",
    };

    private RunningHost Start(int port, bool deliver = false)
    {
        var host = HostProcess.Start(HostProcess.ApiDll, _folder, Environment(port, deliver));
        for (var i = 0; i < 600 && !host.HasExited && !Greets(port); i++)
        {
            Thread.Sleep(50);
        }

        Assert.True(Greets(port), $"the host did not listen for SMTP on {port}:\n{host.Output}");
        return host;
    }

    private static bool Greets(int port) => SmtpGreeting.Of(port)?.StartsWith("220 ", StringComparison.Ordinal) == true;

    /// <summary>
    /// Each message built once: an MTA sends again the bytes it queued, and MimeKit dates a new
    /// message with the clock, so building it anew would be a different message with the same id.
    /// </summary>
    private readonly ConcurrentDictionary<string, MimeMessage> _mails = new();

    private MimeMessage Mail(string name) => _mails.GetOrAdd(name, Build);

    private static MimeMessage Build(string name)
    {
        var mail = new MimeMessage();
        mail.From.Add(new MailboxAddress("", "hanako@example.co.jp"));
        mail.To.Add(new MailboxAddress("", "tanaka@partner.co.jp"));
        mail.Subject = name;
        // The same Message-ID when sent again: that is how a repeat is known.
        mail.MessageId = $"{name}@example.co.jp";
        mail.Body = new TextPart("plain") { Text = string.Concat(Enumerable.Repeat("本文の行です。 body line\n", 200)) };
        return mail;
    }

    private List<string> StoredSubjects()
    {
        using var connection = new SqliteConnection(Database);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT subject FROM messages";
        using var reader = command.ExecuteReader();
        var subjects = new List<string>();
        while (reader.Read())
        {
            subjects.Add(reader.GetString(0));
        }

        return subjects;
    }

    /// <summary>The subjects of the messages in the pickup folder: one file per stored message (named by its id), so a message stored twice would be there twice.</summary>
    private List<string> Delivered() =>
        Directory.Exists(Outbox)
            ? Directory.GetFiles(Outbox, "*.eml").Select(f => MimeMessage.Load(f).Subject ?? "").ToList()
            : [];

    [Fact]
    public async Task Every_message_answered_250_survives_a_kill_and_a_client_that_sends_again_stores_none_twice()
    {
        // Below the ephemeral range: no other test's socket is handed this port.
        var port = Random.Shared.Next(30_000, 32_000);
        var acknowledged = new ConcurrentBag<string>();
        var attempted = new ConcurrentBag<string>();
        using (var host = Start(port))
        {
            // Connector mode for this machine, written as the API would (the host caches connectors briefly, none yet).
            using (var connection = new SqliteConnection(Database))
            {
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = "INSERT INTO smtp_connectors (tenant_id, networks, require_tls, updated_at) SELECT id, '[\"127.0.0.1/32\"]', 0, 0 FROM tenants";
                Assert.Equal(1, command.ExecuteNonQuery());
            }

            using var stop = new CancellationTokenSource();
            var senders = Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
            {
                using var client = new SmtpClient();
                try
                {
                    await client.ConnectAsync("127.0.0.1", port, MailKit.Security.SecureSocketOptions.None);
                    for (var i = 0; !stop.IsCancellationRequested; i++)
                    {
                        var name = $"m-{c}-{i}";
                        attempted.Add(name);
                        await client.SendAsync(Mail(name));
                        acknowledged.Add(name);
                    }
                }
                catch (Exception ex) when (ex is IOException or SocketException or SmtpProtocolException or SmtpCommandException or OperationCanceledException)
                {
                    // The host died under it: what was not answered is the client's to send again.
                }
            })).ToList();

            // Kill it while the clients are busy: once enough have been answered, mid-stream.
            for (var i = 0; i < 600 && acknowledged.Count < 60; i++)
            {
                await Task.Delay(20);
            }

            host.Dispose();
            await stop.CancelAsync();
            await Task.WhenAll(senders);
        }

        Assert.True(acknowledged.Count >= 60, $"only {acknowledged.Count} answered before the kill");
        // The kill came mid-transaction for at least one client: a message was sent and never answered.
        Assert.True(attempted.Count > acknowledged.Count, "no message was in flight when the host was killed");
        var afterCrash = StoredSubjects();
        Assert.Empty(acknowledged.Except(afterCrash));
        Assert.Empty(afterCrash.Except(attempted));

        // The clients send again what they never heard 250 for; each is stored once at most, and
        // everything stored is delivered, once.
        var expected = attempted.Distinct().Order(StringComparer.Ordinal).ToList();
        using (var host = Start(port, deliver: true))
        {
            using var client = new SmtpClient();
            await client.ConnectAsync("127.0.0.1", port, MailKit.Security.SecureSocketOptions.None);
            foreach (var name in attempted.Except(acknowledged))
            {
                await client.SendAsync(Mail(name));
            }

            await client.DisconnectAsync(quit: true);
            Assert.Equal(expected, StoredSubjects().Order(StringComparer.Ordinal));

            // Waiting for the worker (a real process on the real clock), not timing it.
            for (var i = 0; i < 1200 && Delivered().Count < expected.Count && !host.HasExited; i++)
            {
                await Task.Delay(50);
            }
        }

        Assert.Equal(expected, Delivered().Order(StringComparer.Ordinal));
    }
}
