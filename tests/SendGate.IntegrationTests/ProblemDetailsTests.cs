using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using SendGate.IntegrationTests.Infrastructure;

namespace SendGate.IntegrationTests;

/// <summary>
/// Answers the framework gives before or instead of a handler (no route, wrong method, a body
/// that does not bind) are problems with a stable type and a human detail too, never a 500.
/// </summary>
public sealed class ProblemDetailsTests : AppTest
{
    [Theory]
    [InlineData("/v1/api-keys", "{\"name\": ", "name")]
    [InlineData("/v1/api-keys", "{\"name\": 5, \"roles\": [\"admin\"]}", "name")]
    [InlineData("/v1/api-keys", "[1, 2]", "body")]
    [InlineData("/v1/messages/msg_x/release", "{\"reason\": ", "reason")]
    [InlineData("/v1/messages/msg_x/release", "{", "body")]
    [InlineData("/v1/messages/msg_x/cancel", "{\"reason\": [1]}", "reason")]
    public async Task Json_body_that_does_not_bind_is_malformed_json_not_a_500(string path, string body, string field)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");

        var response = await Client.PostAsync(path, content);

        await response.ProblemAsync(HttpStatusCode.BadRequest, "malformed-json", field);
    }

    [Fact]
    public async Task A_query_parameter_of_the_wrong_form_is_a_validation_problem()
    {
        using var content = new StringContent("{}", Encoding.UTF8, "application/json");

        var response = await Client.PostAsync("/v1/policies/rules?position=first", content);

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, "validation");
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task Production_answers_a_body_that_does_not_bind_the_same_way()
    {
        // Development throws on a bad body and Production used to answer a bare 400; both now give the problem.
        await using var production = App.WithWebHostBuilder(b => b.UseEnvironment("Production"));
        using var client = production.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", SendGateApp.AdminKey);
        using var content = new StringContent("{\"name\": 5, \"roles\": [\"admin\"]}", Encoding.UTF8, "application/json");

        var response = await client.PostAsync("/v1/api-keys", content);

        await response.ProblemAsync(HttpStatusCode.BadRequest, "malformed-json", "name");
    }

    [Fact]
    public async Task Missing_body_where_one_is_required_is_400()
    {
        using var content = new ByteArrayContent([]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        var response = await Client.PostAsync("/v1/api-keys", content);

        await response.ProblemAsync(HttpStatusCode.BadRequest, "malformed-json");
    }

    [Fact]
    public async Task Wrong_media_type_for_a_json_body_is_415()
    {
        using var content = new StringContent("name=x", Encoding.UTF8, "application/x-www-form-urlencoded");

        var response = await Client.PostAsync("/v1/api-keys", content);

        var problem = await response.ProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
        Assert.Contains("application/x-www-form-urlencoded", problem.Str("detail"));
    }

    [Fact]
    public async Task Unknown_route_is_404_with_a_detail()
    {
        var response = await Client.GetAsync("/v1/nothing-here");

        var problem = await response.ProblemAsync(HttpStatusCode.NotFound, "not-found");
        Assert.Contains("/v1/nothing-here", problem.Str("detail"));
    }

    [Fact]
    public async Task Wrong_method_is_405_with_a_detail()
    {
        var response = await Client.PutAsync("/v1/messages", null);

        var problem = await response.ProblemAsync(HttpStatusCode.MethodNotAllowed, "method-not-allowed");
        Assert.Contains("PUT", problem.Str("detail"));
    }
}
