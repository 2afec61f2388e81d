using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SendGate.Core.Archive;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;

namespace SendGate.IntegrationTests.Archive;

/// <summary>
/// A full disk under the blob folder: submissions are answered 507 storage-full with Retry-After
/// and leave no temporary file; what was accepted before stays, and is delivered.
/// </summary>
public sealed class StorageFullTests : IAsyncLifetime
{
    private readonly FullDisk _disk = new();
    private SmtpTestServer _smtp = null!;
    private SendGateApp _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _smtp = await SmtpTestServer.StartAsync();
        _app = new SendGateApp(_smtp, services: services =>
        {
            services.RemoveAll<BlobFiles>();
            services.AddSingleton<BlobFiles>(_disk);
        });
        _client = _app.Admin();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
        await _smtp.DisposeAsync();
    }

    [Fact]
    public async Task Disk_full_answers_507_storage_full_leaves_no_temporary_file_and_loses_nothing_accepted()
    {
        // Above SendGate:Archive:InlineUpTo (64 KiB): the original goes to the blob folder.
        var attachment = new { filename = "report.pdf", content = Convert.ToBase64String(new byte[100 * 1024]) };
        var before = await _client.PostAsJsonAsync("/v1/messages", Mail(("subject", "accepted before"), ("attachments", new[] { attachment })));
        Assert.Equal(HttpStatusCode.Accepted, before.StatusCode);
        var small = await _client.PostAsJsonAsync("/v1/messages", Mail(("subject", "small, accepted before")));
        Assert.Equal(HttpStatusCode.Accepted, small.StatusCode);
        var accepted = new[] { (await before.JsonAsync()).Str("id"), (await small.JsonAsync()).Str("id") };
        var original = await _client.GetByteArrayAsync($"/v1/messages/{accepted[0]}/mime");

        _disk.Full = true;
        var json = await _client.PostAsJsonAsync("/v1/messages", Mail(("subject", "while full"), ("attachments", new[] { attachment })));
        var mime = new ByteArrayContent(Encoding.ASCII.GetBytes(
            "From: a@example.com\r\nTo: b@example.com\r\nSubject: while full\r\n\r\n" + new string('x', 100 * 1024) + "\r\n"));
        mime.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
        var raw = await _client.PostAsync("/v1/messages", mime);

        foreach (var response in new[] { json, raw })
        {
            var problem = await response.ProblemAsync(HttpStatusCode.InsufficientStorage, "storage-full");
            Assert.Contains("Retry", problem.Str("detail"));
            Assert.Equal(TimeSpan.FromSeconds(60), response.Headers.RetryAfter?.Delta);
        }

        Assert.True(_disk.Refused >= 2, $"the full disk refused {_disk.Refused} write(s)");
        Assert.Empty(TemporaryFiles());
        var listed = (await (await _client.GetAsync("/v1/messages")).JsonAsync()).GetProperty("items").EnumerateArray().Select(m => m.Str("id"));
        Assert.Equal(accepted.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
        Assert.Equal(original, await _client.GetByteArrayAsync($"/v1/messages/{accepted[0]}/mime"));

        // Still full: what was accepted is delivered; only the archive's copy of the large one is missing.
        var run = await _app.DeliverDueAsync();
        Assert.Equal(2, run.Sent);
        Assert.Equal(["accepted before", "small, accepted before"], _smtp.Received.Select(m => m.Parse().Subject).Order(StringComparer.Ordinal));
        Assert.Empty(TemporaryFiles());

        _disk.Full = false;
        var after = await _client.PostAsJsonAsync("/v1/messages", Mail(("subject", "after space was freed"), ("attachments", new[] { attachment })));
        Assert.Equal(HttpStatusCode.Accepted, after.StatusCode);
    }

    private string[] TemporaryFiles()
    {
        var folder = Path.Combine(_app.Folder, "blobs");
        return Directory.Exists(folder)
            ? Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Where(f => Path.GetFileName(f).EndsWith(".tmp", StringComparison.Ordinal)).ToArray()
            : [];
    }

    /// <summary>
    /// The blob folder's files on a disk that may be full: the file is created for real, and
    /// writing to it fails as the operating system fails it (ENOSPC, errno 28, as the IOException's HResult).
    /// </summary>
    private sealed class FullDisk : BlobFiles
    {
        private int _refused;

        public volatile bool Full;

        public int Refused => _refused;

        public override FileStream CreateNew(string path, bool asynchronous) =>
            Full ? new FullFile(path, asynchronous, this) : base.CreateNew(path, asynchronous);

        private sealed class FullFile(string path, bool asynchronous, FullDisk disk)
            : FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, asynchronous ? FileOptions.Asynchronous : FileOptions.None)
        {
            public override void Write(byte[] buffer, int offset, int count) => throw NoSpace();

            public override void Write(ReadOnlySpan<byte> buffer) => throw NoSpace();

            public override void WriteByte(byte value) => throw NoSpace();

            public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromException(NoSpace());

            public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromException(NoSpace());

            private IOException NoSpace()
            {
                Interlocked.Increment(ref disk._refused);
                return new IOException($"No space left on device : '{Name}'", 28);
            }
        }
    }
}
