using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Quartz;
using SendGate.Core.Data;
using SendGate.Core.Delivery;
using SendGate.Core.Encryption;
using SendGate.Core.Hosting;
using SendGate.Core.Messages;
using SendGate.Core.Mime;
using SendGate.Core.Policies;
using SendGate.Core.Tenants;
using SendGate.Core.Worker;

namespace SendGate.Core;

public static class ServiceCollectionExtensions
{
    /// <summary>Database, stores, MIME intake, lifecycle and delivery services, with validated options.</summary>
    public static IServiceCollection AddSendGateCore(this IServiceCollection services)
    {
        // ISO-2022-JP and Shift_JIS decode silently to garbage without the code-page provider.
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

        services.AddOptions<DatabaseOptions>().BindSettings(DatabaseOptions.Section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.ConnectionString), "SendGate:Database:ConnectionString is required.")
            .ValidateOnStart();
        services.AddOptions<BootstrapOptions>().BindSettings(BootstrapOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => string.IsNullOrWhiteSpace(o.ApiKey) || o.ApiKey.Trim().Length >= 24,
                "SendGate:Bootstrap:ApiKey must be at least 24 characters long.")
            .ValidateOnStart();
        services.AddOptions<AuthOptions>().BindSettings(AuthOptions.Section).ValidateOnStart();
        services.AddOptions<LimitsOptions>().BindSettings(LimitsOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.MaxHeaderValueLength <= o.MaxHeaderBytes && o.MaxSubjectLength <= o.MaxHeaderBytes,
                "SendGate:Limits:MaxHeaderValueLength and MaxSubjectLength may not exceed MaxHeaderBytes.")
            .ValidateOnStart();
        services.AddOptions<DeliveryOptions>().BindSettings(DeliveryOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.RetryMaxDelay >= o.RetryBaseDelay, "SendGate:Delivery:RetryBaseDelay may not be above RetryMaxDelay.")
            .Validate(o => o.MessageTimeBudget <= o.LeaseDuration / 2,
                "SendGate:Delivery:MessageTimeBudget must be at most half of LeaseDuration, so a message given up still leaves the lease to record it.")
            .ValidateOnStart();
        services.AddOptions<SmtpOptions>().BindSettings(SmtpOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<WorkerOptions>().BindSettings(WorkerOptions.Section).ValidateOnStart();
        services.AddOptions<PolicyOptions>().BindSettings(PolicyOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.InitialPolicy is "recommended" or "empty" || File.Exists(o.InitialPolicy),
                "SendGate:Policy:InitialPolicy must be 'recommended', 'empty' or the path of an existing policy JSON file.")
            .ValidateOnStart();
        services.AddOptions<WebhookOptions>().BindSettings(WebhookOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.RetryMaxDelay >= o.RetryBaseDelay, "SendGate:Webhooks:RetryBaseDelay may not be above RetryMaxDelay.")
            .ValidateOnStart();
        services.AddOptions<NotificationOptions>().BindSettings(NotificationOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => MimeKit.MailboxAddress.TryParse(o.From, out _), "SendGate:Notifications:From must be an address such as \"SendGate <sendgate@example.co.jp>\".")
            .Validate(o => Uri.TryCreate(o.PublicBaseUrl, UriKind.Absolute, out var u) && u.Scheme is "http" or "https",
                "SendGate:Notifications:PublicBaseUrl must be an absolute http(s) URL.")
            .ValidateOnStart();
        services.AddOptions<EncryptionOptions>().BindSettings(EncryptionOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => PasswordVault.IsValidKey(o.PasswordKey), "SendGate:Encryption:PasswordKey must be the base64 of 32 random bytes (e.g. openssl rand -base64 32).")
            .ValidateOnStart();
        services.AddOptions<Audit.AuditOptions>().BindConfiguration(Audit.AuditOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => SecretKeyFile.IsValid(o.Key), "SendGate:Audit:Key must be the base64 of 32 random bytes (e.g. openssl rand -base64 32).")
            .Validate(o => !string.IsNullOrWhiteSpace(o.Key) || SecretKeyFile.IsValidFile(o.KeyFile),
                "SendGate:Audit:KeyFile must hold the base64 of 32 random bytes (or not exist yet: it is then created).")
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<DeliveryOptions>, LeaseOutlivesSmtpTimeout>();

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IDbConnectionFactory>(sp =>
            sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.Provider == DatabaseProvider.SqlServer
                ? new SqlServerConnectionFactory(sp.GetRequiredService<IOptions<DatabaseOptions>>())
                : new SqliteConnectionFactory(sp.GetRequiredService<IOptions<DatabaseOptions>>()));
        services.AddSingleton<DatabaseMigrator>();
        services.AddHostedService<DatabaseInitializer>();

        services.AddOptions<ArchiveOptions>().BindSettings(ArchiveOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<SendGate.Core.Archive.BlobFiles>();
        services.AddSingleton<SendGate.Core.Archive.IBlobStore>(sp =>
        {
            var archive = sp.GetRequiredService<IOptions<ArchiveOptions>>().Value;
            var sqlServer = sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.Provider == DatabaseProvider.SqlServer;
            var options = sp.GetRequiredService<IOptions<ArchiveOptions>>();
            var database = new SendGate.Core.Archive.DatabaseBlobStore(sp.GetRequiredService<IDbConnectionFactory>(), sp.GetRequiredService<TimeProvider>());
            if (archive.BlobStore == BlobStoreKind.Database || (archive.BlobStore == BlobStoreKind.Auto && sqlServer))
            {
                return database;
            }

            var folder = new SendGate.Core.Archive.FolderBlobStore(options, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<SendGate.Core.Archive.BlobFiles>());
            return archive.InlineUpTo > 0 ? new SendGate.Core.Archive.TieredBlobStore(database, folder, options) : folder;
        });
        services.AddSingleton<Audit.AuditTrail>();
        services.AddSingleton<SendGate.Core.Archive.RetentionService>();
        services.AddSingleton<SendGate.Core.Archive.BlobSweeper>();
        services.AddSingleton<SendGate.Core.Archive.MboxExport>();
        services.AddSingleton<Webhooks.WebhookStore>();
        services.AddSingleton<Webhooks.SsrfGuard>();
        services.AddSingleton<Webhooks.WebhookService>();
        services.AddSingleton<Notifications.NotificationStore>();
        services.AddSingleton<Notifications.NotificationService>();
        services.AddSingleton<Approvals.ApprovalStore>();
        services.AddSingleton<Approvals.ApprovalService>();
        services.AddSingleton<InitialPolicy>();
        services.AddSingleton<PolicyStore>();
        services.AddSingleton<PolicyService>();
        services.AddSingleton<TenantStore>();
        services.AddSingleton<MessageStore>();
        services.AddSingleton<MessageIntake>();
        services.AddSingleton<SubmissionWriter>();
        services.AddSingleton<SubmissionService>();
        services.AddSingleton<MessageActions>();

        services.AddSingleton<WorkerIdentity>();
        services.AddSingleton<IMailTransportFactory>(sp =>
            sp.GetRequiredService<IOptions<DeliveryOptions>>().Value.Mode == DeliveryMode.Smtp
                ? new SmtpTransportFactory(sp.GetRequiredService<IOptions<SmtpOptions>>())
                : new PickupTransportFactory(sp.GetRequiredService<IOptions<DeliveryOptions>>()));
        services.AddSingleton<PasswordVault>();
        services.AddSingleton<PasswordMailStore>();
        services.AddSingleton<MessageEncryption>();
        services.AddSingleton<PasswordMailService>();
        services.AddSingleton<DeliveryRecorder>();
        services.AddSingleton<DeliveryService>();

        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        return services;
    }

    /// <summary>The Quartz jobs that release holds, deliver mail and purge old idempotency keys.</summary>
    public static IServiceCollection AddSendGateWorker(this IServiceCollection services, WorkerOptions worker)
    {
        services.AddQuartz(q =>
        {
            q.AddJob<ReleaseDueJob>(j => j.WithIdentity(ReleaseDueJob.Key));
            q.AddTrigger(t => t.ForJob(ReleaseDueJob.Key).StartNow()
                .WithSimpleSchedule(s => s.WithInterval(worker.PollInterval).RepeatForever().MeasureIntervalFromCompletion()));
            q.AddJob<DeliverDueJob>(j => j.WithIdentity(DeliverDueJob.Key));
            q.AddTrigger(t => t.ForJob(DeliverDueJob.Key).StartNow()
                .WithSimpleSchedule(s => s.WithInterval(worker.PollInterval).RepeatForever().MeasureIntervalFromCompletion()));
            q.AddJob<DeliverPasswordMailsJob>(j => j.WithIdentity(DeliverPasswordMailsJob.Key));
            q.AddTrigger(t => t.ForJob(DeliverPasswordMailsJob.Key).StartNow()
                .WithSimpleSchedule(s => s.WithInterval(worker.PollInterval).RepeatForever().MeasureIntervalFromCompletion()));
            q.AddJob<ApprovalDeadlinesJob>(j => j.WithIdentity(ApprovalDeadlinesJob.Key));
            q.AddTrigger(t => t.ForJob(ApprovalDeadlinesJob.Key).StartNow()
                .WithSimpleSchedule(s => s.WithInterval(worker.PollInterval).RepeatForever().MeasureIntervalFromCompletion()));
            q.AddJob<DeliverNotificationsJob>(j => j.WithIdentity(DeliverNotificationsJob.Key));
            q.AddTrigger(t => t.ForJob(DeliverNotificationsJob.Key).StartNow()
                .WithSimpleSchedule(s => s.WithInterval(worker.PollInterval).RepeatForever().MeasureIntervalFromCompletion()));
            q.AddJob<DeliverWebhooksJob>(j => j.WithIdentity(DeliverWebhooksJob.Key));
            q.AddTrigger(t => t.ForJob(DeliverWebhooksJob.Key).StartNow()
                .WithSimpleSchedule(s => s.WithInterval(worker.PollInterval).RepeatForever().MeasureIntervalFromCompletion()));
            q.AddJob<RetentionJob>(j => j.WithIdentity(RetentionJob.Key));
            // Hourly, at a quarter past: retention is counted in days, so the exact minute does not matter.
            q.AddTrigger(t => t.ForJob(RetentionJob.Key).WithCronSchedule("0 15 * * * ?"));
            q.AddJob<BlobSweepJob>(j => j.WithIdentity(BlobSweepJob.Key));
            // Daily, off hours: it reads every key of the archive, and what it deletes waited a day already.
            q.AddTrigger(t => t.ForJob(BlobSweepJob.Key).WithCronSchedule("0 40 3 * * ?"));
            q.AddJob<PurgeWebhookDeliveriesJob>(j => j.WithIdentity(PurgeWebhookDeliveriesJob.Key));
            q.AddTrigger(t => t.ForJob(PurgeWebhookDeliveriesJob.Key).WithCronSchedule("0 25 * * * ?"));
            q.AddJob<PurgeIdempotencyKeysJob>(j => j.WithIdentity(PurgeIdempotencyKeysJob.Key));
            q.AddTrigger(t => t.ForJob(PurgeIdempotencyKeysJob.Key).StartNow()
                .WithSimpleSchedule(s => s.WithInterval(TimeSpan.FromHours(1)).RepeatForever().MeasureIntervalFromCompletion()));
        });
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        return services;
    }

    private sealed class LeaseOutlivesSmtpTimeout(IOptions<SmtpOptions> smtp) : IValidateOptions<DeliveryOptions>
    {
        public ValidateOptionsResult Validate(string? name, DeliveryOptions options) =>
            options.LeaseDuration >= smtp.Value.Timeout * 2
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail("SendGate:Delivery:LeaseDuration must be at least twice SendGate:Smtp:Timeout, so a slow send never outlives its lease.");
    }
}
