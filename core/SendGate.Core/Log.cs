using Microsoft.Extensions.Logging;

namespace SendGate.Core;

/// <summary>Log lines of the core. Ids and transitions only: never bodies, recipients or secrets.</summary>
internal static partial class Log
{
    [LoggerMessage(1001, LogLevel.Information, "Applied migration {Script}")]
    public static partial void MigrationApplied(ILogger logger, string script);

    [LoggerMessage(1002, LogLevel.Debug, "Migration: {Text}")]
    public static partial void MigrationOutput(ILogger logger, string text);

    [LoggerMessage(1003, LogLevel.Error, "Migration: {Text}")]
    public static partial void MigrationError(ILogger logger, string text);

    [LoggerMessage(1101, LogLevel.Information, "Message {MessageId} accepted for tenant {TenantId} as {Status}")]
    public static partial void MessageAccepted(ILogger logger, string messageId, string tenantId, string status);

    [LoggerMessage(1102, LogLevel.Information, "Message {MessageId} moved {From} -> {To} by {Actor}")]
    public static partial void MessageTransition(ILogger logger, string messageId, string from, string to, string actor);

    [LoggerMessage(1103, LogLevel.Information, "Released {Count} held message(s)")]
    public static partial void Released(ILogger logger, int count);

    [LoggerMessage(1201, LogLevel.Debug, "Claimed {Count} message(s) as {Owner}")]
    public static partial void Claimed(ILogger logger, int count, string owner);

    [LoggerMessage(1202, LogLevel.Information, "Message {MessageId} delivery attempt {Attempt} ended as {Status}")]
    public static partial void DeliveryFinished(ILogger logger, string messageId, string status, int attempt);

    [LoggerMessage(1203, LogLevel.Warning, "Message {MessageId}: lease of {Owner} was lost before the outcome was recorded; the next owner will send it again")]
    public static partial void LeaseLost(ILogger logger, string messageId, string owner);

    [LoggerMessage(1204, LogLevel.Warning, "Message {MessageId}: lease too close to expiry, not sending; it goes back to the queue or to the next owner")]
    public static partial void LeaseTooShort(ILogger logger, string messageId);

    [LoggerMessage(1205, LogLevel.Warning, "Message {MessageId}: preparing or sending took longer than its time budget of {Budget}; retried later")]
    public static partial void TimeBudgetExceeded(ILogger logger, string messageId, TimeSpan budget);

    [LoggerMessage(1206, LogLevel.Error, "Message {MessageId}: sent, but its sent copy could not be archived, the storage is full: {Reason}")]
    public static partial void SentCopyNotStored(ILogger logger, string messageId, string reason);

    [LoggerMessage(1208, LogLevel.Error, "Message {MessageId}: its attachments could not be written to the download store, nothing sent; retried later: {Reason}")]
    public static partial void DownloadStoreFailed(ILogger logger, string messageId, string reason);

    [LoggerMessage(1209, LogLevel.Information, "Download links: {Expired} expired, {Removed} file(s) removed from the download store, {Orphans} orphan folder(s) deleted")]
    public static partial void LinksSwept(ILogger logger, int expired, int removed, int orphans);

    [LoggerMessage(1207, LogLevel.Warning, "Message {MessageId}: sent, but the company names of its salutation could not be recorded: {Reason}")]
    public static partial void CompanyNamesNotRecorded(ILogger logger, string messageId, string reason);

    [LoggerMessage(1301, LogLevel.Warning, "Created tenant {TenantId} with the admin API key from SendGate:Bootstrap:ApiKey")]
    public static partial void BootstrapFromConfiguration(ILogger logger, string tenantId);

    [LoggerMessage(1302, LogLevel.Warning, "Created tenant {TenantId} with a generated admin API key (printed once on the console)")]
    public static partial void BootstrapGenerated(ILogger logger, string tenantId);

    [LoggerMessage(1303, LogLevel.Warning, "SendGate:Bootstrap:ApiKey is set but ignored: the database already has a tenant and that key is not one of its active keys. " +
        "To create an admin key for an existing tenant, run on this host: SendGate.Api keys create --tenant <tenant> --name <key name> --role admin (README: Operator commands)")]
    public static partial void BootstrapIgnored(ILogger logger);

    [LoggerMessage(1401, LogLevel.Information, "Purged {Count} expired idempotency key(s)")]
    public static partial void IdempotencyPurged(ILogger logger, int count);

    [LoggerMessage(1601, LogLevel.Information, "Tenant {TenantId}: policy version {Version} saved ({Change}) by {Actor}")]
    public static partial void PolicyChanged(ILogger logger, string tenantId, int version, string change, string actor);

    [LoggerMessage(1701, LogLevel.Information, "Password mail {PasswordMailId} of message {MessageId}: attempt {Attempt} ended as {Status}")]
    public static partial void PasswordMailFinished(ILogger logger, string passwordMailId, string messageId, string status, int attempt);

    [LoggerMessage(1801, LogLevel.Information, "Approval {ApprovalId} of message {MessageId}: {Status} by {Actor}")]
    public static partial void ApprovalDecided(ILogger logger, string approvalId, string messageId, string status, string actor);

    [LoggerMessage(1802, LogLevel.Information, "Approval {ApprovalId} of message {MessageId}: deadline or reminder handled, now {Status}")]
    public static partial void ApprovalTimedOut(ILogger logger, string approvalId, string messageId, string status);

    [LoggerMessage(1901, LogLevel.Information, "Notification {NotificationId} ({Kind}) of message {MessageId}: attempt {Attempt} done")]
    public static partial void NotificationFinished(ILogger logger, string notificationId, string kind, string messageId, int attempt);

    [LoggerMessage(2001, LogLevel.Information, "Webhook delivery {DeliveryId} to {EndpointId} ({EventType}): attempt {Attempt} {Outcome} (HTTP {StatusCode})")]
    public static partial void WebhookAttempt(ILogger logger, string deliveryId, string endpointId, string eventType, string outcome, int statusCode, int attempt);

    [LoggerMessage(2002, LogLevel.Information, "Purged {Count} finished webhook deliveries older than {Retention}")]
    public static partial void WebhookDeliveriesPurged(ILogger logger, int count, TimeSpan retention);

    [LoggerMessage(2101, LogLevel.Information, "Tenant {TenantId}: retention purged {Count} message(s)")]
    public static partial void RetentionPurged(ILogger logger, string tenantId, int count);

    [LoggerMessage(2110, LogLevel.Warning, "Tenant {TenantId} deleted by the operator: purged with {Count} message(s)")]
    public static partial void TenantPurged(ILogger logger, string tenantId, int count);

    [LoggerMessage(2102, LogLevel.Information, "Blob sweep deleted {Count} unreferenced blob(s) and leftovers")]
    public static partial void BlobsSwept(ILogger logger, int count);

    [LoggerMessage(1501, LogLevel.Error, "Job {Job} failed")]
    public static partial void JobFailed(ILogger logger, Exception exception, string job);

    [LoggerMessage(1502, LogLevel.Information, "Background work runs in another process here (SendGate:Worker:InProcess is false)")]
    public static partial void BackgroundWorkElsewhere(ILogger logger);

    [LoggerMessage(1503, LogLevel.Debug, "Background work {Job} scheduled {Schedule}")]
    public static partial void BackgroundWorkScheduled(ILogger logger, string job, string schedule);

    [LoggerMessage(2301, LogLevel.Warning, "Reading the work queues for their gauges failed ({Error}); the gauges keep the last reading")]
    public static partial void QueueSampleFailed(ILogger logger, string error);

    [LoggerMessage(2201, LogLevel.Warning, "Tenant {TenantId}: the audit head is missing or not signed with this host's audit key; entry {Seq} was recorded without updating it (GET /v1/audit/verify reports it)")]
    public static partial void AuditHeadUntrusted(ILogger logger, string tenantId, long seq);

    [LoggerMessage(2202, LogLevel.Warning, "Tenant {TenantId}: {Entries} audit entries written with the unkeyed chain were sealed with the audit key (entry {Seq})")]
    public static partial void AuditTrailSealed(ILogger logger, string tenantId, long entries, long seq);

    [LoggerMessage(2203, LogLevel.Warning, "Tenant {TenantId}: an unsigned audit head was found over entries already written with the keyed chain; it was not sealed (GET /v1/audit/verify reports it)")]
    public static partial void AuditSealRefused(ILogger logger, string tenantId);
}
