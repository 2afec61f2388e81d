using Microsoft.Extensions.Logging;
using Quartz;
using SendGate.Core.Delivery;
using SendGate.Core.Messages;

namespace SendGate.Core.Worker;

// Thin jobs: each calls one core service method, which the tests call directly.

/// <summary>
/// Runs one job's work and logs its failure instead of throwing it: the job's next run (or another
/// worker) picks up what is left, and the scheduler keeps its trigger.
/// </summary>
public abstract class LoggedJob(ILogger logger) : IJob
{
    protected abstract JobKey JobKey { get; }

    protected abstract Task RunAsync(CancellationToken cancellationToken);

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        try
        {
            await RunAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.JobFailed(logger, ex, JobKey.Name);
        }
    }
}

[DisallowConcurrentExecution]
public sealed class ReleaseDueJob(MessageStore store, TimeProvider time, ILogger<ReleaseDueJob> logger) : LoggedJob(logger)
{
    public static readonly JobKey Key = new("release-due", "sendgate");

    protected override JobKey JobKey => Key;

    protected override async Task RunAsync(CancellationToken cancellationToken)
    {
        int released;
        do
        {
            released = await store.ReleaseDueAsync(time.NowMs(), "worker", 500, cancellationToken);
            if (released > 0)
            {
                Log.Released(logger, released);
            }
        }
        while (released == 500 && !cancellationToken.IsCancellationRequested);
    }
}

// A failed run leaves its claims leased; this or another worker takes them again after expiry.
[DisallowConcurrentExecution]
public sealed class DeliverDueJob(DeliveryService delivery, ILogger<DeliverDueJob> logger) : LoggedJob(logger)
{
    public static readonly JobKey Key = new("deliver-due", "sendgate");

    protected override JobKey JobKey => Key;

    protected override Task RunAsync(CancellationToken cancellationToken) => delivery.DeliverDueAsync(cancellationToken);
}

[DisallowConcurrentExecution]
public sealed class PurgeIdempotencyKeysJob(SubmissionService submissions, ILogger<PurgeIdempotencyKeysJob> logger) : LoggedJob(logger)
{
    public static readonly JobKey Key = new("purge-idempotency-keys", "sendgate");

    protected override JobKey JobKey => Key;

    protected override Task RunAsync(CancellationToken cancellationToken) => submissions.PurgeExpiredIdempotencyKeysAsync(cancellationToken);
}

[DisallowConcurrentExecution]
public sealed class DeliverPasswordMailsJob(Encryption.PasswordMailService passwords, ILogger<DeliverPasswordMailsJob> logger) : LoggedJob(logger)
{
    public static readonly JobKey Key = new("deliver-password-mails", "sendgate");

    protected override JobKey JobKey => Key;

    protected override Task RunAsync(CancellationToken cancellationToken) => passwords.DeliverDueAsync(cancellationToken);
}

[DisallowConcurrentExecution]
public sealed class ApprovalDeadlinesJob(Approvals.ApprovalService approvals, ILogger<ApprovalDeadlinesJob> logger) : LoggedJob(logger)
{
    public static readonly JobKey Key = new("approval-deadlines", "sendgate");

    protected override JobKey JobKey => Key;

    protected override Task RunAsync(CancellationToken cancellationToken) => approvals.ProcessDueAsync(cancellationToken);
}

[DisallowConcurrentExecution]
public sealed class DeliverNotificationsJob(Notifications.NotificationService notifications, ILogger<DeliverNotificationsJob> logger) : LoggedJob(logger)
{
    public static readonly JobKey Key = new("deliver-notifications", "sendgate");

    protected override JobKey JobKey => Key;

    protected override Task RunAsync(CancellationToken cancellationToken) => notifications.DeliverDueAsync(cancellationToken);
}

[DisallowConcurrentExecution]
public sealed class DeliverWebhooksJob(Webhooks.WebhookService webhooks, ILogger<DeliverWebhooksJob> logger) : LoggedJob(logger)
{
    public static readonly JobKey Key = new("deliver-webhooks", "sendgate");

    protected override JobKey JobKey => Key;

    protected override Task RunAsync(CancellationToken cancellationToken) => webhooks.DeliverDueAsync(cancellationToken);
}

[DisallowConcurrentExecution]
public sealed class RetentionJob(Archive.RetentionService retention, ILogger<RetentionJob> logger) : LoggedJob(logger)
{
    public static readonly JobKey Key = new("retention", "sendgate");

    protected override JobKey JobKey => Key;

    protected override Task RunAsync(CancellationToken cancellationToken) => retention.PurgeAsync(cancellationToken);
}

[DisallowConcurrentExecution]
public sealed class BlobSweepJob(Archive.BlobSweeper sweeper, ILogger<BlobSweepJob> logger) : LoggedJob(logger)
{
    public static readonly JobKey Key = new("blob-sweep", "sendgate");

    protected override JobKey JobKey => Key;

    protected override Task RunAsync(CancellationToken cancellationToken) => sweeper.SweepAsync(cancellationToken);
}

[DisallowConcurrentExecution]
public sealed class PurgeWebhookDeliveriesJob(Webhooks.WebhookService webhooks, ILogger<PurgeWebhookDeliveriesJob> logger) : LoggedJob(logger)
{
    public static readonly JobKey Key = new("purge-webhook-deliveries", "sendgate");

    protected override JobKey JobKey => Key;

    protected override Task RunAsync(CancellationToken cancellationToken) => webhooks.PurgeFinishedAsync(cancellationToken);
}
