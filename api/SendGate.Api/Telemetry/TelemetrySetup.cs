using System.Net;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using SendGate.Api.Infrastructure;
using SendGate.Core.Telemetry;

namespace SendGate.Api.Telemetry;

/// <summary>
/// The API host's part of telemetry: HTTP server metrics and spans (ASP.NET Core's, which continue
/// an incoming <c>traceparent</c>), and the Prometheus scrape endpoint <c>GET /metrics</c>, which
/// may be limited to the operator's networks. The meter, the activity source and OTLP export
/// are the core's (<see cref="TelemetryModule"/>).
/// </summary>
internal static class TelemetrySetup
{
    public const string MetricsPath = "/metrics";

    // Route values that are secrets (signed links) or people's addresses stay out of url.path.
    private static readonly string[] HiddenRouteValues = ["token", "address"];

    public static IServiceCollection AddSendGateHttpTelemetry(this IServiceCollection services)
    {
        // A scrape reads counters in memory and gauges already sampled: nothing worth caching, and a
        // scrape right after a change shows it.
        services.Configure<OpenTelemetry.Exporter.PrometheusAspNetCoreOptions>(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
        services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddAspNetCoreInstrumentation(o =>
            {
                // Scrapes and probes every few seconds are not what anyone traces.
                o.Filter = context => !context.Request.Path.StartsWithSegments(MetricsPath) && !context.Request.Path.StartsWithSegments("/health");
                o.EnrichWithHttpResponse = (activity, response) =>
                {
                    if (response.HttpContext.GetEndpoint() is RouteEndpoint { RoutePattern: var pattern } && HidesValues(pattern))
                    {
                        activity.SetTag("url.path", pattern.RawText);
                    }
                };
            }))
            .WithMetrics(metrics => TelemetryModule.Deferred(metrics.AddAspNetCoreInstrumentation(), (sp, builder) =>
            {
                if (sp.GetRequiredService<IOptions<TelemetryOptions>>().Value.MetricsEndpoint)
                {
                    builder.AddMeter(SendGateMetrics.MeterName).AddPrometheusExporter();
                }
            }));
        return services;
    }

    /// <summary>
    /// <c>GET /metrics</c> in the Prometheus text format (or OpenMetrics, as the scraper asks), when
    /// <see cref="TelemetryOptions.MetricsEndpoint"/>; a client outside <see cref="TelemetryOptions.MetricsNetworks"/> gets a 403 problem.
    /// </summary>
    public static WebApplication MapSendGateMetrics(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value;
        if (!options.MetricsEndpoint)
        {
            return app;
        }

        var networks = options.Networks();
        app.MapPrometheusScrapingEndpoint(MetricsPath, meterProvider: null, configureBranchedPipeline: branch =>
            {
                if (networks.Count > 0)
                {
                    branch.Use((context, next) => Allowed(context.Connection.RemoteIpAddress, networks) ? next(context) : RefuseAsync(context));
                }
            }, optionsName: null)
            .WithMetadata(new HttpMethodMetadata([HttpMethods.Get]))
            .ExcludeFromDescription();
        return app;
    }

    private static bool HidesValues(RoutePattern pattern) =>
        pattern.Parameters.Any(p => HiddenRouteValues.Contains(p.Name, StringComparer.OrdinalIgnoreCase));

    internal static bool Allowed(IPAddress? address, IReadOnlyList<IPNetwork> networks)
    {
        if (address is null)
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return networks.Any(n => n.Contains(address));
    }

    private static Task RefuseAsync(HttpContext context) =>
        Problems.Of(StatusCodes.Status403Forbidden, Problems.Forbidden, "Forbidden",
                "The metrics are served only to the networks in SendGate:Telemetry:MetricsNetworks.")
            .ExecuteAsync(context);
}
