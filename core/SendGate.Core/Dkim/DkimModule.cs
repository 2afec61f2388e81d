using Microsoft.Extensions.DependencyInjection;

namespace SendGate.Core.Dkim;

public static class DkimModule
{
    /// <summary>The tenants' DKIM keys and the signing every delivery lane does (wired into the transports by Delivery).</summary>
    public static IServiceCollection AddDkim(this IServiceCollection services)
    {
        services.AddSingleton<DkimKeys>();
        services.AddSingleton<DkimSigning>();
        return services;
    }
}
