using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using SendGate.Core.Hosting;

namespace SendGate.Core.Telemetry;

public static class TelemetryModule
{
    /// <summary>
    /// The meter and the activity source, the queue gauges' sampling, and OTLP export of both when
    /// <see cref="TelemetryOptions.OtlpEndpoint"/> is set. Without it no trace is sampled here (the
    /// API host's /metrics reads the meter). The hosts add their own readers and instrumentation
    /// to the same OpenTelemetry builder.
    /// </summary>
    public static IServiceCollection AddTelemetry(this IServiceCollection services)
    {
        services.AddOptions<TelemetryOptions>().BindSettings(TelemetryOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TelemetryOptions>, TelemetryOptions.Validator>();
        services.AddMetrics();
        services.AddSingleton<SendGateMetrics>();
        services.AddSingleton<QueueGauges>();
        services.AddHostedService(sp => sp.GetRequiredService<QueueGauges>());
        services.AddHostedService<FlushOnStop>();

        var version = typeof(TelemetryModule).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource
                .AddService("sendgate", serviceVersion: version, autoGenerateServiceInstanceId: false)
                // The worker's lease-owner name, which the message events name too.
                .AddDetector(sp => new InstanceDetector(sp.GetRequiredService<Background.WorkerIdentity>().Name)))
            .WithMetrics(metrics => Deferred(metrics, (sp, builder) =>
            {
                if (Options(sp).Otlp() is { } endpoint)
                {
                    var o = Options(sp);
                    builder.AddMeter(SendGateMetrics.MeterName).AddReader(new PeriodicExportingMetricReader(
                        new OtlpMetricExporter(Exporter(endpoint, o.OtlpProtocol, "v1/metrics")), (int)o.OtlpMetricsInterval.TotalMilliseconds));
                }
            }))
            .WithTracing(tracing => Deferred(tracing, (sp, builder) =>
            {
                if (Options(sp).Otlp() is { } endpoint)
                {
                    builder.AddSource(SendGateTracing.SourceName)
                        .AddProcessor(new BatchActivityExportProcessor(new OtlpTraceExporter(Exporter(endpoint, Options(sp).OtlpProtocol, "v1/traces"))));
                }
                else
                {
                    // Nothing would receive a span: none is recorded, whatever instrumentation a host adds.
                    builder.SetSampler(new AlwaysOffSampler());
                }
            }));
        return services;
    }

    private static TelemetryOptions Options(IServiceProvider services) => services.GetRequiredService<IOptions<TelemetryOptions>>().Value;

    // Set in code, the OTLP/HTTP endpoint is taken as it is: the signal's path is added here.
    private static OtlpExporterOptions Exporter(Uri endpoint, OtlpProtocol protocol, string signalPath) => new()
    {
        Protocol = protocol == OtlpProtocol.HttpProtobuf ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc,
        Endpoint = protocol == OtlpProtocol.HttpProtobuf ? new Uri($"{endpoint.AbsoluteUri.TrimEnd('/')}/{signalPath}") : endpoint,
    };

    /// <summary>Configures the provider once the settings can be read (they decide which exporters exist).</summary>
    public static MeterProviderBuilder Deferred(MeterProviderBuilder builder, Action<IServiceProvider, MeterProviderBuilder> configure) =>
        ((IDeferredMeterProviderBuilder)builder).Configure(configure);

    /// <inheritdoc cref="Deferred(MeterProviderBuilder, Action{IServiceProvider, MeterProviderBuilder})"/>
    public static TracerProviderBuilder Deferred(TracerProviderBuilder builder, Action<IServiceProvider, TracerProviderBuilder> configure) =>
        ((IDeferredTracerProviderBuilder)builder).Configure(configure);

    /// <summary>
    /// Pushes what the OTLP exporters still hold when the host stops, while the meter still exists
    /// (the container disposes it, and may do so before the providers' own last export). Registered
    /// with the core, so it stops after the work that the hosts register later.
    /// </summary>
    private sealed class FlushOnStop(IServiceProvider services, IOptions<TelemetryOptions> options) : Microsoft.Extensions.Hosting.IHostedService
    {
        private const int TimeoutMs = 5000;

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken)
        {
            if (options.Value.Otlp() is not null)
            {
                services.GetService<TracerProvider>()?.ForceFlush(TimeoutMs);
                services.GetService<MeterProvider>()?.ForceFlush(TimeoutMs);
            }

            return Task.CompletedTask;
        }
    }

    private sealed class InstanceDetector(string instance) : IResourceDetector
    {
        public Resource Detect() => new([new KeyValuePair<string, object>("service.instance.id", instance)]);
    }
}
