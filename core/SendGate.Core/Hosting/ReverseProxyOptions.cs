using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SendGate.Core.Telemetry;

namespace SendGate.Core.Hosting;

/// <summary>
/// The reverse proxies in front of the API host whose <c>X-Forwarded-For</c> and
/// <c>X-Forwarded-Proto</c> are believed: the client address the per-address limits and the
/// metrics networks see, and whether the request came over https (Secure cookies, the OpenID
/// Connect callback's address). Empty: the headers are ignored, and the connection is the client.
/// </summary>
public sealed class ReverseProxyOptions
{
    public const string Section = "SendGate:ReverseProxy";

    /// <summary>Addresses or networks (<c>10.0.0.0/8</c>) of the proxies; a header from anyone else is ignored.</summary>
    public List<string> TrustedProxies { get; set; } = [];

    /// <summary><see cref="TrustedProxies"/> as networks; call only on validated options.</summary>
    public IReadOnlyList<IPNetwork> Networks() => [.. TrustedProxies.Select(n => TelemetryOptions.ParseNetwork(n)!.Value)];

    internal sealed class Validator : IValidateOptions<ReverseProxyOptions>
    {
        public ValidateOptionsResult Validate(string? name, ReverseProxyOptions options)
        {
            var failures = options.TrustedProxies
                .Select((value, i) => TelemetryOptions.ParseNetwork(value) is null
                    ? $"invalid setting {Section}:{nameof(TrustedProxies)}:{i} = \"{value}\": expected a network such as 10.0.0.0/8 or 2001:db8::/32, or one address"
                    : null)
                .OfType<string>()
                .ToList();
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}

public static class ReverseProxyModule
{
    public static IServiceCollection AddReverseProxySettings(this IServiceCollection services)
    {
        services.AddOptions<ReverseProxyOptions>().BindSettings(ReverseProxyOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ReverseProxyOptions>, ReverseProxyOptions.Validator>();
        return services;
    }
}
