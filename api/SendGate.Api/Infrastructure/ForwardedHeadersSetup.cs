using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using SendGate.Core.Hosting;

namespace SendGate.Api.Infrastructure;

/// <summary>
/// Behind a reverse proxy that terminates TLS, the connection comes from the proxy over http: the
/// client's address and scheme are in X-Forwarded-For and X-Forwarded-Proto, believed only from
/// the proxies in <see cref="ReverseProxyOptions.TrustedProxies"/>. ASP.NET Core's own switch
/// (ASPNETCORE_FORWARDEDHEADERS_ENABLED) believes them from anyone, so that whoever reaches the
/// port directly could choose the address the per-address limits and the metrics networks see.
/// </summary>
internal static class ForwardedHeadersSetup
{
    public static IServiceCollection AddSendGateForwardedHeaders(this IServiceCollection services)
    {
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ReverseProxyOptions>>((o, proxy) =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // Only the configured proxies (the default trusts loopback); every hop walked back while it is one of them.
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var network in proxy.Value.Networks())
            {
                o.KnownIPNetworks.Add(network);
            }

            o.ForwardLimit = null;
        });
        return services;
    }

    /// <summary>First in the pipeline, so that everything after sees the client; nothing at all without trusted proxies.</summary>
    public static IApplicationBuilder UseSendGateForwardedHeaders(this IApplicationBuilder app) =>
        app.ApplicationServices.GetRequiredService<IOptions<ReverseProxyOptions>>().Value.TrustedProxies.Count == 0
            ? app
            : app.UseForwardedHeaders();
}
