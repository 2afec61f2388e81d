using Microsoft.Extensions.DependencyInjection;
using SendGate.Core.Background;
using SendGate.Core.Data;
using SendGate.Core.Hosting;

namespace SendGate.Core.Notifications;

public static class NotificationsModule
{
    /// <summary>The mails SendGate writes itself (approval requests, outcomes to senders) and their queue.</summary>
    public static IServiceCollection AddNotifications(this IServiceCollection services)
    {
        services.AddOptions<NotificationOptions>().BindSettings(NotificationOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => MimeKit.MailboxAddress.TryParse(o.From, out _), "SendGate:Notifications:From must be an address such as \"SendGate <sendgate@example.co.jp>\".")
            .Validate(o => Uri.TryCreate(o.PublicBaseUrl, UriKind.Absolute, out var u) && u.Scheme is "http" or "https",
                "SendGate:Notifications:PublicBaseUrl must be an absolute http(s) URL.")
            .ValidateOnStart();
        services.AddSingleton<NotificationStore>();
        services.AddWorkQueue(NotificationStore.Queue);
        services.AddSingleton<NotificationService>();

        services.AddRecurringWork<NotificationService>("deliver-notifications", WorkSchedule.Poll, (notifications, ct) => notifications.DeliverDueAsync(ct));
        return services;
    }
}
