using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;

namespace SendGate.IntegrationTests;

/// <summary>API-key authentication and what each role may do.</summary>
public sealed class AuthorizationTests : AppTest
{
    public static TheoryData<string, string> ProtectedEndpoints => new()
    {
        { "POST", "/v1/messages" },
        { "GET", "/v1/messages" },
        { "GET", "/v1/messages/msg_x" },
        { "GET", "/v1/messages/msg_x/events" },
        { "GET", "/v1/messages/msg_x/mime" },
        { "POST", "/v1/messages/msg_x/release" },
        { "POST", "/v1/messages/msg_x/cancel" },
        { "GET", "/v1/api-keys" },
        { "POST", "/v1/api-keys" },
        { "GET", "/v1/api-keys/key_x" },
        { "DELETE", "/v1/api-keys/key_x" },
        { "GET", "/v1/policies" },
        { "PUT", "/v1/policies" },
        { "GET", "/v1/policies/versions" },
        { "POST", "/v1/policies/rules" },
        { "PUT", "/v1/policies/rules/r1" },
        { "DELETE", "/v1/policies/rules/r1" },
        { "POST", "/v1/policies/evaluate" },
        { "GET", "/v1/tenant" },
        { "PATCH", "/v1/tenant" },
        { "GET", "/v1/approvals" },
        { "GET", "/v1/approvals/apr_x" },
        { "POST", "/v1/approvals/apr_x/approve" },
        { "POST", "/v1/approvals/apr_x/reject" },
        { "GET", "/v1/approval-routes" },
        { "PUT", "/v1/approval-routes/r1" },
        { "DELETE", "/v1/approval-routes/r1" },
        { "POST", "/v1/webhooks" },
        { "GET", "/v1/webhooks" },
        { "GET", "/v1/webhooks/whk_x" },
        { "PATCH", "/v1/webhooks/whk_x" },
        { "DELETE", "/v1/webhooks/whk_x" },
        { "POST", "/v1/webhooks/whk_x/rotate-secret" },
        { "GET", "/v1/webhooks/whk_x/deliveries" },
        { "POST", "/v1/webhooks/whk_x/deliveries/evt_x/retry" },
        { "GET", "/v1/audit" },
        { "GET", "/v1/audit/verify" },
        { "GET", "/v1/messages/export" },
        { "PUT", "/v1/messages/msg_x/legal-hold" },
        { "DELETE", "/v1/messages/msg_x/legal-hold" },
        { "GET", "/v1/messages/msg_x/sent" },
    };

    [Theory]
    [MemberData(nameof(ProtectedEndpoints))]
    public async Task No_authorization_header_is_401_with_a_bearer_challenge(string method, string path)
    {
        using var anonymous = App.CreateClient();

        var response = await anonymous.SendAsync(Request(method, path));

        var problem = await response.ProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        Assert.Contains("Bearer", problem.Str("detail"));
    }

    [Fact]
    public async Task Unauthenticated_submission_stores_nothing()
    {
        using var anonymous = App.CreateClient();
        await anonymous.PostAsJsonAsync("/v1/messages", Mail());

        Assert.Empty((await (await Client.GetAsync("/v1/messages")).JsonAsync()).GetProperty("items").EnumerateArray());
    }

    [Theory]
    [InlineData("sg_this_key_was_never_issued_0123456789")]
    [InlineData("x")]
    public async Task Unknown_key_is_401(string key)
    {
        using var client = App.ClientFor(key);

        var response = await client.GetAsync("/v1/messages");

        var problem = await response.ProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        Assert.Contains("unknown or revoked", problem.Str("detail"));
    }

    [Theory]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer")]
    [InlineData(SendGateApp.AdminKey)]
    public async Task Authorization_header_that_is_not_a_bearer_key_is_401(string header)
    {
        using var client = App.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/messages");
        request.Headers.TryAddWithoutValidation("Authorization", header);

        var response = await client.SendAsync(request);

        await response.ProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task Bearer_scheme_is_case_insensitive()
    {
        using var client = App.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/messages");
        request.Headers.TryAddWithoutValidation("Authorization", $"bearer {SendGateApp.AdminKey}");

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Revoked_key_is_401()
    {
        var (id, key) = await CreateKeyWithIdAsync("sender");
        using var client = App.ClientFor(key);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/v1/messages", Mail())).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync($"/v1/api-keys/{id}")).StatusCode);

        var response = await client.PostAsJsonAsync("/v1/messages", Mail());
        await response.ProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Single((await (await Client.GetAsync("/v1/messages")).JsonAsync()).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Reviewer_cannot_submit_but_can_read_release_and_cancel()
    {
        using var reviewer = App.ClientFor(await App.CreateKeyAsync("reviewer"));

        var submit = await reviewer.PostAsJsonAsync("/v1/messages", Mail());
        var problem = await submit.ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        Assert.Contains("role", problem.Str("detail"));

        var held1 = await SubmitHeldAsync();
        var held2 = await SubmitHeldAsync();
        Assert.Equal(HttpStatusCode.OK, (await reviewer.GetAsync("/v1/messages")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await reviewer.GetAsync($"/v1/messages/{held1}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await reviewer.GetAsync($"/v1/messages/{held1}/events")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await reviewer.GetAsync($"/v1/messages/{held1}/mime")).StatusCode);

        var release = await reviewer.PostAsync($"/v1/messages/{held1}/release", null);
        Assert.Equal(HttpStatusCode.OK, release.StatusCode);
        Assert.Equal("queued", (await release.JsonAsync()).Str("status"));
        var cancel = await reviewer.PostAsync($"/v1/messages/{held2}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal("cancelled", (await cancel.JsonAsync()).Str("status"));

        await (await reviewer.GetAsync("/v1/api-keys")).ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task Approver_alone_may_not_touch_messages()
    {
        using var approver = App.ClientFor(await App.CreateKeyAsync("approver"));
        var held = await SubmitHeldAsync();

        await (await approver.PostAsJsonAsync("/v1/messages", Mail())).ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await approver.GetAsync("/v1/messages")).ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await approver.GetAsync($"/v1/messages/{held}")).ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await approver.GetAsync($"/v1/messages/{held}/mime")).ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await approver.PostAsync($"/v1/messages/{held}/release", null)).ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await approver.PostAsync($"/v1/messages/{held}/cancel", null)).ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await approver.GetAsync("/v1/api-keys")).ProblemAsync(HttpStatusCode.Forbidden, "forbidden");

        var details = await (await Client.GetAsync($"/v1/messages/{held}")).JsonAsync();
        Assert.Equal("held", details.Str("status"));
    }

    [Fact]
    public async Task Sender_may_submit_and_read_but_not_manage_api_keys()
    {
        using var sender = App.ClientFor(await App.CreateKeyAsync("sender"));

        var submitted = await sender.PostAsJsonAsync("/v1/messages", Mail());
        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await sender.GetAsync($"/v1/messages/{(await submitted.JsonAsync()).Str("id")}")).StatusCode);

        await (await sender.GetAsync("/v1/api-keys")).ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await sender.PostAsJsonAsync("/v1/api-keys", new { name = "escalate", roles = new[] { "admin" } }))
            .ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        var adminKeyId = (await (await Client.GetAsync("/v1/api-keys")).JsonAsync()).GetProperty("items")[0].Str("id");
        await (await sender.GetAsync($"/v1/api-keys/{adminKeyId}")).ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await sender.DeleteAsync($"/v1/api-keys/{adminKeyId}")).ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        var keys = (await (await Client.GetAsync("/v1/api-keys")).JsonAsync()).GetProperty("items").EnumerateArray();
        Assert.DoesNotContain(keys, k => k.Str("name") == "escalate");
    }

    [Fact]
    public async Task Admin_may_do_everything()
    {
        var submitted = await Client.PostAsJsonAsync("/v1/messages", Mail());
        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        var held = await SubmitHeldAsync();
        var other = await SubmitHeldAsync();

        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync("/v1/messages")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync($"/v1/messages/{held}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync($"/v1/messages/{held}/events")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync($"/v1/messages/{held}/mime")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Client.PostAsync($"/v1/messages/{held}/release", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Client.PostAsync($"/v1/messages/{other}/cancel", null)).StatusCode);

        var (id, _) = await CreateKeyWithIdAsync("reviewer");
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync("/v1/api-keys")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync($"/v1/api-keys/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync($"/v1/api-keys/{id}")).StatusCode);
    }

    [Fact]
    public async Task Key_with_several_roles_has_the_union_of_their_rights()
    {
        using var client = App.ClientFor(await App.CreateKeyAsync("approver", "reviewer"));
        var held = await SubmitHeldAsync();

        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/v1/messages/{held}/release", null)).StatusCode);
        await (await client.PostAsJsonAsync("/v1/messages", Mail())).ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
    }

    private async Task<string> SubmitHeldAsync()
    {
        var response = await Client.PostAsJsonAsync("/v1/messages", Mail(("sendAt", SendGateApp.Start.AddHours(1).ToString("O"))));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.JsonAsync()).Str("id");
    }

    private async Task<(string Id, string Key)> CreateKeyWithIdAsync(params string[] roles)
    {
        var response = await Client.PostAsJsonAsync("/v1/api-keys", new { name = "test key", roles });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.JsonAsync();
        return (body.Str("id"), body.Str("key"));
    }

    private static HttpRequestMessage Request(string method, string path)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = JsonContent.Create(path == "/v1/api-keys" ? new { name = "n", roles = new[] { "admin" } } : (object)Mail());
        }

        return request;
    }
}
