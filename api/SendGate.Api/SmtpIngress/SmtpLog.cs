namespace SendGate.Api.SmtpIngress;

/// <summary>Log lines of the SMTP door: addresses of clients and ids, never content or credentials.</summary>
internal static partial class SmtpLog
{
    [LoggerMessage(4001, LogLevel.Information, "SMTP ingress listening on {Endpoint} ({Tls})")]
    public static partial void Listening(ILogger logger, string endpoint, string tls);

    [LoggerMessage(4002, LogLevel.Warning, "SMTP AUTH failed from {Client}")]
    public static partial void AuthFailed(ILogger logger, string client);

    [LoggerMessage(4003, LogLevel.Error, "SMTP intake of {MessageId} for tenant {TenantId} failed; answered 451")]
    public static partial void IntakeFailed(ILogger logger, Exception exception, string tenantId, string messageId);
}
