using Microsoft.Extensions.DependencyInjection;

namespace SendGate.Core.SmtpIngress;

public static class SmtpIngressModule
{
    /// <summary>What the SMTP door needs below its listener: the tenants' credentials and connectors.</summary>
    public static IServiceCollection AddSmtpIngress(this IServiceCollection services)
    {
        services.AddSingleton<SmtpCredentials>();
        services.AddSingleton<SmtpConnectors>();
        return services;
    }
}
