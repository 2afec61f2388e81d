using Microsoft.Extensions.DependencyInjection;
using SendGate.Core.Background;
using SendGate.Core.Hosting;

namespace SendGate.Core.Tenants;

public static class TenantsModule
{
    /// <summary>Tenants and their API keys, the first tenant's bootstrap settings and the key cache, suspension and quotas, the operator's keys.</summary>
    public static IServiceCollection AddTenants(this IServiceCollection services)
    {
        services.AddOptions<BootstrapOptions>().BindSettings(BootstrapOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => string.IsNullOrWhiteSpace(o.ApiKey) || o.ApiKey.Trim().Length >= 24,
                "SendGate:Bootstrap:ApiKey must be at least 24 characters long.")
            .ValidateOnStart();
        services.AddOptions<AuthOptions>().BindSettings(AuthOptions.Section).ValidateOnStart();
        services.AddOptions<QuotaOptions>().BindSettings(QuotaOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<TenantStore>();
        services.AddSingleton<TenantAccess>();
        services.AddSingleton<OperatorKeys>();
        services.AddSingleton<TenantDeletion>();
        services.AddRecurringWork<TenantDeletion>("purge-deleted-tenants", Background.WorkSchedule.Every(TimeSpan.FromMinutes(1)), (deletion, ct) => deletion.PurgeDueAsync(ct));
        return services;
    }
}
