using System.Globalization;
using System.Text.Json;
using YamlDotNet.Serialization;

namespace SendGate.IntegrationTests.Contract;

/// <summary>
/// Reads an OpenAPI document, YAML or JSON, into one plain shape: string-keyed dictionaries,
/// lists, and scalars as strings (YAML gives no types without a schema, so JSON's are dropped too).
/// </summary>
internal static class OpenApiTree
{
    public static Dictionary<string, object?> FromYaml(string yaml) =>
        FromYamlNode(new DeserializerBuilder().Build().Deserialize<object?>(yaml)) as Dictionary<string, object?>
            ?? throw new InvalidDataException("The YAML document is not a mapping.");

    public static Dictionary<string, object?> FromJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        return FromJsonElement(document.RootElement) as Dictionary<string, object?>
            ?? throw new InvalidDataException("The JSON document is not an object.");
    }

    private static object? FromYamlNode(object? node) => node switch
    {
        null => null,
        IDictionary<object, object?> map => map.ToDictionary(
            e => Convert.ToString(e.Key, CultureInfo.InvariantCulture) ?? "", e => FromYamlNode(e.Value), StringComparer.Ordinal),
        IEnumerable<object?> list when node is not string => list.Select(FromYamlNode).ToList(),
        _ => Convert.ToString(node, CultureInfo.InvariantCulture),
    };

    private static object? FromJsonElement(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().ToDictionary(p => p.Name, p => FromJsonElement(p.Value), StringComparer.Ordinal),
        JsonValueKind.Array => element.EnumerateArray().Select(FromJsonElement).ToList(),
        JsonValueKind.Null => null,
        JsonValueKind.String => element.GetString(),
        _ => element.GetRawText(),
    };
}
