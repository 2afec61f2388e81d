using System.Net;
using Microsoft.Extensions.Options;
using SendGate.Core.Hosting;

namespace SendGate.Core.Telemetry;

public enum OtlpProtocol
{
    /// <summary>OTLP over gRPC (a collector's port 4317).</summary>
    Grpc,

    /// <summary>OTLP over HTTP with protobuf bodies (port 4318); the signal's path is appended to the endpoint.</summary>
    HttpProtobuf,
}

public sealed class TelemetryOptions
{
    public const string Section = "SendGate:Telemetry";

    /// <summary>Serve the Prometheus scrape endpoint <c>GET /metrics</c> on the API host.</summary>
    public bool MetricsEndpoint { get; set; } = true;

    /// <summary>Networks (<c>10.0.0.0/8</c>, <c>2001:db8::/32</c>, or one address) that may scrape <c>/metrics</c>; empty: any client.</summary>
    public List<string> MetricsNetworks { get; set; } = [];

    /// <summary>Where metrics and traces are pushed with OTLP (a collector); nothing is exported this way when empty.</summary>
    public string? OtlpEndpoint { get; set; }

    public OtlpProtocol OtlpProtocol { get; set; } = OtlpProtocol.Grpc;

    /// <summary>How often metrics are pushed to <see cref="OtlpEndpoint"/>.</summary>
    [Duration("00:00:01", "01:00:00")]
    public TimeSpan OtlpMetricsInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the work queues' depth and oldest due item are read (one query per queue); a scrape only reads the last values.</summary>
    [Duration("00:00:01", "01:00:00")]
    public TimeSpan QueueSampleInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary><see cref="MetricsNetworks"/> as networks; call only on validated options.</summary>
    public IReadOnlyList<IPNetwork> Networks() => [.. MetricsNetworks.Select(n => ParseNetwork(n)!.Value)];

    public Uri? Otlp() => string.IsNullOrWhiteSpace(OtlpEndpoint) ? null : new Uri(OtlpEndpoint.Trim(), UriKind.Absolute);

    /// <summary>A network in CIDR form, or one address as the network of just that address.</summary>
    internal static IPNetwork? ParseNetwork(string value)
    {
        var text = value.Trim();
        if (IPNetwork.TryParse(text, out var network))
        {
            return network;
        }

        return IPAddress.TryParse(text, out var address) ? new IPNetwork(address, address.GetAddressBytes().Length * 8) : null;
    }

    /// <summary>Each refused value on its own line, in the words of the other settings' refusals.</summary>
    internal sealed class Validator : IValidateOptions<TelemetryOptions>
    {
        public ValidateOptionsResult Validate(string? name, TelemetryOptions options)
        {
            var failures = new List<string>();
            for (var i = 0; i < options.MetricsNetworks.Count; i++)
            {
                if (ParseNetwork(options.MetricsNetworks[i]) is null)
                {
                    failures.Add($"invalid setting {Section}:{nameof(MetricsNetworks)}:{i} = \"{options.MetricsNetworks[i]}\": expected a network such as 10.0.0.0/8 or 2001:db8::/32, or one address");
                }
            }

            if (!string.IsNullOrWhiteSpace(options.OtlpEndpoint)
                && !(Uri.TryCreate(options.OtlpEndpoint.Trim(), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
            {
                failures.Add($"invalid setting {Section}:{nameof(OtlpEndpoint)} = \"{options.OtlpEndpoint}\": expected an http:// or https:// URL such as http://collector:4317");
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
