using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MimeKit;
using SmtpServer;
using SmtpServer.ComponentModel;
using SmtpServer.Mail;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace SendGate.IntegrationTests.Infrastructure;

/// <summary>A message as the relay received it: envelope and raw bytes.</summary>
public sealed record ReceivedMail(string From, IReadOnlyList<string> To, byte[] Raw)
{
    public MimeMessage Parse()
    {
        using var stream = new MemoryStream(Raw);
        return MimeMessage.Load(stream);
    }
}

/// <summary>
/// A real SMTP server (the SmtpServer package) on 127.0.0.1. Rules decide the reply to RCPT and
/// DATA so tests can play a relay that defers, refuses or goes away.
/// </summary>
public sealed class SmtpTestServer : IAsyncDisposable
{
    private SmtpServer.SmtpServer? _server;
    private Task? _running;

    private SmtpTestServer(int port) => Port = port;

    public int Port { get; }

    public ConcurrentQueue<ReceivedMail> Received { get; } = new();

    /// <summary>Reply to RCPT TO: null accepts; otherwise the reply (e.g. 450 or 550).</summary>
    public Func<string, SmtpResponse?> RecipientRule { get; set; } = _ => null;

    /// <summary>
    /// Before RCPT TO is answered: null answers at once; otherwise the reply waits for the task,
    /// as a relay that stalls on one recipient (the session's cancellation ends the wait).
    /// </summary>
    public Func<string, Task?> RecipientStall { get; set; } = _ => null;

    /// <summary>Reply to the end of DATA: null accepts (250); otherwise the reply.</summary>
    public Func<ReceivedMail, SmtpResponse?> DataRule { get; set; } = _ => null;

    public int DataAttempts => _dataAttempts;

    private int _dataAttempts;

    public static async Task<SmtpTestServer> StartAsync()
    {
        var server = new SmtpTestServer(FreePort());
        await server.StartListeningAsync();
        return server;
    }

    public async Task StartListeningAsync()
    {
        var options = new SmtpServerOptionsBuilder()
            .ServerName("relay.test")
            .Endpoint(b => b.Endpoint(new IPEndPoint(IPAddress.Loopback, Port)))
            .Build();
        var services = new ServiceProvider();
        services.Add(new Store(this));
        services.Add(new Filter(this));
        _server = new SmtpServer.SmtpServer(options, services);
        _running = _server.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => CanConnect(Port));
    }

    /// <summary>Stops listening, as a relay that went down.</summary>
    public async Task StopListeningAsync()
    {
        if (_server is null)
        {
            return;
        }

        _server.Shutdown();
        await (_running ?? Task.CompletedTask);
        _server = null;
        await WaitUntilAsync(() => !CanConnect(Port));
    }

    public IReadOnlyList<ReceivedMail> ReceivedFor(string messageIdHeader) =>
        Received.Where(m => m.Parse().MessageId == messageIdHeader).ToList();

    public async ValueTask DisposeAsync() => await StopListeningAsync();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool CanConnect(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        // Bounded poll for a socket state change (not time-based logic under test).
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(10);
        }
    }

    private sealed class Store(SmtpTestServer owner) : MessageStore
    {
        public override Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref owner._dataAttempts);
            var mail = new ReceivedMail(transaction.From.AsAddress(), transaction.To.Select(t => t.AsAddress()).ToList(), buffer.ToArray());
            if (owner.DataRule(mail) is { } refusal)
            {
                return Task.FromResult(refusal);
            }

            owner.Received.Enqueue(mail);
            return Task.FromResult(SmtpResponse.Ok);
        }
    }

    private sealed class Filter(SmtpTestServer owner) : IMailboxFilter
    {
        public Task<bool> CanAcceptFromAsync(ISessionContext context, IMailbox from, int size, CancellationToken cancellationToken) =>
            Task.FromResult(true);

        public async Task<bool> CanDeliverToAsync(ISessionContext context, IMailbox to, IMailbox from, CancellationToken cancellationToken)
        {
            if (owner.RecipientStall(to.AsAddress()) is { } stall)
            {
                await stall.WaitAsync(cancellationToken);
            }

            if (owner.RecipientRule(to.AsAddress()) is { } refusal)
            {
                throw new SmtpResponseException(refusal);
            }

            return true;
        }
    }
}
