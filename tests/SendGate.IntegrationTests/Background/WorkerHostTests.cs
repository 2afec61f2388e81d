using System.Net;
using System.Net.Http.Json;
using SendGate.IntegrationTests.Infrastructure;
using SendGate.IntegrationTests.Operator;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;

namespace SendGate.IntegrationTests.Background;

/// <summary>
/// The scale-out set-up: an API host that only accepts (SendGate:Worker:InProcess=false) and the
/// worker host alone, as an operator starts it, sharing one database. On the real clock, because
/// the worker is another process.
/// </summary>
public sealed class WorkerHostTests
{
    [Fact]
    public async Task The_worker_host_alone_delivers_what_an_api_host_without_a_worker_accepted()
    {
        await using var app = new SendGateApp();
        using var client = app.Admin();
        var response = await client.PostAsJsonAsync("/v1/messages", Mail());
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.JsonAsync()).Str("id");
        var file = Path.Combine(app.Folder, "outbox", $"{id}.eml");
        Assert.False(File.Exists(file), "the API host must not deliver with its worker elsewhere");

        using var worker = HostProcess.Start(HostProcess.WorkerDll, app.Folder, new Dictionary<string, string>
        {
            ["SendGate__Database__Provider"] = TestDatabase.SqlServer is null ? "Sqlite" : "SqlServer",
            ["SendGate__Database__ConnectionString"] = app.ConnectionString,
            ["SendGate__Worker__PollInterval"] = "00:00:00.200",
            ["SendGate__Delivery__Mode"] = "Pickup",
            ["SendGate__Delivery__PickupDirectory"] = Path.Combine(app.Folder, "outbox"),
            ["SendGate__Encryption__PasswordKeyFile"] = Path.Combine(app.Folder, "password.key"),
            ["SendGate__Audit__KeyFile"] = Path.Combine(app.Folder, "audit.key"),
            ["SendGate__Archive__BlobFolder"] = Path.Combine(app.Folder, "blobs"),
        });

        var status = "";
        for (var i = 0; i < 600 && status != "sent" && !worker.HasExited; i++)
        {
            status = (await (await client.GetAsync($"/v1/messages/{id}")).JsonAsync()).Str("status");
            if (status != "sent")
            {
                await Task.Delay(50);
            }
        }

        Assert.True(status == "sent", $"the worker host should have sent the message within 30 s; it is {status}\n{worker.Output}");
        Assert.True(File.Exists(file), worker.Output);
    }
}
