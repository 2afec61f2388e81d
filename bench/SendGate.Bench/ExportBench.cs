using System.Globalization;
using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MimeKit;
using SendGate.Core;
using SendGate.Core.Archive;
using SendGate.Core.Data;
using SendGate.Core.Messages;
using SendGate.Core.Mime;

namespace SendGate.Bench;

/// <summary>
/// Memory of the mbox export (<c>GET /v1/messages/export</c>, through <see cref="MboxExport"/>) as
/// the export grows: MESSAGES messages with an attachment of KILOBYTES each are archived through
/// the product's own services, then a quarter of them and all of them are exported to a sink while
/// what is alive on the managed heap is sampled (a full collection, then the heap's size, every few
/// milliseconds: garbage waiting for the collector is not memory the export holds). Flat means the
/// larger export's live peak above the idle baseline stays about the smaller one's although it
/// writes four times as much (growing with the export, it would be 4×). Target: at most 2× the
/// smaller one's — the peaks are a few MiB, where timing moves them by a MiB or so.
/// </summary>
internal static class ExportBench
{
    public static Task<int> RunAsync(int messages, int kilobytes) => BenchHost.InTemporaryFolderAsync("sendgate-exportbench-", async work =>
    {
        var (host, tenantId) = await BenchHost.StartAsync(work);
        using var hosted = host;
        var services = host.Services;

        var quarter = messages / 4;
        var archived = 0L;
        for (var i = 0; i < messages; i++)
        {
            archived += await SubmitAsync(services, tenantId, kilobytes, i < quarter ? "見積 first-quarter" : "見積 the rest", i);
        }

        // The group-commit writer lets go of the last batch a moment after its callers resume.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var export = services.GetRequiredService<MboxExport>();
        var small = await MeasureAsync(export, tenantId, new MessageFilter { SubjectContains = "first-quarter", Limit = 200 });
        var large = await MeasureAsync(export, tenantId, new MessageFilter { Limit = 200 });
        await host.StopAsync();

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"archive: {messages} messages of {archived / (double)messages / 1024:F0} KiB ({kilobytes} KiB random attachment, base64), {archived / 1048576.0:F1} MiB"));
        foreach (var (label, run) in new[] { ("a quarter", small), ("all", large) })
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"export {label,-9}: {run.Messages,4} messages, {run.Bytes / 1048576.0,6:F1} MiB written; live heap peak {run.Extra / 1048576.0:F2} MiB above idle; allocated {run.Allocated / 1048576.0:F1} MiB"));
        }

        var ratio = large.Extra / (double)Math.Max(1, small.Extra);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"written {large.Bytes / (double)small.Bytes:F2}x as much, peak {ratio:F2}x as high; target: peak at most 2x (memory growing with the export: 4x) — {(ratio <= 2 ? "met" : "MISSED")}"));
        return large.Messages == messages && small.Messages == quarter && ratio <= 2 ? 0 : 1;
    });

    private sealed record Run(int Messages, long Bytes, long Extra, long Allocated);

    private static async Task<Run> MeasureAsync(MboxExport export, string tenantId, MessageFilter filter)
    {
        var sink = new CountingSink();
        var heap = await BenchHost.MeasureHeapAsync(async () =>
        {
            await export.WriteAsync(sink, tenantId, filter, sent: false, CancellationToken.None);
            return sink;
        }, liveOnly: true);
        return new Run(sink.Separators, sink.Length, heap.Extra, heap.Allocated);
    }

    private static async Task<long> SubmitAsync(IServiceProvider services, string tenantId, int kilobytes, string subject, int seed)
    {
        var attachment = new byte[kilobytes * 1024];
        new Random(seed).NextBytes(attachment);
        var message = new MimeMessage { Subject = subject };
        message.From.Add(MailboxAddress.Parse("sender@example.co.jp"));
        message.To.Add(MailboxAddress.Parse("customer@example.com"));
        var body = new BodyBuilder { TextBody = "見積書をお送りします。\r\nFrom the sales team.\r\n" };
        body.Attachments.Add("見積書.bin", attachment);
        message.Body = body.ToMessageBody();
        using var raw = new MemoryStream();
        message.WriteTo(raw);
        var bytes = raw.ToArray();

        var prepared = services.GetRequiredService<MessageIntake>().FromMime(bytes, "msg_bench").Message!;
        var outcome = await services.GetRequiredService<SubmissionService>().SubmitAsync(new Actor(tenantId, "bench"), SubmissionService.NewMessageId(), prepared, null, null);
        if (outcome is not SubmitOutcome.Accepted)
        {
            throw new InvalidOperationException($"The message was not accepted: {outcome}");
        }

        return bytes.Length;
    }

    /// <summary>Counts what is written, and the mbox separators, keeping nothing.</summary>
    private sealed class CountingSink : Stream
    {
        private long _length;

        public int Separators { get; private set; }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;
        public override long Position { get => _length; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            // Separators are written alone, as the start of a write ("From sender date\n").
            if (buffer.StartsWith("From "u8))
            {
                Separators++;
            }

            _length += buffer.Length;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }
    }
}
