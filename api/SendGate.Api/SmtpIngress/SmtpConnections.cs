using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SmtpServer;
using SmtpServer.IO;
using SmtpServer.Net;

namespace SendGate.Api.SmtpIngress;

/// <summary>
/// The sockets under the SMTP server: a listener per endpoint that counts sessions per client
/// address, and a pipe whose plaintext side is bounded (<see cref="BoundedStream"/>). The
/// SmtpServer package reads a command line or a whole DATA section into memory with no limit of
/// its own; the bound is what keeps one client from filling it.
/// </summary>
internal sealed class SmtpListenerFactory(SmtpIngressOptions options, long maxMessageBytes, SendGate.Core.Telemetry.SendGateMetrics? metrics = null) : IEndpointListenerFactory
{
    private readonly ConcurrentDictionary<IPAddress, int> _sessions = new();
    private readonly int _maxPerClient = options.MaxConnectionsPerClient;
    private readonly int _maxTotal = options.MaxConnections;
    private int _total;

    /// <summary>The message bytes all sessions hold in memory together (see <see cref="SmtpIngressOptions.MaxBufferedBytes"/>).</summary>
    public SmtpMemoryBudget Memory { get; } = new(options.MaxBufferedBytes);
    private readonly TaskCompletionSource _allBound = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The endpoints as bound (a port of 0 resolved), in the order they started.</summary>
    public ConcurrentQueue<IPEndPoint> Bound { get; } = new();

    /// <summary>Completes once every configured endpoint listens.</summary>
    public Task AllBound => _allBound.Task;

    public IEndpointListener CreateListener(IEndpointDefinition endpointDefinition)
    {
        var listener = new TcpListener(endpointDefinition.Endpoint);
        listener.Start(backlog: 512);
        Bound.Enqueue((IPEndPoint)listener.LocalEndpoint);
        if (Bound.Count == options.EffectiveEndpoints().Count)
        {
            _allBound.TrySetResult();
        }

        return new Listener(this, listener, endpointDefinition.IsSecure);
    }

    private sealed class Listener(SmtpListenerFactory owner, TcpListener listener, bool implicitTls) : IEndpointListener
    {
        public async Task<ISecurableDuplexPipe> GetPipeAsync(ISessionContext context, CancellationToken cancellationToken)
        {
            while (true)
            {
                var client = await listener.AcceptTcpClientAsync(cancellationToken).ConfigureAwait(false);
                var remote = (IPEndPoint)client.Client.RemoteEndPoint!;
                var address = remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address;
                if (Interlocked.Increment(ref owner._total) > owner._maxTotal)
                {
                    Interlocked.Decrement(ref owner._total);
                    owner.Metrics?.SmtpDoorReplied("connect", 421);
                    await RefuseAsync(client, implicitTls, "421 4.3.2 Too many connections, try again later\r\n"u8.ToArray()).ConfigureAwait(false);
                    continue;
                }

                if (owner._sessions.AddOrUpdate(address, 1, (_, n) => n + 1) > owner._maxPerClient)
                {
                    Release(address);
                    owner.Metrics?.SmtpDoorReplied("connect", 421);
                    await RefuseAsync(client, implicitTls, "421 4.7.0 Too many connections from your address, try again later\r\n"u8.ToArray()).ConfigureAwait(false);
                    continue;
                }

                context.Properties[EndpointListener.LocalEndPointKey] = listener.LocalEndpoint;
                context.Properties[EndpointListener.RemoteEndPointKey] = remote;
                client.NoDelay = true;
                // SmtpServer greets the session next.
                owner.Metrics?.SmtpDoorReplied("connect", 220);
                return new BoundedPipe(client.GetStream(), owner.MaxSectionBytes, owner.Memory, owner.Metrics, () =>
                {
                    Release(address);
                    client.Dispose();
                });
            }
        }

        private void Release(IPAddress address)
        {
            Interlocked.Decrement(ref owner._total);
            if (owner._sessions.AddOrUpdate(address, 0, (_, n) => n - 1) <= 0)
            {
                owner._sessions.TryRemove(new KeyValuePair<IPAddress, int>(address, 0));
            }
        }

        private static async Task RefuseAsync(TcpClient client, bool implicitTls, byte[] reply)
        {
            using (client)
            {
                if (!implicitTls)
                {
                    try
                    {
                        // Before any TLS: the greeting a busy server gives, then the connection ends.
                        await client.GetStream().WriteAsync(reply);
                    }
                    catch (IOException)
                    {
                        // It left first.
                    }
                }
            }
        }

        public void Dispose() => listener.Stop();
    }

    private SendGate.Core.Telemetry.SendGateMetrics? Metrics => metrics;

    /// <summary>A message at its largest plus room for the commands around it.</summary>
    private long MaxSectionBytes => maxMessageBytes + 64 * 1024;
}

/// <summary>The session's byte pipe: TCP, TLS once started, and the bound above both.</summary>
internal sealed class BoundedPipe : ISecurableDuplexPipe
{
    private readonly Stream _network;
    private readonly long _maxSectionBytes;
    private readonly SmtpMemoryBudget _memory;
    private readonly SendGate.Core.Telemetry.SendGateMetrics? _metrics;
    private readonly Action _close;
    private Stream _transport;
    private BoundedStream _bounded;
    private bool _disposed;

    public BoundedPipe(Stream network, long maxSectionBytes, SmtpMemoryBudget memory, SendGate.Core.Telemetry.SendGateMetrics? metrics, Action close)
    {
        (_network, _maxSectionBytes, _memory, _metrics, _close, _transport) = (network, maxSectionBytes, memory, metrics, close, network);
        _bounded = new BoundedStream(network, maxSectionBytes, memory, metrics);
        Input = PipeReader.Create(_bounded);
        Output = PipeWriter.Create(network);
    }

    public PipeReader Input { get; private set; }

    public PipeWriter Output { get; private set; }

    public bool IsSecure => _transport is SslStream;

    public SslProtocols SslProtocol => (_transport as SslStream)?.SslProtocol ?? SslProtocols.None;

    public async Task UpgradeAsync(X509Certificate certificate, SslProtocols protocols, CancellationToken cancellationToken = default)
    {
        var tls = new SslStream(_network, leaveInnerStreamOpen: true);
        try
        {
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = certificate,
                ClientCertificateRequired = false,
                EnabledSslProtocols = protocols,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        _transport = tls;
        _bounded.Release();
        _bounded = new BoundedStream(tls, _maxSectionBytes, _memory, _metrics);
        Input = PipeReader.Create(_bounded);
        Output = PipeWriter.Create(tls);
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _transport.Dispose();
            _bounded.Release();
            _close();
        }
    }
}

/// <summary>
/// Reads through to the session's stream, counting what has arrived since the last end of DATA
/// (a line that is a lone dot). Past the bound the client is told <c>552 5.3.4</c> and the
/// session ends: whatever it sends next is not read into memory. What it reads is also taken from
/// the host's <see cref="SmtpMemoryBudget"/> and given back once the message has been answered
/// (the first read after its end of DATA, which in SMTP's lockstep comes after the reply); with the
/// budget spent the client is told <c>452 4.3.1</c> and sends the message again later.
/// </summary>
internal sealed class BoundedStream(Stream inner, long maxSectionBytes, SmtpMemoryBudget? memory = null, SendGate.Core.Telemetry.SendGateMetrics? metrics = null) : Stream
{
    private long _held;
    private long _answered;
    private long _sinceEndOfData;
    private int _lineLength;
    private byte _first;
    private byte _second;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        Count(buffer[..read]);
        return read;
    }

    /// <summary>Gives back what this stream holds of the budget (the session ended, or TLS replaced it).</summary>
    public void Release()
    {
        memory?.Give(Interlocked.Exchange(ref _held, 0) + Interlocked.Exchange(ref _answered, 0));
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        // The message before this read has been answered: its bytes are no longer held.
        memory?.Give(Interlocked.Exchange(ref _answered, 0));
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (memory is not null && read > 0)
        {
            if (!memory.TryTake(read))
            {
                metrics?.SmtpDoorReplied("data", 452);
                try
                {
                    await inner.WriteAsync("452 4.3.1 Insufficient system storage, try again later\r\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or NotSupportedException or ObjectDisposedException)
                {
                    // The client went away first.
                }

                throw new IOException("The SMTP sessions together hold as much mail as SendGate:SmtpIngress:MaxBufferedBytes allows.");
            }

            _held += read;
        }

        if (!Count(buffer.Span[..read]))
        {
            metrics?.SmtpDoorReplied("data", 552);
            try
            {
                await inner.WriteAsync(Encoding.ASCII.GetBytes($"552 5.3.4 Message size exceeds the limit of {maxSectionBytes - 64 * 1024} bytes\r\n"), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or NotSupportedException or ObjectDisposedException)
            {
                // The client went away first.
            }

            throw new IOException("The SMTP client sent more than a message may hold.");
        }

        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>False once the section since the last end of DATA is over the bound.</summary>
    private bool Count(ReadOnlySpan<byte> bytes)
    {
        // Line by line (a search for LF, not a loop over every byte): only line ends matter here.
        while (!bytes.IsEmpty)
        {
            var lf = bytes.IndexOf((byte)'\n');
            var line = lf < 0 ? bytes : bytes[..lf];
            if (_lineLength == 0 && line.Length > 0)
            {
                _first = line[0];
            }

            if (_lineLength <= 1 && line.Length > 1 - _lineLength)
            {
                _second = line[1 - _lineLength];
            }

            _lineLength += line.Length;
            _sinceEndOfData += line.Length;
            if (lf < 0)
            {
                return _sinceEndOfData <= maxSectionBytes;
            }

            // ".\r\n" on a line of its own ends a DATA section: the next message starts from zero.
            var endOfData = _lineLength == 2 && _first == (byte)'.' && _second == (byte)'\r';
            _sinceEndOfData = endOfData ? 0 : _sinceEndOfData + 1;
            if (endOfData)
            {
                _answered += Interlocked.Exchange(ref _held, 0);
            }
            _lineLength = 0;
            if (_sinceEndOfData > maxSectionBytes)
            {
                return false;
            }

            bytes = bytes[(lf + 1)..];
        }

        return true;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>
/// The bytes the SMTP sessions of this host may hold in memory together: SmtpServer keeps each
/// message whole until it is stored, so without a shared bound many clients sending large mail at
/// once would hold many times the largest message.
/// </summary>
internal sealed class SmtpMemoryBudget(long capacity)
{
    private long _used;

    public long Used => Interlocked.Read(ref _used);

    public bool TryTake(long bytes)
    {
        if (Interlocked.Add(ref _used, bytes) <= capacity)
        {
            return true;
        }

        Interlocked.Add(ref _used, -bytes);
        return false;
    }

    public void Give(long bytes)
    {
        if (bytes > 0)
        {
            Interlocked.Add(ref _used, -bytes);
        }
    }
}
