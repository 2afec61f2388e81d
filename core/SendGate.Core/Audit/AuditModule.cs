using Microsoft.Extensions.DependencyInjection;
using SendGate.Core.Encryption;

namespace SendGate.Core.Audit;

public static class AuditModule
{
    /// <summary>The tenants' keyed audit trails, the operator's, and the key they are kept with.</summary>
    public static IServiceCollection AddAudit(this IServiceCollection services)
    {
        services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => SecretKeyFile.IsValid(o.Key), "SendGate:Audit:Key must be the base64 of 32 random bytes (e.g. openssl rand -base64 32).")
            .Validate(o => !string.IsNullOrWhiteSpace(o.Key) || SecretKeyFile.IsValidFile(o.KeyFile),
                "SendGate:Audit:KeyFile must hold the base64 of 32 random bytes (or not exist yet: it is then created).")
            .ValidateOnStart();
        services.AddSingleton<AuditTrail>();
        services.AddSingleton<OperatorTrail>();
        return services;
    }
}
