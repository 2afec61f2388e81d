using System.Net;
using System.Net.Http.Json;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;

namespace SendGate.IntegrationTests.Background;

/// <summary>
/// The one-command set-up: the API host runs the Quartz worker itself and delivers to the pickup
/// folder. This is the only test on the real clock, because it checks the scheduler's wiring.
/// </summary>
public sealed class InProcessWorkerTests
{
    [Fact]
    public async Task Api_host_with_in_process_worker_delivers_to_the_pickup_folder()
    {
        await using var app = new SendGateApp(settings: new Dictionary<string, string?>
        {
            ["SendGate:Worker:InProcess"] = "true",
            ["SendGate:Worker:PollInterval"] = "00:00:00.100",
        }, realClock: true);
        using var client = app.Admin();

        var response = await client.PostAsJsonAsync("/v1/messages", Mail(("bcc", new[] { "hidden@example.com" })));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.JsonAsync()).Str("id");

        var file = Path.Combine(app.Folder, "outbox", $"{id}.eml");
        for (var i = 0; i < 300 && !File.Exists(file); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(File.Exists(file), "the in-process worker should have written the message within 15 s");
        var lines = await File.ReadAllLinesAsync(file);
        Assert.Equal("X-Sender: sender@example.co.jp", lines[0]);
        Assert.Contains("X-Receiver: hidden@example.com", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("Bcc:", StringComparison.OrdinalIgnoreCase));
        // The file lands before the worker records the outcome; wait for the record, not a fixed delay.
        var status = "";
        for (var i = 0; i < 300 && status != "sent"; i++)
        {
            status = (await (await client.GetAsync($"/v1/messages/{id}")).JsonAsync()).Str("status");
            if (status != "sent")
            {
                await Task.Delay(50);
            }
        }

        Assert.Equal("sent", status);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(app.Folder, "outbox"), "*.tmp", SearchOption.AllDirectories));
    }
}
