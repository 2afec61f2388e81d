// Several benchmarks in one tool.
//
//   dotnet run -c Release --project bench/SendGate.Bench -- policy [ITERATIONS]
//
// Policy evaluation: a 50-rule policy on typical messages; see PolicyBench.cs.
//
//   dotnet run -c Release --project bench/SendGate.Bench -- zip [LEVEL] [ROUNDS]
//   dotnet run -c Release --project bench/SendGate.Bench -- memory [MEGABYTES] [random|text]
//
// Zip encryption against 7zz (ZipBench.cs); memory of encrypting and delivering one large message (MemoryBench.cs).
//
//   dotnet run -c Release --project bench/SendGate.Bench -- search [MESSAGES=1000000] [KEEP_FOLDER]
//
// Message search over a large SQLite database (SearchBench.cs); with KEEP_FOLDER the database is
// kept there and reused by the next run instead of loaded again.
//
// SMTP lane probe: how fast one SendGate delivery lane sends ~5 KB messages to a relay.
//
//   dotnet run -c Release --project bench/SendGate.Bench -- PORT [MESSAGES] [LANES] [PIPELINING]
//
// Sends MESSAGES (default 2000) to 127.0.0.1:PORT over LANES (default 1) connections, twice:
//   product   - through SendGate.Core's SmtpTransportFactory, exactly as the delivery worker does;
//   nodelay   - plain MailKit over a socket with TCP_NODELAY set, for comparison.
// Point it at smtp-sink (smtp-sink -u postfix -c 127.0.0.1:PORT 256) or any SMTP sink.
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;
using SendGate.Core;
using SendGate.Core.Delivery;
using SendGate.Core.Mime;

if (args.Length >= 1 && args[0] == "search")
{
    return await SendGate.Bench.SearchBench.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000, args.Length > 2 ? args[2] : null);
}

if (args.Length >= 1 && args[0] == "memory")
{
    return await SendGate.Bench.MemoryBench.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 25, args.Length > 2 ? args[2] : "random");
}

if (args.Length >= 1 && args[0] == "export")
{
    return await SendGate.Bench.ExportBench.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200,
        args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 300);
}

if (args.Length >= 1 && args[0] == "zip")
{
    return SendGate.Bench.ZipBench.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 6, args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3);
}

if (args.Length >= 1 && args[0] == "policy")
{
    return SendGate.Bench.PolicyBench.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3000);
}

if (args.Length >= 1 && args[0] == "prevention")
{
    return await SendGate.Bench.PreventionBench.RunAsync(args.Length > 1 ? args[1] : null);
}

if (args.Length < 1 || !int.TryParse(args[0], CultureInfo.InvariantCulture, out var port))
{
    Console.Error.WriteLine("usage: SendGate.Bench policy [ITERATIONS] | search [MESSAGES] [KEEP_FOLDER] | export [MESSAGES] [KILOBYTES] | SendGate.Bench PORT [MESSAGES] [LANES] [PIPELINING]");
    return 2;
}

var messages = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2000;
var lanes = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1;
var pipelining = args.Length <= 3 || bool.Parse(args[3]);
const string Line = "The quick brown fox jumps over the lazy dog. 0123456789 abcdefghijklmnopqrst\n";
var text = string.Concat(Enumerable.Repeat(Line, 5000 / Line.Length));
var sender = MailboxAddress.Parse("bench@example.com");
var recipients = new[] { MailboxAddress.Parse("rcpt@example.net") };

MimeMessage NewMessage()
{
    var message = new MimeMessage { Subject = "bench" };
    message.From.Add(sender);
    message.To.Add(recipients[0]);
    message.Body = new TextPart("plain") { Text = text };
    return message;
}

var smtp = new SmtpOptions { Host = "127.0.0.1", Port = port, Security = SmtpSecurity.None, Pipelining = pipelining };
var factory = new SmtpTransportFactory(Options.Create(smtp));

async Task ProductLane(int count)
{
    await using var lane = factory.Create();
    for (var i = 0; i < count; i++)
    {
        var result = await lane.SendAsync(new OutgoingMessage($"probe-{i}", "probe", NewMessage(), sender, recipients), CancellationToken.None);
        if (result.Kind != TransportResultKind.Delivered)
        {
            throw new InvalidOperationException($"relay did not take the message: {result.Reply}");
        }
    }
}

async Task NoDelayLane(int count)
{
    using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    await socket.ConnectAsync("127.0.0.1", port);
    using var client = new SmtpClient();
    await client.ConnectAsync(socket, "127.0.0.1", port, SecureSocketOptions.None);
    if (!pipelining)
    {
        client.Capabilities &= ~SmtpCapabilities.Pipelining;
    }

    for (var i = 0; i < count; i++)
    {
        await client.SendAsync(MessageIntake.WriteFormat, NewMessage(), sender, recipients);
    }

    await client.DisconnectAsync(true);
}

async Task Measure(string name, Func<int, Task> lane)
{
    await lane(20); // connect once and JIT the path before timing
    var stopwatch = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, lanes).Select(_ => lane(messages / lanes)));
    var seconds = stopwatch.Elapsed.TotalSeconds;
    var sent = messages / lanes * lanes;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{name,-8} lanes={lanes} pipelining={pipelining} messages={sent}: {sent / seconds,8:F0} msg/s, {seconds * 1000 * lanes / sent,7:F2} ms per message per lane"));
}

await Measure("product", ProductLane);
await Measure("nodelay", NoDelayLane);
return 0;
