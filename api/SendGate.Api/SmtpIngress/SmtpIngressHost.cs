using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using SendGate.Api.Infrastructure;
using SendGate.Core.Messages;
using SendGate.Core.Mime;
using SendGate.Core.SmtpIngress;
using SmtpServer;

namespace SendGate.Api.SmtpIngress;

/// <summary>
/// Runs the SMTP listener inside the API host when <c>SendGate:SmtpIngress:Enabled</c> is true;
/// a port that cannot be bound stops the host from starting, as a Kestrel port would.
/// </summary>
internal sealed class SmtpIngressHost(
    IOptions<SmtpIngressOptions> options,
    IOptions<LimitsOptions> limits,
    IOptions<RateLimitOptions> rateLimits,
    SmtpCredentials credentials,
    SmtpConnectors connectors,
    SendGate.Core.Tenants.TenantAccess access,
    MessageIntake intake,
    SubmissionService submissions,
    SendGate.Api.Auth.AuthFailureLimiter failures,
    SendGate.Core.Telemetry.SendGateMetrics metrics,
    TimeProvider time,
    ILogger<SmtpIngressHost> logger) : IHostedService, IAsyncDisposable
{
    private SmtpServer.SmtpServer? _server;
    private Task? _running;
    private SmtpListenerFactory? _listeners;
    private PartitionedRateLimiter<string>? _perTenant;

    /// <summary>The endpoints as bound (tests listen on port 0 and read the port here).</summary>
    public IReadOnlyList<IPEndPoint> Endpoints => [.. _listeners?.Bound ?? []];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (!o.Enabled)
        {
            return;
        }

        var certificate = LoadCertificate(o);
        var maxMessageBytes = (int)Math.Min(int.MaxValue, limits.Value.MaxRequestBytes);
        var builder = new SmtpServerOptionsBuilder()
            .ServerName(o.ServerName)
            .MaxMessageSize(maxMessageBytes)
            .MaxAuthenticationAttempts(o.MaxAuthenticationAttempts)
            .CommandWaitTimeout(o.CommandTimeout);
        foreach (var endpoint in o.EffectiveEndpoints())
        {
            builder.Endpoint(e =>
            {
                e.Endpoint(new IPEndPoint(IPAddress.Parse(endpoint.Address), endpoint.Port))
                    .IsSecure(endpoint.Tls == SmtpTls.Implicit)
                    .AllowUnsecureAuthentication(false)
                    .AuthenticationRequired(false)
                    .SessionTimeout(o.SessionTimeout)
                    .SupportedSslProtocols(SslProtocols.Tls12 | SslProtocols.Tls13);
                if (endpoint.Tls != SmtpTls.None && certificate is not null)
                {
                    e.Certificate(certificate);
                }
            });
        }

        var quota = rateLimits.Value.SubmitPerTenant;
        _perTenant = quota.PermitLimit == 0
            ? PartitionedRateLimiter.Create<string, string>(_ => RateLimitPartition.GetNoLimiter(""))
            : PartitionedRateLimiter.Create<string, string>(tenant => RateLimitPartition.GetFixedWindowLimiter(tenant,
                _ => new FixedWindowRateLimiterOptions { PermitLimit = quota.PermitLimit, Window = quota.Window, QueueLimit = 0 }));
        var gate = new SmtpSessionGate(credentials, connectors, access, o, _perTenant, failures, metrics, logger);
        _listeners = new SmtpListenerFactory(o, maxMessageBytes, metrics);
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add((SmtpServer.Storage.IMailboxFilter)gate);
        services.Add((SmtpServer.Authentication.IUserAuthenticator)gate);
        services.Add(new SmtpIntake(intake, submissions, o.ServerName, metrics, time, logger));
        services.Add(_listeners);
        _server = new SmtpServer.SmtpServer(builder.Build(), services);
        _running = _server.StartAsync(CancellationToken.None);

        // Listening once every endpoint is bound; a bind failure ends the server task instead.
        if (await Task.WhenAny(_listeners.AllBound, _running).WaitAsync(cancellationToken) == _running)
        {
            await _running;
        }

        foreach (var (bound, endpoint) in _listeners.Bound.Zip(o.EffectiveEndpoints()))
        {
            SmtpLog.Listening(logger, bound.ToString(), endpoint.Tls);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is null)
        {
            return;
        }

        _server.Shutdown();
        await (_running ?? Task.CompletedTask).WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        _server = null;
    }

    public ValueTask DisposeAsync()
    {
        _perTenant?.Dispose();
        return ValueTask.CompletedTask;
    }

    private static X509Certificate2? LoadCertificate(SmtpIngressOptions o)
    {
        if (o.CertificateFile is null)
        {
            return null;
        }

        using var pem = X509Certificate2.CreateFromPemFile(o.CertificateFile, o.KeyFile);
        // Through PKCS#12: on Linux, SslStream needs the key in a form it can hand to OpenSSL.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }
}
