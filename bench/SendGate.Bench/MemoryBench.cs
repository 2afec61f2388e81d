using System.Globalization;
using System.Text;
using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MimeKit;
using SendGate.Core;
using SendGate.Core.Data;
using SendGate.Core.Delivery;
using SendGate.Core.Messages;
using SendGate.Core.Mime;
using SendGate.Core.Policies;

namespace SendGate.Bench;

/// <summary>
/// Memory while a message with one large attachment is encrypted and delivered, through the
/// product's own services (SQLite, the delivery service, pickup delivery): the managed heap's
/// peak above the idle baseline measured just before, as a multiple of the message's size.
/// Target: about 1.5× at most.
/// </summary>
internal static class MemoryBench
{
    public static Task<int> RunAsync(int megabytes, string kind) => BenchHost.InTemporaryFolderAsync("sendgate-membench-", async work =>
    {
        var (host, tenantId) = await BenchHost.StartAsync(work);
        using var hosted = host;
        var services = host.Services;

        await services.GetRequiredService<PolicyService>().ReplaceAsync(tenantId, new PolicyDocument
        {
            Rules = [new RuleSpec { Id = "zip", Name = "zip", Actions = [new ActionSpec { Type = "encryptAttachments", Method = "aes256" }] }],
        }, "bench");

        var size = await SubmitAsync(services, tenantId, megabytes, kind);

        // The submission's buffers are released once the group-commit writer has moved on
        // (it finishes its batch a moment after the caller resumes): let it, so the baseline is idle.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var delivery = services.GetRequiredService<DeliveryService>();
        var heap = await BenchHost.MeasureHeapAsync(() => delivery.DeliverDueAsync(), liveOnly: false);
        await host.StopAsync();

        var delivered = Directory.GetFiles(Path.Combine(work, "outbox"), "*.eml").Single();
        var extra = heap.Extra / (double)size;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"message {size / 1048576.0:F1} MiB ({megabytes} MiB {kind} attachment, base64), sent {heap.Result.Sent}, delivered file {new FileInfo(delivered).Length / 1048576.0:F1} MiB"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"managed heap: baseline {heap.Baseline / 1048576.0:F1} MiB, peak {heap.Peak / 1048576.0:F1} MiB, extra {heap.Extra / 1048576.0:F1} MiB = {extra:F2}x the message; allocated in total {heap.Allocated / 1048576.0:F1} MiB"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"target: extra <= 1.5x the message — {(extra <= 1.5 ? "met" : "MISSED")}"));
        return heap.Result.Sent == 1 && extra <= 1.5 ? 0 : 1;
    });

    private static async Task<long> SubmitAsync(IServiceProvider services, string tenantId, int megabytes, string kind)
    {
        var attachment = new byte[megabytes * 1024 * 1024];
        var random = new Random(9);
        if (kind == "text")
        {
            // Compressible: Japanese business text with numbers, as in minutes or quotations.
            var line = Encoding.UTF8.GetBytes("第3回定例会議 議事録 見積金額 1,234,000円 納期 2026年12月 ");
            for (var i = 0; i < attachment.Length; i++)
            {
                attachment[i] = i % 97 == 0 ? (byte)('0' + random.Next(10)) : line[i % line.Length];
            }
        }
        else
        {
            random.NextBytes(attachment);
        }
        var message = new MimeMessage { Subject = "図面一式" };
        message.From.Add(MailboxAddress.Parse("sender@example.co.jp"));
        message.To.Add(MailboxAddress.Parse("customer@example.com"));
        var body = new BodyBuilder { TextBody = "図面をお送りします。" };
        body.Attachments.Add("図面.bin", attachment);
        message.Body = body.ToMessageBody();
        using var raw = new MemoryStream();
        message.WriteTo(raw);
        var bytes = raw.ToArray();

        var intake = services.GetRequiredService<MessageIntake>();
        var prepared = intake.FromMime(bytes, "msg_bench").Message!;
        var outcome = await services.GetRequiredService<SubmissionService>().SubmitAsync(new Actor(tenantId, "bench"), SubmissionService.NewMessageId(), prepared, null, null);
        if (outcome is not SubmitOutcome.Accepted { Receipt.Status: MessageStatus.Queued })
        {
            throw new InvalidOperationException($"The message was not queued: {outcome}");
        }

        return bytes.Length;
    }
}
