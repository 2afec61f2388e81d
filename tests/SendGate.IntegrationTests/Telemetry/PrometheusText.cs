using System.Globalization;
using System.Text.RegularExpressions;

namespace SendGate.IntegrationTests.Telemetry;

/// <summary>The samples of a Prometheus text exposition: metric name, labels and value per line.</summary>
internal sealed partial class PrometheusText(IReadOnlyList<PrometheusText.Sample> samples)
{
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    public IReadOnlyList<Sample> Samples => samples;

    public static PrometheusText Parse(string text) =>
        new([.. text.Split('\n').Where(l => l.Length > 0 && l[0] != '#').Select(ParseLine)]);

    /// <summary>The samples of <paramref name="name"/> that carry at least <paramref name="labels"/>.</summary>
    public IReadOnlyList<Sample> Find(string name, params (string Key, string Value)[] labels) =>
        [.. samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value))];

    /// <summary>The one sample of <paramref name="name"/> with <paramref name="labels"/>; fails naming what there is.</summary>
    public double Value(string name, params (string Key, string Value)[] labels)
    {
        var found = Find(name, labels);
        Assert.True(found.Count == 1, $"{found.Count} samples of {name} with {string.Join(", ", labels.Select(l => $"{l.Key}={l.Value}"))}; "
            + $"there are: {string.Join("; ", samples.Where(s => s.Name == name).Select(s => string.Join(",", s.Labels.Select(l => $"{l.Key}={l.Value}"))))}");
        return found[0].Value;
    }

    private static Sample ParseLine(string line)
    {
        var match = SampleLine().Match(line);
        Assert.True(match.Success, $"Not a Prometheus sample line: {line}");
        var labels = LabelPair().Matches(match.Groups["labels"].Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        var value = match.Groups["value"].Value switch
        {
            "+Inf" => double.PositiveInfinity,
            var v => double.Parse(v, CultureInfo.InvariantCulture),
        };
        return new Sample(match.Groups["name"].Value, labels, value);
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})?\s+(?<value>\S+)(\s+\d+)?\r?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex LabelPair();
}
