using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SendGate.Core.Background;
using SendGate.Core.Hosting;

namespace SendGate.Core.Delivery;

public static class DeliveryModule
{
    /// <summary>Sending released mail: the relay (SMTP) or the pickup folder, leases, retries and their records.</summary>
    public static IServiceCollection AddDelivery(this IServiceCollection services)
    {
        services.AddOptions<DeliveryOptions>().BindSettings(DeliveryOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.RetryMaxDelay >= o.RetryBaseDelay, "SendGate:Delivery:RetryBaseDelay may not be above RetryMaxDelay.")
            .Validate(o => o.MessageTimeBudget <= o.LeaseDuration / 2,
                "SendGate:Delivery:MessageTimeBudget must be at most half of LeaseDuration, so a message given up still leaves the lease to record it.")
            .ValidateOnStart();
        services.AddOptions<SmtpOptions>().BindSettings(SmtpOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<DeliveryOptions>, LeaseOutlivesSmtpTimeout>();

        // Every lane signs with the tenant's DKIM key as the last step before the relay (Dkim/).
        services.AddSingleton<IMailTransportFactory>(sp => new Dkim.DkimSigningTransportFactory(
            sp.GetRequiredService<IOptions<DeliveryOptions>>().Value.Mode == DeliveryMode.Smtp
                ? new SmtpTransportFactory(sp.GetRequiredService<IOptions<SmtpOptions>>(), sp.GetRequiredService<Telemetry.SendGateMetrics>())
                : new PickupTransportFactory(sp.GetRequiredService<IOptions<DeliveryOptions>>()),
            sp.GetRequiredService<Dkim.DkimSigning>(), sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<Dkim.DkimSigning>>()));
        services.AddSingleton<DeliveryRecorder>();
        services.AddSingleton<DeliveryService>();

        // A failed run leaves its claims leased; this or another worker takes them again after expiry.
        services.AddRecurringWork<DeliveryService>("deliver-due", WorkSchedule.Poll, (delivery, ct) => delivery.DeliverDueAsync(ct));
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
