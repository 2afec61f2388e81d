namespace SendGate.IntegrationTests.Telemetry;

/// <summary>
/// OpenTelemetry listens to meters by name, and every host in this process has a meter named
/// SendGate: tests that read exact values run alone, after the others.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "Telemetry (alone)";
}
