using Microsoft.Extensions.DependencyInjection;
using SendGate.Core.Hosting;

namespace SendGate.Core.Policies;

public static class PoliciesModule
{
    /// <summary>Tenants' policies: the one a new tenant starts with, their storage and the cached, compiled form.</summary>
    public static IServiceCollection AddPolicies(this IServiceCollection services)
    {
        services.AddOptions<PolicyOptions>().BindSettings(PolicyOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.InitialPolicy is "recommended" or "empty" || File.Exists(o.InitialPolicy),
                "SendGate:Policy:InitialPolicy must be 'recommended', 'empty' or the path of an existing policy JSON file.")
            .ValidateOnStart();
        services.AddSingleton<InitialPolicy>();
        services.AddSingleton<PolicyStore>();
        services.AddSingleton<CompanyNames>();
        services.AddSingleton<PolicyService>();
        return services;
    }
}
