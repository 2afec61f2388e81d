using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SendGate.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace SendGate.IntegrationTests;

/// <summary>
/// A client is told what is wrong in JSON terms ("must be an array of strings"), never in .NET
/// ones: every endpoint taking a JSON body gets each of its members with a value of the wrong
/// type, an unknown member and broken JSON, and no answer names a .NET type or option.
/// </summary>
public sealed partial class TypeNameLeakTests(ITestOutputHelper output) : AppTest
{
    [Fact]
    public async Task Wrong_typed_members_of_every_json_body_are_described_without_dotnet_names()
    {
        var endpoints = App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => (Endpoint: e, Accepts: e.Metadata.GetMetadata<IAcceptsMetadata>(), Methods: e.Metadata.GetMetadata<IHttpMethodMetadata>()))
            .Where(e => e.Accepts is { RequestType: not null } && e.Accepts.ContentTypes.Contains("application/json") && e.Methods is not null)
            .ToList();
        Assert.True(endpoints.Count >= 15, $"only {endpoints.Count} endpoints take JSON");

        // The operator's routes take an operator key, every other one the tenant's admin key.
        var (_, operatorSecret) = await App.Service<SendGate.Core.Tenants.OperatorKeys>().CreateAsync("type names");
        using var operatorClient = App.ClientFor(operatorSecret);
        var failures = new List<string>();
        foreach (var (endpoint, accepts, methods) in endpoints)
        {
            var path = RouteParameter().Replace(endpoint.RoutePattern.RawText!, m => m.Value.Contains(":int", StringComparison.Ordinal) ? "1" : "x");
            var method = new HttpMethod(methods!.HttpMethods[0]);
            var refusedAsInput = 0;
            foreach (var body in Bodies(accepts!.RequestType!))
            {
                using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                var response = await (path.StartsWith("/v1/operator", StringComparison.Ordinal) ? operatorClient : Client).SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                refusedAsInput += response.StatusCode == HttpStatusCode.BadRequest ? 1 : 0;
                if ((int)response.StatusCode >= 500 || Leak().Match(text) is { Success: true })
                {
                    failures.Add($"{method} {path} {body} -> {(int)response.StatusCode} {text}");
                }
            }

            output.WriteLine($"{method} {path}: {refusedAsInput} refused as input");
            if (refusedAsInput == 0)
            {
                failures.Add($"{method} {path}: no body was ever read (nothing answered 400)");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory]
    [InlineData("""{"to": "a@example.com"}""", "to", "'to' must be an array of strings.")]
    [InlineData("""{"to": [5]}""", "to[0]", "'to[0]' must be a string.")]
    [InlineData("""{"headers": {"X-A": 5}}""", "headers.X-A", "'headers.X-A' must be a string.")]
    [InlineData("""{"attachments": [{"filename": []}]}""", "attachments[0].filename", "'attachments[0].filename' must be a string.")]
    [InlineData("""{"bbc": ["a@example.com"]}""", "bbc", "'bbc' is not a member of the body")]
    [InlineData("""{"subject": "x",""", "body", "The body is not valid JSON")]
    public async Task A_message_body_of_the_wrong_shape_is_described_in_json_terms(string body, string field, string message)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");

        var response = await Client.PostAsync("/v1/messages", content);

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, "malformed-json");
        var reported = problem.GetProperty("violations")[0];
        Assert.StartsWith(message, reported.GetProperty("message").GetString());
        Assert.Equal(field, reported.GetProperty("field").GetString());
    }

    [Theory]
    [InlineData("(a)\\1", "backreferences, lookarounds")]
    [InlineData("(?=a)b", "backreferences, lookarounds")]
    [InlineData("(a", "a '(' is not closed at position 2")]
    [InlineData("[z-a]", "a range in [...] runs backwards")]
    public async Task A_pattern_the_engine_refuses_is_explained_without_its_option_names(string pattern, string expected)
    {
        var rule = new { name = "p", conditions = new { all = new[] { new { type = "subject", pattern } } }, actions = new[] { new { type = "reject", reason = "r" } } };

        var response = await Client.PostAsync("/v1/policies/rules", JsonContent(rule));

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, "invalid-pattern");
        var text = problem.GetRawText();
        Assert.Contains(expected, text);
        Assert.False(Leak().IsMatch(text), text);
    }

    /// <summary>For each member (two levels down), the body with a value of another JSON type there; plus an unknown member, a non-object and broken JSON.</summary>
    private static IEnumerable<string> Bodies(Type type)
    {
        foreach (var body in WrongValues(type, depth: 0))
        {
            yield return body.ToJsonString();
        }

        yield return """{"surelyNotAMember": 1}""";
        yield return "[1]";
        yield return """{"a": """;
    }

    private static IEnumerable<JsonObject> WrongValues(Type type, int depth)
    {
        var info = JsonSerializerOptions.Web.GetTypeInfo(type);
        if (info.Kind != JsonTypeInfoKind.Object)
        {
            yield break;
        }

        foreach (var property in info.Properties)
        {
            var kind = KindOf(property.PropertyType);
            yield return new JsonObject { [property.Name] = kind == "string" ? JsonValue.Create(12345) : JsonValue.Create("text") };
            if (depth > 0)
            {
                continue;
            }

            // One level down: inside an object member, or inside the objects of an array member.
            var inner = JsonSerializerOptions.Web.GetTypeInfo(property.PropertyType);
            var element = inner.Kind == JsonTypeInfoKind.Enumerable ? inner.ElementType : inner.Kind == JsonTypeInfoKind.Object ? property.PropertyType : null;
            if (element is null || JsonSerializerOptions.Web.GetTypeInfo(element).Kind != JsonTypeInfoKind.Object)
            {
                continue;
            }

            foreach (var nested in WrongValues(element, depth + 1))
            {
                yield return new JsonObject { [property.Name] = inner.Kind == JsonTypeInfoKind.Enumerable ? new JsonArray(nested) : nested };
            }
        }
    }

    private static string KindOf(Type type) =>
        (Nullable.GetUnderlyingType(type) ?? type) == typeof(string) ? "string" : "other";

    private static StringContent JsonContent(object value) => new(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");

    [GeneratedRegex(@"\{[^}/]+\}")]
    private static partial Regex RouteParameter();

    /// <summary>.NET namespaces, generic arity backticks, regex option names.</summary>
    [GeneratedRegex(@"System\.|SendGate\.|Microsoft\.|`\d|RegexOptions|NonBacktracking|\.NET member")]
    private static partial Regex Leak();
}
