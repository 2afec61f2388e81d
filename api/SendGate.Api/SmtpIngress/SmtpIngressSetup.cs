using System.Net;
using Microsoft.Extensions.Options;
using SendGate.Core.Hosting;

namespace SendGate.Api.SmtpIngress;

internal static class SmtpIngressSetup
{
    /// <summary>The SMTP door: its settings (checked on start, whether on or off) and the listener, which runs only when enabled.</summary>
    public static IServiceCollection AddSendGateSmtpIngress(this IServiceCollection services)
    {
        services.AddSmtpIngressSettings();
        services.AddSingleton<SmtpIngressHost>();
        services.AddHostedService(sp => sp.GetRequiredService<SmtpIngressHost>());
        return services;
    }

    /// <summary>The <c>SendGate:SmtpIngress</c> settings alone, so that the start-up check names a bad one in a line.</summary>
    public static IServiceCollection AddSmtpIngressSettings(this IServiceCollection services)
    {
        services.AddOptions<SmtpIngressOptions>().BindSettings(SmtpIngressOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.Endpoints.All(e => IPAddress.TryParse(e.Address, out _)), $"{SmtpIngressOptions.Section}:Endpoints:N:Address must be an IP address (0.0.0.0, ::, or one address).")
            .Validate(o => o.Endpoints.All(e => SmtpTls.All.Contains(e.Tls)), $"{SmtpIngressOptions.Section}:Endpoints:N:Tls must be one of {string.Join(", ", SmtpTls.All)}.")
            .Validate(o => o.Endpoints.All(e => e.Port is >= 0 and <= 65535), $"{SmtpIngressOptions.Section}:Endpoints:N:Port must be 0 to 65535.")
            .Validate(o => !o.Enabled || o.EffectiveEndpoints().All(e => e.Tls == SmtpTls.None) || (File.Exists(o.CertificateFile) && File.Exists(o.KeyFile)),
                $"{SmtpIngressOptions.Section}:CertificateFile and KeyFile must name PEM files when an endpoint offers TLS (starttls or implicit).")
            .Validate(o => o.ServerName.Length is > 0 and <= 255 && o.ServerName.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-'),
                $"{SmtpIngressOptions.Section}:ServerName must be a host name (letters, digits, dots and hyphens).")
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<SmtpIngressOptions>, BufferHoldsTheLargestMessage>();
        return services;
    }

    private sealed class BufferHoldsTheLargestMessage(IOptions<SendGate.Core.Messages.LimitsOptions> limits) : IValidateOptions<SmtpIngressOptions>
    {
        public ValidateOptionsResult Validate(string? name, SmtpIngressOptions options) =>
            options.MaxBufferedBytes >= limits.Value.MaxRequestBytes
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail($"{SmtpIngressOptions.Section}:MaxBufferedBytes must be at least SendGate:Limits:MaxRequestBytes ({limits.Value.MaxRequestBytes}), or no message of the largest size could ever be received.");
    }
}
