using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Reflection;
using System.Text;
using System.Text.Json;
using SendGate.Api.Infrastructure;
using SendGate.Core.Mime;

namespace SendGate.IntegrationTests.Contract;

/// <summary>
/// Keeps the published <c>openapi.yaml</c> true to the running app: it must be served, and it must
/// agree with the document Swashbuckle generates from the endpoints.
/// </summary>
public sealed class OpenApiContractTests(ContractHost host) : IClassFixture<ContractHost>
{
    [Fact]
    public async Task ContractAgreesWithTheGeneratedDocument()
    {
        var contract = await ServedContractAsync();
        using var client = host.CreateClient();
        var generated = new OpenApiDocument("generated", OpenApiTree.FromJson(await client.GetStringAsync("/swagger/v1/swagger.json")));

        var differences = OpenApiDrift.Compare(contract, generated);

        Assert.True(differences.Count == 0,
            $"openapi.yaml and the generated document (/swagger/v1/swagger.json) disagree in {differences.Count} place(s):{Environment.NewLine}"
            + string.Join(Environment.NewLine, differences.Select(d => "  - " + d)));
    }

    [Fact]
    public async Task ServedContractIsTheRepositorysOpenApiYaml()
    {
        using var client = host.CreateClient();
        var served = await client.GetStringAsync("/openapi.yaml");

        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "openapi.yaml")), served);
    }

    [Fact]
    public async Task OperationsLeftOutOfTheGeneratedDocumentAreServed()
    {
        var contract = await ServedContractAsync();
        var excluded = contract.Operations().Where(o => o.ExcludedFromGenerated).ToList();
        Assert.NotEmpty(excluded);

        using var client = host.CreateClient();
        foreach (var operation in excluded.Where(o => o.Method == "GET"))
        {
            using var response = await client.GetAsync(operation.Path);
            Assert.True(operation.StatusCodes.Contains(((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture)),
                $"{operation.Key} answered {(int)response.StatusCode}, which the contract does not list ({string.Join(", ", operation.StatusCodes)}).");
        }
    }

    [Fact]
    public async Task EveryProblemTypeTheCodeDefinesIsInTheContract()
    {
        var contract = await ServedContractAsync();
        var introduction = Introduction(contract);
        var codes = new[] { typeof(Problems), typeof(ViolationCode), typeof(SendGate.Core.Policies.PolicyViolation) }
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static))
            .Where(f => f is { IsLiteral: true, Name: not nameof(Problems.TypePrefix) } && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToList();
        Assert.NotEmpty(codes);

        var missing = codes.Where(code => !introduction.Contains($"`{Problems.Type(code)}`", StringComparison.Ordinal)).ToList();
        Assert.True(missing.Count == 0, $"Problem types missing from the table in openapi.yaml: {string.Join(", ", missing.Select(Problems.Type))}");
    }

    /// <summary>
    /// Problem extension members (traceId, errors, violations, ...) are invisible to the generator, so
    /// the drift test cannot check them; real problems from the running app are checked instead.
    /// </summary>
    [Fact]
    public async Task ProblemsUseOnlyMembersAndTypesTheContractDocuments()
    {
        var contract = await ServedContractAsync();
        var problemSchema = contract.Resolve(new Dictionary<string, object?> { ["$ref"] = "#/components/schemas/Problem" }, []).Node;
        Assert.NotNull(problemSchema);
        var declared = (problemSchema.GetValueOrDefault("properties") as Dictionary<string, object?>)?.Keys.ToHashSet() ?? [];
        var introduction = Introduction(contract);

        using var admin = host.CreateAdminClient();
        using var anonymous = host.CreateClient();
        var problems = new List<(string Case, HttpResponseMessage Response)>
        {
            ("invalid message", await admin.PostAsJsonAsync("/v1/messages", new { from = "not an address", to = new[] { "b@example.com" } })),
            ("no API key", await anonymous.GetAsync("/v1/messages")),
            ("unknown message", await admin.GetAsync("/v1/messages/msg_unknown")),
            ("unknown API key", await admin.DeleteAsync("/v1/api-keys/key_unknown")),
            ("unsupported media type", await admin.PostAsync("/v1/messages", new StringContent("hello", Encoding.UTF8, "text/plain"))),
            ("body too large", await admin.PostAsync("/v1/messages", Mime(new string('x', (int)ContractHost.MaxRequestBytes + 1)))),
            ("unreadable body", await admin.PostAsync("/v1/api-keys", new StringContent("{", Encoding.UTF8, "application/json"))),
        };

        var approverKey = await CreateKeyAsync(admin, "approver");
        using (var approver = host.CreateClient())
        {
            approver.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", approverKey);
            problems.Add(("role not allowed", await approver.GetAsync("/v1/messages")));
        }

        var queued = await SubmitAsync(admin, "first body", idempotencyKey: "contract-test-key");
        problems.Add(("idempotency key reused", await admin.SendAsync(Submission("second body", "contract-test-key"))));
        problems.Add(("invalid transition", await admin.PostAsync($"/v1/messages/{queued}/release", null)));

        var failures = new List<string>();
        foreach (var (name, response) in problems)
        {
            using (response)
            {
                var status = (int)response.StatusCode;
                if (status < 400 || response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                {
                    failures.Add($"{name}: answered {status} {response.Content.Headers.ContentType}, not a problem.");
                    continue;
                }

                using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                foreach (var member in body.RootElement.EnumerateObject().Select(p => p.Name).Distinct().Where(m => !declared.Contains(m)))
                {
                    failures.Add($"{name} ({status}): member '{member}' is not declared in the contract's Problem schema.");
                }

                var type = body.RootElement.TryGetProperty("type", out var t) ? t.GetString() : null;
                if (type is null || !introduction.Contains($"`{type}`", StringComparison.Ordinal))
                {
                    failures.Add($"{name} ({status}): problem type '{type}' is not in the contract's table of problem types.");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    private async Task<OpenApiDocument> ServedContractAsync()
    {
        using var client = host.CreateClient();
        using var response = await client.GetAsync("/openapi.yaml");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var yaml = await response.Content.ReadAsStringAsync();
        Assert.False(string.IsNullOrWhiteSpace(yaml), "/openapi.yaml is served empty.");
        return new OpenApiDocument("openapi.yaml", OpenApiTree.FromYaml(yaml));
    }

    private static string Introduction(OpenApiDocument contract) =>
        (contract.Root.GetValueOrDefault("info") as Dictionary<string, object?>)?.GetValueOrDefault("description") as string ?? "";

    private static async Task<string> CreateKeyAsync(HttpClient admin, string role)
    {
        var approverAddress = role == "approver" ? "approver@example.co.jp" : null;
        using var response = await admin.PostAsJsonAsync("/v1/api-keys", new { name = $"contract {role}", roles = new[] { role }, approverAddress });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("key").GetString()!;
    }

    private static async Task<string> SubmitAsync(HttpClient client, string text, string idempotencyKey)
    {
        using var response = await client.SendAsync(Submission(text, idempotencyKey));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("id").GetString()!;
    }

    private static HttpRequestMessage Submission(string text, string idempotencyKey) => new(HttpMethod.Post, "/v1/messages")
    {
        Headers = { { "Idempotency-Key", idempotencyKey } },
        Content = JsonContent.Create(new { from = "a@example.com", to = new[] { "b@example.com" }, subject = "contract", text }),
    };

    private static ByteArrayContent Mime(string body)
    {
        var content = new ByteArrayContent(Encoding.ASCII.GetBytes(body));
        content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
        return content;
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SendGate.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No SendGate.sln above {AppContext.BaseDirectory}.");
    }
}
