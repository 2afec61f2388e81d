using System.Net.Http.Json;
using System.Text.Json;

namespace SendGate.IntegrationTests.Infrastructure;

internal static class HttpJson
{
    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response) =>
        await response.Content.ReadFromJsonAsync<JsonElement>();

    public static string Str(this JsonElement element, string name) => element.GetProperty(name).GetString()!;

    /// <summary>Builds the JSON body of a simple message; override fields with <paramref name="extra"/>.</summary>
    public static Dictionary<string, object?> Mail(params (string Key, object? Value)[] extra)
    {
        var body = new Dictionary<string, object?>
        {
            ["from"] = "Sender <sender@example.co.jp>",
            ["to"] = new[] { "to@example.com" },
            ["subject"] = "Hello",
            ["text"] = "Body text",
        };
        foreach (var (key, value) in extra)
        {
            body[key] = value;
        }

        return body;
    }
}
