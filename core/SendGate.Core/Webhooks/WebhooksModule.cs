using Microsoft.Extensions.DependencyInjection;
using SendGate.Core.Background;
using SendGate.Core.Data;
using SendGate.Core.Hosting;

namespace SendGate.Core.Webhooks;

public static class WebhooksModule
{
    /// <summary>Webhook endpoints, the SSRF guard, signed delivery with retries, and the purge of finished deliveries.</summary>
    public static IServiceCollection AddWebhooks(this IServiceCollection services)
    {
        services.AddOptions<WebhookOptions>().BindSettings(WebhookOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.RetryMaxDelay >= o.RetryBaseDelay, "SendGate:Webhooks:RetryBaseDelay may not be above RetryMaxDelay.")
            .ValidateOnStart();
        services.AddSingleton<WebhookStore>();
        services.AddWorkQueue(WebhookStore.Queue);
        services.AddSingleton<SsrfGuard>();
        services.AddSingleton<WebhookService>();

        services.AddRecurringWork<WebhookService>("deliver-webhooks", WorkSchedule.Poll, (webhooks, ct) => webhooks.DeliverDueAsync(ct));
        services.AddRecurringWork<WebhookService>("purge-webhook-deliveries", WorkSchedule.Cron("0 25 * * * ?"), (webhooks, ct) => webhooks.PurgeFinishedAsync(ct));
        return services;
    }
}
