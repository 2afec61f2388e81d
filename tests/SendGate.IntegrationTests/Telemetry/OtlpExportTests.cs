using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;

namespace SendGate.IntegrationTests.Telemetry;

[Collection(TelemetryCollection.Name)]
public sealed class OtlpExportTests
{
    [Fact]
    public async Task With_an_OTLP_endpoint_spans_and_metrics_are_pushed_to_it_and_flushed_when_the_host_stops()
    {
        await using var collector = new OtlpReceiver();
        const string traceId = "5bf92f3577b34da6a3ce929d0e0e4737";
        var app = new SendGateApp(settings: new Dictionary<string, string?>
        {
            ["SendGate:Telemetry:OtlpEndpoint"] = collector.Url,
            ["SendGate:Telemetry:OtlpProtocol"] = "HttpProtobuf",
        });
        await using (app)
        {
            using var client = app.Admin();
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = JsonContent.Create(Mail()) };
            request.Headers.Add("traceparent", $"00-{traceId}-00f067aa0ba902b7-01");
            (await client.SendAsync(request)).EnsureSuccessStatusCode();
        }

        // Stopping the host exports what the batch and the periodic reader still held.
        var traces = collector.Received.Where(r => r.Path == "/v1/traces").ToList();
        Assert.Contains(traces, r => Has(r.Body, Encoding.UTF8.GetBytes("sendgate.submit")) && Has(r.Body, Convert.FromHexString(traceId)));
        // (The request's own span ends after its answer, so it may miss the last export of a host stopped at once.)
        Assert.Contains(collector.Received, r => r.Path == "/v1/metrics" && Has(r.Body, Encoding.UTF8.GetBytes("sendgate.messages")));
        Assert.All(collector.Received, r => Assert.Equal("application/x-protobuf", r.ContentType));
    }

    private static bool Has(byte[] body, byte[] part) => body.AsSpan().IndexOf(part) >= 0;

    private sealed record Request(string Path, string? ContentType, byte[] Body);

    /// <summary>An OTLP/HTTP collector on 127.0.0.1 that keeps what it is sent and answers 200.</summary>
    private sealed class OtlpReceiver : IAsyncDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Task _loop;

        public OtlpReceiver()
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            Url = $"http://127.0.0.1:{port}";
            _listener.Prefixes.Add(Url + "/");
            _listener.Start();
            _loop = Task.Run(LoopAsync);
        }

        public string Url { get; }

        public ConcurrentQueue<Request> Received { get; } = new();

        private async Task LoopAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }

                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                Received.Enqueue(new Request(context.Request.Url!.AbsolutePath, context.Request.ContentType, body.ToArray()));
                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            _listener.Close();
            await _loop;
        }
    }
}
