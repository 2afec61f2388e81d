using Microsoft.Extensions.Logging;
using Quartz;
using SendGate.Core.Delivery;
using SendGate.Core.Messages;

namespace SendGate.Core.Worker;

// Thin jobs: each calls one core service method, which the tests call directly.

[DisallowConcurrentExecution]
public sealed class ReleaseDueJob(MessageStore store, TimeProvider time, ILogger<ReleaseDueJob> logger) : IJob
{
    public static readonly JobKey Key = new("release-due", "sendgate");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        try
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
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.JobFailed(logger, ex, Key.Name);
        }
    }
}

[DisallowConcurrentExecution]
public sealed class DeliverDueJob(DeliveryService delivery, ILogger<DeliverDueJob> logger) : IJob
{
    public static readonly JobKey Key = new("deliver-due", "sendgate");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        try
        {
            await delivery.DeliverDueAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The claims keep their leases; they are retried by this or another worker after expiry.
            Log.JobFailed(logger, ex, Key.Name);
        }
    }
}

[DisallowConcurrentExecution]
public sealed class PurgeIdempotencyKeysJob(SubmissionService submissions, ILogger<PurgeIdempotencyKeysJob> logger) : IJob
{
    public static readonly JobKey Key = new("purge-idempotency-keys", "sendgate");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        try
        {
            await submissions.PurgeExpiredIdempotencyKeysAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.JobFailed(logger, ex, Key.Name);
        }
    }
}

[DisallowConcurrentExecution]
public sealed class DeliverPasswordMailsJob(Encryption.PasswordMailService passwords, ILogger<DeliverPasswordMailsJob> logger) : IJob
{
    public static readonly JobKey Key = new("deliver-password-mails", "sendgate");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        try
        {
            await passwords.DeliverDueAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.JobFailed(logger, ex, Key.Name);
        }
    }
}

[DisallowConcurrentExecution]
public sealed class ApprovalDeadlinesJob(Approvals.ApprovalService approvals, ILogger<ApprovalDeadlinesJob> logger) : IJob
{
    public static readonly JobKey Key = new("approval-deadlines", "sendgate");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        try
        {
            await approvals.ProcessDueAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.JobFailed(logger, ex, Key.Name);
        }
    }
}

[DisallowConcurrentExecution]
public sealed class DeliverNotificationsJob(Notifications.NotificationService notifications, ILogger<DeliverNotificationsJob> logger) : IJob
{
    public static readonly JobKey Key = new("deliver-notifications", "sendgate");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        try
        {
            await notifications.DeliverDueAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.JobFailed(logger, ex, Key.Name);
        }
    }
}

[DisallowConcurrentExecution]
public sealed class DeliverWebhooksJob(Webhooks.WebhookService webhooks, ILogger<DeliverWebhooksJob> logger) : IJob
{
    public static readonly JobKey Key = new("deliver-webhooks", "sendgate");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        try
        {
            await webhooks.DeliverDueAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.JobFailed(logger, ex, Key.Name);
        }
    }
}

[DisallowConcurrentExecution]
public sealed class RetentionJob(SendGate.Core.Archive.RetentionService retention, ILogger<RetentionJob> logger) : IJob
{
    public static readonly JobKey Key = new("retention", "sendgate");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        try
        {
            await retention.PurgeAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.JobFailed(logger, ex, Key.Name);
        }
    }
}

[DisallowConcurrentExecution]
public sealed class BlobSweepJob(SendGate.Core.Archive.BlobSweeper sweeper, ILogger<BlobSweepJob> logger) : IJob
{
    public static readonly JobKey Key = new("blob-sweep", "sendgate");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        try
        {
            await sweeper.SweepAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.JobFailed(logger, ex, Key.Name);
        }
    }
}

[DisallowConcurrentExecution]
public sealed class PurgeWebhookDeliveriesJob(Webhooks.WebhookService webhooks, ILogger<PurgeWebhookDeliveriesJob> logger) : IJob
{
    public static readonly JobKey Key = new("purge-webhook-deliveries", "sendgate");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        try
        {
            await webhooks.PurgeFinishedAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.JobFailed(logger, ex, Key.Name);
        }
    }
}
