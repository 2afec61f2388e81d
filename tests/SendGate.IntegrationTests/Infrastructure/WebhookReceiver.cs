using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace SendGate.IntegrationTests.Infrastructure;

public sealed record ReceivedWebhook(string Id, string Timestamp, string Signature, string Body);

/// <summary>A real HTTP server on 127.0.0.1 that records what it is sent and answers as told.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    public WebhookReceiver()
    {
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}/hooks";

    public ConcurrentQueue<ReceivedWebhook> Received { get; } = new();

    /// <summary>
    /// Status code for the next request (200 when it returns null), and optionally a task the answer waits for:
    /// a test holds a request open for as long as it needs, instead of guessing a delay.
    /// </summary>
    public Func<ReceivedWebhook, (int Status, Task? Until)?> Answer { get; set; } = _ => null;

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (!_listener.IsListening)
            {
                return;
            }
            catch (HttpListenerException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                using var reader = new StreamReader(context.Request.InputStream);
                var hook = new ReceivedWebhook(context.Request.Headers["webhook-id"] ?? "", context.Request.Headers["webhook-timestamp"] ?? "",
                    context.Request.Headers["webhook-signature"] ?? "", await reader.ReadToEndAsync());
                Received.Enqueue(hook);
                var (status, until) = Answer(hook) ?? (200, null);
                if (until is not null)
                {
                    await until;
                }

                try
                {
                    context.Response.StatusCode = status;
                    context.Response.Close();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
                {
                    // The client gave up first.
                }
            });
        }
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
    }
}
