using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SendGate.Core.Background;
using SendGate.Core.Data;
using SendGate.Core.Hosting;
using SendGate.Core.Messages.Lifecycle;
using SendGate.Core.Mime;

namespace SendGate.Core.Messages;

public static class MessagesModule
{
    /// <summary>Submission (MIME intake, limits, idempotency), the message store and the senders' actions.</summary>
    public static IServiceCollection AddMessages(this IServiceCollection services)
    {
        services.AddOptions<LimitsOptions>().BindSettings(LimitsOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.MaxHeaderValueLength <= o.MaxHeaderBytes && o.MaxSubjectLength <= o.MaxHeaderBytes,
                "SendGate:Limits:MaxHeaderValueLength and MaxSubjectLength may not exceed MaxHeaderBytes.")
            .ValidateOnStart();
        // One owner of every status change; a test may hand it other rules (see LifecycleRules).
        services.TryAddSingleton(LifecycleRules.Default);
        services.AddSingleton<MessageLifecycle>();
        services.AddWorkQueue(MessageLifecycle.Queue);
        services.AddSingleton<MessageStore>();
        services.AddSingleton<MessageIntake>();
        services.AddSingleton<SubmissionWriter>();
        services.AddSingleton<SubmissionService>();
        services.AddSingleton<MessageActions>();

        services.AddRecurringWork<SubmissionService>("purge-idempotency-keys", WorkSchedule.Every(TimeSpan.FromHours(1)),
            (submissions, ct) => submissions.PurgeExpiredIdempotencyKeysAsync(ct));
        return services;
    }
}
