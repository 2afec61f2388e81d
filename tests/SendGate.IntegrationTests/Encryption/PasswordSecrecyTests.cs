using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using Dapper;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.Encryption;

/// <summary>The zip password is never stored in clear, never logged, never returned; it is erased once mailed.</summary>
public sealed partial class PasswordSecrecyTests : IAsyncLifetime
{
    private readonly CollectingLoggerProvider _logs = new();
    private SmtpTestServer _smtp = null!;
    private SendGateApp _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _smtp = await SmtpTestServer.StartAsync();
        _app = new SendGateApp(_smtp, logs: _logs);
        _client = _app.Admin();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
        await _smtp.DisposeAsync();
    }

    [Fact]
    public async Task The_password_is_only_in_the_password_mail()
    {
        await _client.SetPolicyAsync(Rule("zip", [new { type = "encryptAttachments", passwordDelay = "PT10M" }], new { type = "attachmentCount", min = 1 }));
        var accepted = await (await _client.PostAsJsonAsync("/v1/messages", Mail(("attachments", new[] { Attachment("秘密.txt", Encoding.UTF8.GetBytes("secret")) })))).JsonAsync();
        var id = accepted.Str("id");
        await _app.DeliverDueAsync();

        // While the password waits for its mail, the database holds it encrypted only.
        var database = Path.Combine(_app.Folder, "sendgate.db");
        var snapshot = Snapshot(database);
        var row = await StoredAsync(id);
        Assert.NotNull(row.Ciphertext);

        _app.Time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(1, await _app.DeliverPasswordMailsAsync());
        var password = PasswordLine().Match(_smtp.Received.Last().Parse().TextBody ?? "").Groups[1].Value;
        Assert.Equal(12, password.Length);

        var clear = Encoding.UTF8.GetBytes(password);
        Assert.DoesNotContain(snapshot, bytes => bytes.AsSpan().IndexOf(clear) >= 0);
        Assert.DoesNotContain(Snapshot(database), bytes => bytes.AsSpan().IndexOf(clear) >= 0);
        Assert.DoesNotContain(_logs.Lines, line => line.Contains(password, StringComparison.Ordinal));
        Assert.NotEmpty(_logs.Lines);

        // Once mailed it is erased; a keyed hash remains to prove which password it was.
        var after = await StoredAsync(id);
        Assert.Null(after.Ciphertext);
        Assert.Matches("^[0-9a-f]{64}$", after.Hash);
        Assert.NotEqual(password, after.Hash);

        foreach (var path in new[] { $"/v1/messages/{id}", $"/v1/messages/{id}/events", "/v1/messages" })
        {
            Assert.DoesNotContain(password, await _client.GetStringAsync(path), StringComparison.Ordinal);
        }
    }

    /// <summary>The SQLite files' bytes as they are on disk (empty with SQL Server, whose files are not here).</summary>
    private static List<byte[]> Snapshot(string database) =>
        new[] { database, database + "-wal" }.Where(File.Exists).Select(path =>
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }).ToList();

    private async Task<(byte[]? Ciphertext, string Hash)> StoredAsync(string messageId)
    {
        await using var connection = await _app.Service<SendGate.Core.Data.IDbConnectionFactory>().OpenAsync();
        return await connection.QuerySingleAsync<(byte[]?, string)>(
            "SELECT password_ciphertext, password_hash FROM password_mails WHERE message_id = @messageId", new { messageId });
    }

    [GeneratedRegex("パスワード：([A-Za-z0-9]+)")]
    private static partial Regex PasswordLine();
}
