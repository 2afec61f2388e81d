using System.Net;
using System.Net.Http.Json;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;

namespace SendGate.IntegrationTests;

/// <summary>
/// One tenant never sees another's messages or keys. Answers are 404, not 403, so that a tenant
/// cannot even learn that an id exists elsewhere.
/// </summary>
public sealed class TenantIsolationTests : IAsyncLifetime
{
    private SendGateApp _app = null!;
    private HttpClient _a = null!;
    private HttpClient _b = null!;

    public async Task InitializeAsync()
    {
        _app = new SendGateApp();
        _a = _app.Admin();
        _b = _app.ClientFor(await _app.CreateOtherTenantAdminKeyAsync());
    }

    public async Task DisposeAsync()
    {
        _a.Dispose();
        _b.Dispose();
        await _app.DisposeAsync();
    }

    [Theory]
    [InlineData("GET", "")]
    [InlineData("GET", "/events")]
    [InlineData("GET", "/mime")]
    [InlineData("POST", "/release")]
    [InlineData("POST", "/cancel")]
    public async Task Message_of_another_tenant_is_not_found(string method, string suffix)
    {
        var id = await SubmitHeldAsync(_a);

        var response = await _b.SendAsync(new HttpRequestMessage(new HttpMethod(method), $"/v1/messages/{id}{suffix}"));

        var problem = await response.ProblemAsync(HttpStatusCode.NotFound, "not-found");
        Assert.Contains(id, problem.Str("detail"));

        // Tenant A's message is untouched, and the answer is the same as for an id that never existed.
        var details = await (await _a.GetAsync($"/v1/messages/{id}")).JsonAsync();
        Assert.Equal("held", details.Str("status"));
        Assert.Equal(2, (await (await _a.GetAsync($"/v1/messages/{id}/events")).JsonAsync()).GetProperty("items").GetArrayLength());
        var unknown = await _b.SendAsync(new HttpRequestMessage(new HttpMethod(method), $"/v1/messages/msg_does_not_exist{suffix}"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Lists_show_only_the_tenants_own_messages()
    {
        var mine = await SubmitHeldAsync(_a);
        var theirs = await SubmitHeldAsync(_b);

        var listA = (await (await _a.GetAsync("/v1/messages")).JsonAsync()).GetProperty("items").EnumerateArray().Select(m => m.Str("id")).ToList();
        var listB = (await (await _b.GetAsync("/v1/messages")).JsonAsync()).GetProperty("items").EnumerateArray().Select(m => m.Str("id")).ToList();

        Assert.Equal([mine], listA);
        Assert.Equal([theirs], listB);

        var filtered = await (await _b.GetAsync("/v1/messages?status=held&from=sender@example.co.jp")).JsonAsync();
        Assert.Equal([theirs], filtered.GetProperty("items").EnumerateArray().Select(m => m.Str("id")));
    }

    [Fact]
    public async Task Api_keys_of_another_tenant_are_invisible_and_cannot_be_revoked()
    {
        var created = await (await _a.PostAsJsonAsync("/v1/api-keys", new { name = "a sender", roles = new[] { "sender" } })).JsonAsync();
        var aKeyId = created.Str("id");
        var aKeys = (await (await _a.GetAsync("/v1/api-keys")).JsonAsync()).GetProperty("items").EnumerateArray().Select(k => k.Str("id")).ToList();
        Assert.Equal(2, aKeys.Count);

        var bKeys = (await (await _b.GetAsync("/v1/api-keys")).JsonAsync()).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal("other admin", Assert.Single(bKeys).Str("name"));
        Assert.DoesNotContain(bKeys, k => aKeys.Contains(k.Str("id")));

        await (await _b.GetAsync($"/v1/api-keys/{aKeyId}")).ProblemAsync(HttpStatusCode.NotFound, "not-found");
        foreach (var id in aKeys)
        {
            await (await _b.DeleteAsync($"/v1/api-keys/{id}")).ProblemAsync(HttpStatusCode.NotFound, "not-found");
        }

        using var aSender = _app.ClientFor(created.Str("key"));
        Assert.Equal(HttpStatusCode.OK, (await aSender.GetAsync("/v1/messages")).StatusCode);
        var stillActive = await (await _a.GetAsync($"/v1/api-keys/{aKeyId}")).JsonAsync();
        Assert.Equal(System.Text.Json.JsonValueKind.Null, stillActive.GetProperty("revokedAt").ValueKind);
    }

    [Fact]
    public async Task Keys_a_tenant_creates_act_within_that_tenant()
    {
        var bSender = await (await _b.PostAsJsonAsync("/v1/api-keys", new { name = "b sender", roles = new[] { "sender" } })).JsonAsync();
        using var client = _app.ClientFor(bSender.Str("key"));

        var id = (await (await client.PostAsJsonAsync("/v1/messages", Mail())).JsonAsync()).Str("id");

        Assert.Equal(HttpStatusCode.OK, (await _b.GetAsync($"/v1/messages/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _a.GetAsync($"/v1/messages/{id}")).StatusCode);
    }

    private static async Task<string> SubmitHeldAsync(HttpClient client)
    {
        var response = await client.PostAsJsonAsync("/v1/messages", Mail(("sendAt", SendGateApp.Start.AddHours(1).ToString("O"))));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.JsonAsync()).Str("id");
    }
}
