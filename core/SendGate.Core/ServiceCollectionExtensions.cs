using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SendGate.Core.Approvals;
using SendGate.Core.Archive;
using SendGate.Core.Audit;
using SendGate.Core.Background;
using SendGate.Core.Data;
using SendGate.Core.Delivery;
using SendGate.Core.Dkim;
using SendGate.Core.Encryption;
using SendGate.Core.Links;
using SendGate.Core.SmtpIngress;
using SendGate.Core.Hosting;
using SendGate.Core.Messages;
using SendGate.Core.Notifications;
using SendGate.Core.Policies;
using SendGate.Core.ReviewConsole;
using SendGate.Core.Telemetry;
using SendGate.Core.Tenants;
using SendGate.Core.Webhooks;

namespace SendGate.Core;

public static class ServiceCollectionExtensions
{
    /// <summary>
    /// The product, feature by feature: each folder registers its options (validated on start), its
    /// services and the lines of the background schedule it owns. The hosts add only their doors,
    /// and <see cref="BackgroundModule.AddSendGateWorker"/> to run the schedule.
    /// </summary>
    public static IServiceCollection AddSendGateCore(this IServiceCollection services)
    {
        // ISO-2022-JP and Shift_JIS decode silently to garbage without the code-page provider.
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        services.TryAddSingleton(TimeProvider.System);

        services
            .AddDatabase()
            .AddTenants()
            .AddMessages()
            .AddDelivery()
            .AddBackgroundWork()
            .AddPolicies()
            .AddWebhooks()
            .AddNotifications()
            .AddEncryption()
            .AddLinks()
            .AddAudit()
            .AddArchive()
            .AddApprovals()
            .AddReviewConsole()
            .AddSmtpIngress()
            .AddDkim()
            .AddTelemetry()
            .AddReverseProxySettings();

        // Migrations, the first tenant and the audit key, before any other hosted service starts.
        services.AddHostedService<DatabaseInitializer>();
        return services;
    }
}
