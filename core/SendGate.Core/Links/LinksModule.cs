using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SendGate.Core.Background;
using SendGate.Core.Hosting;
using SendGate.Core.Messages.Lifecycle;

namespace SendGate.Core.Links;

public static class LinksModule
{
    /// <summary>Attachments replaced by a download link: the download store, the links and their files.</summary>
    public static IServiceCollection AddLinks(this IServiceCollection services)
    {
        services.AddOptions<LinkOptions>().BindSettings(LinkOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<IDownloadStore, FolderDownloadStore>();
        services.AddSingleton<LinkStore>();
        services.AddSingleton<MessageLinks>();
        services.AddSingleton<LinkCodes>();
        services.AddSingleton<LinkSweeper>();
        services.AddSingleton<IMessageMoveHandler, LinkFollowing>();
        services.AddRecurringWork<LinkSweeper>("sweep-download-links", WorkSchedule.Cron("0 */5 * * * ?"), (sweeper, ct) => sweeper.SweepAsync(ct));
        return services;
    }
}
