using SendGate.Core;
using SendGate.Core.Background;

// The worker alone, for scale-out: several of these (and API hosts with SendGate:Worker:InProcess=false)
// can run against one database; leases keep them from sending a message twice.
// appsettings.json sits beside the binary, wherever the worker is started from.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
// A bad setting ends the start here with one line naming it, not with the binder's stack traces.
if (!SendGate.Core.Hosting.Settings.Check(builder.Configuration, Console.Error))
{
    return 2;
}

builder.Services.AddSendGateCore();
builder.Services.AddSendGateWorker(WorkerHosting.Dedicated);

await builder.Build().RunAsync();
return 0;
