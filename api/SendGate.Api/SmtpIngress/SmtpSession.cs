using System.Net;
using System.Threading.RateLimiting;
using SendGate.Core.Mime;
using SendGate.Core.SmtpIngress;
using SmtpServer;
using SmtpServer.Authentication;
using SmtpServer.Mail;
using SmtpServer.Net;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace SendGate.Api.SmtpIngress;

/// <summary>Who a session sends for, kept in the session's properties once known.</summary>
internal sealed record SmtpSender(string TenantId, string Actor);

/// <summary>
/// The checks of a session before DATA: who the client is (its AUTH credential, or its address in
/// a tenant's connector), whether it may send now, and what it may send to. Every refusal is a
/// reply with an enhanced status code; nothing here throws anything else at the client.
/// </summary>
internal sealed class SmtpSessionGate(
    SmtpCredentials credentials,
    SmtpConnectors connectors,
    SendGate.Core.Tenants.TenantAccess access,
    SmtpIngressOptions options,
    PartitionedRateLimiter<string> perTenant,
    SendGate.Api.Auth.AuthFailureLimiter failures,
    SendGate.Core.Telemetry.SendGateMetrics metrics,
    ILogger logger) : IMailboxFilter, IUserAuthenticator
{
    private const string SenderKey = "sendgate:sender";
    private const string RecipientsKey = "sendgate:recipients";

    public static SmtpSender? SenderOf(ISessionContext context) =>
        context.Properties.TryGetValue(SenderKey, out var value) ? value as SmtpSender : null;

    public static IPAddress? ClientOf(ISessionContext context) =>
        context.Properties.TryGetValue(EndpointListener.RemoteEndPointKey, out var value) && value is IPEndPoint remote
            ? (remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address)
            : null;

    public async Task<bool> AuthenticateAsync(ISessionContext context, string user, string password, CancellationToken cancellationToken)
    {
        // The same allowance of failures per client address as API keys have: guessing is slow at either door.
        var client = SendGate.Api.Infrastructure.ClientAddress.Of(ClientOf(context));
        if (failures.Refusal(client) is { } refusal)
        {
            refusal.Dispose();
            throw Refuse("auth", SmtpReplyCode.ClientNotPermitted, "4.7.0 Too many failed authentications from your address, try again later");
        }

        var credential = await credentials.AuthenticateAsync(user, password, cancellationToken);
        if (credential is null)
        {
            failures.Failed(client);
            SmtpLog.AuthFailed(logger, client);
            // SmtpServer answers the refusal itself.
            metrics.SmtpDoorReplied("auth", (int)SmtpReplyCode.AuthenticationFailed);
            return false;
        }

        context.Properties[SenderKey] = new SmtpSender(credential.TenantId, $"smtp:{credential.Id}");
        metrics.SmtpDoorReplied("auth", (int)SmtpReplyCode.AuthenticationSuccessful);
        return true;
    }

    private static bool IsNullPath(IMailbox from) => string.IsNullOrEmpty(from.User) && string.IsNullOrEmpty(from.Host);

    public async Task<bool> CanAcceptFromAsync(ISessionContext context, IMailbox from, int size, CancellationToken cancellationToken)
    {
        context.Properties[RecipientsKey] = 0;
        var sender = context.Authentication.IsAuthenticated ? SenderOf(context) : null;
        if (sender is null)
        {
            var client = ClientOf(context);
            var connector = client is null ? null : await connectors.ForClientAsync(client, cancellationToken);
            if (connector is null)
            {
                throw Refuse("mail", SmtpReplyCode.AuthenticationRequired, "5.7.0 Authentication required: sign in with AUTH after STARTTLS, or send from an address of your connector");
            }

            if (connector.RequireTls && !context.Pipe.IsSecure)
            {
                throw Refuse("mail", SmtpReplyCode.AuthenticationRequired, "5.7.0 Must issue a STARTTLS command first");
            }

            sender = new SmtpSender(connector.TenantId, $"smtp:connector:{client}");
            context.Properties[SenderKey] = sender;
        }

        // The null reverse path (MAIL FROM:<>) is how a mail server sends delivery reports and
        // auto-replies (RFC 5321 §4.5.5, RFC 3834): a smart host that refused it would leave them
        // stuck in the company's queue. Such mail goes through the policy like any other; SendGate
        // sends nothing back to it.
        if (!IsNullPath(from) && (string.IsNullOrEmpty(from.User) || !MailAddresses.IsBare(from.AsAddress())))
        {
            throw Refuse("mail", (SmtpReplyCode)553, "5.1.7 The sender address is malformed");
        }

        // Temporary, so that the company's mail server keeps the mail until the operator resumes the tenant.
        if (await access.SuspendedAtAsync(sender.TenantId, cancellationToken) is not null)
        {
            throw Refuse("mail", (SmtpReplyCode)451, "4.7.1 This tenant is suspended; mail is not accepted now, try again later");
        }

        using var lease = await perTenant.AcquireAsync(sender.TenantId, 1, cancellationToken);
        if (!lease.IsAcquired)
        {
            throw Refuse("mail", SmtpReplyCode.Aborted, "4.7.1 Too many messages for now, try again later");
        }

        metrics.SmtpDoorReplied("mail", (int)SmtpReplyCode.Ok);
        return true;
    }

    public Task<bool> CanDeliverToAsync(ISessionContext context, IMailbox to, IMailbox from, CancellationToken cancellationToken)
    {
        if (!MailAddresses.IsBare(to.AsAddress()))
        {
            throw Refuse("rcpt", (SmtpReplyCode)553, "5.1.3 The recipient address is malformed");
        }

        var count = context.Properties.TryGetValue(RecipientsKey, out var value) && value is int n ? n : 0;
        if (count >= options.MaxRecipients)
        {
            throw Refuse("rcpt", SmtpReplyCode.InsufficientStorage, $"4.5.3 Too many recipients: at most {options.MaxRecipients} per message, send the rest in another one");
        }

        context.Properties[RecipientsKey] = count + 1;
        metrics.SmtpDoorReplied("rcpt", (int)SmtpReplyCode.Ok);
        return Task.FromResult(true);
    }

    private SmtpResponseException Refuse(string command, SmtpReplyCode code, string text)
    {
        metrics.SmtpDoorReplied(command, (int)code);
        return new(new SmtpResponse(code, text));
    }
}
