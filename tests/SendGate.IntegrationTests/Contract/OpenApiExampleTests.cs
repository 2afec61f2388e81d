using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using SendGate.IntegrationTests.Infrastructure;

namespace SendGate.IntegrationTests.Contract;

/// <summary>
/// What Swagger UI fills in works when tried as is: the contract's request examples of
/// <c>POST /v1/messages</c>, and the body Swagger UI makes from the <c>MessageRequest</c> schema
/// alone (for every operation taking it), are accepted and delivered; both documents offer the
/// bearer API key scheme.
/// </summary>
public sealed class OpenApiExampleTests : AppTest
{
    protected override bool WithRelay => true;

    private static readonly OpenApiDocument Contract =
        new("contract", OpenApiTree.FromYaml(File.ReadAllText(Path.Combine(OpenApiContractTests.RepositoryRoot(), "openapi.yaml"))));

    public static TheoryData<string> JsonExamples => new(Examples("application/json").Keys);

    [Theory]
    [MemberData(nameof(JsonExamples))]
    public async Task Each_json_example_of_submit_is_accepted_and_delivered(string name)
    {
        var body = ToJson(Examples("application/json")[name]);

        var response = await Client.PostAsync("/v1/messages", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        await AssertDeliveredAsync(response);
    }

    [Fact]
    public async Task The_raw_mime_example_of_submit_is_accepted_and_delivered()
    {
        var media = MediaType("message/rfc822");
        var raw = Assert.IsType<string>(media["example"]);
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(raw.Replace("\n", "\r\n", StringComparison.Ordinal)));
        content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");

        var response = await Client.PostAsync("/v1/messages", content);

        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        await AssertDeliveredAsync(response);
        Assert.Contains("打ち合わせのご連絡", Assert.Single(Smtp.Received).Parse().Subject, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_body_swagger_ui_makes_from_the_schema_is_accepted_by_submit_and_dry_run()
    {
        var sample = Sample(Contract.Root["components"] is Dictionary<string, object?> c && c["schemas"] is Dictionary<string, object?> s ? s["MessageRequest"] : null);
        var body = ToJson(sample);
        // Swagger UI writes "string" where a schema gives no example: none may be left.
        Assert.DoesNotContain("\"string\"", body, StringComparison.Ordinal);

        var dryRun = await Client.PostAsync("/v1/policies/evaluate", new StringContent(body, Encoding.UTF8, "application/json"));
        var response = await Client.PostAsync("/v1/messages", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.True(dryRun.StatusCode == HttpStatusCode.OK, await dryRun.Content.ReadAsStringAsync());
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body + "\n" + await response.Content.ReadAsStringAsync());
        await AssertDeliveredAsync(response);
    }

    [Fact]
    public async Task Both_documents_offer_the_bearer_api_key_scheme_for_every_operation()
    {
        var generated = OpenApiTree.FromJson(await Client.GetStringAsync("/swagger/v1/swagger.json"));

        foreach (var (name, root) in new[] { ("contract", Contract.Root), ("generated", generated) })
        {
            var schemes = (Dictionary<string, object?>)((Dictionary<string, object?>)root["components"]!)["securitySchemes"]!;
            var scheme = (Dictionary<string, object?>)schemes[SendGate.Api.Infrastructure.OpenApiSetup.ApiKeyScheme]!;
            Assert.True(scheme["type"] as string == "http" && scheme["scheme"] as string == "bearer", name);
            var requirement = Assert.Single((List<object?>)root["security"]!);
            Assert.True(((Dictionary<string, object?>)requirement!).ContainsKey(SendGate.Api.Infrastructure.OpenApiSetup.ApiKeyScheme), name);
        }
    }

    private async Task AssertDeliveredAsync(HttpResponseMessage accepted)
    {
        var id = (await accepted.JsonAsync()).Str("id");
        // Whatever the tenant's policy held, a supervisor's release sends it now.
        var message = await (await Client.GetAsync($"/v1/messages/{id}")).JsonAsync();
        if (message.Str("status") != "queued")
        {
            (await Client.PostAsync($"/v1/messages/{id}/release", null)).EnsureSuccessStatusCode();
        }

        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        Assert.Equal("sent", (await (await Client.GetAsync($"/v1/messages/{id}")).JsonAsync()).Str("status"));
    }

    private static Dictionary<string, object?> MediaType(string mediaType)
    {
        var operation = Contract.Operations().Single(o => o.Key == "POST /v1/messages");
        var content = (Dictionary<string, object?>)((Dictionary<string, object?>)operation.Node["requestBody"]!)["content"]!;
        return (Dictionary<string, object?>)content[mediaType]!;
    }

    private static Dictionary<string, object?> Examples(string mediaType) =>
        ((Dictionary<string, object?>)MediaType(mediaType)["examples"]!).ToDictionary(
            e => e.Key, e => ((Dictionary<string, object?>)e.Value!)["value"], StringComparer.Ordinal);

    /// <summary>A body as Swagger UI makes one from a schema: a property's example where it has one, built up otherwise.</summary>
    private static object? Sample(object? schema)
    {
        var (node, _) = Contract.Resolve(schema, []);
        if (node is null)
        {
            return null;
        }

        if (node.TryGetValue("example", out var example))
        {
            return example;
        }

        return (node.GetValueOrDefault("type") as string) switch
        {
            "object" => node.GetValueOrDefault("properties") is Dictionary<string, object?> properties
                ? properties.ToDictionary(p => p.Key, p => Sample(p.Value), StringComparer.Ordinal)
                : new Dictionary<string, object?>(),
            "array" => new List<object?> { Sample(node.GetValueOrDefault("items")) },
            _ => "string",
        };
    }

    /// <summary>The tree as JSON; its scalars are all strings, as every member of a message request is.</summary>
    private static string ToJson(object? tree) => System.Text.Json.JsonSerializer.Serialize(tree);
}
