using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using SendGate.Core.Data;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.Audit;

/// <summary>Who did what, when, from where — hash-chained per tenant, so tampering is detected.</summary>
public sealed class AuditTrailTests : AppTest
{
    private async Task<List<JsonElement>> EntriesAsync(string query = "") =>
        (await (await Client.GetAsync($"/v1/audit{query}")).JsonAsync()).GetProperty("items").EnumerateArray().ToList();

    private async Task ExecuteAsync(string sql, object args)
    {
        await using var connection = await App.Service<IDbConnectionFactory>().OpenAsync();
        await connection.ExecuteAsync(sql, args);
    }

    [Fact]
    public async Task Actions_by_people_and_keys_are_recorded_with_who_what_and_why()
    {
        var id = (await (await Client.PostAsJsonAsync("/v1/messages", Mail(("sendAt", SendGateApp.Start.AddHours(1).ToString("O"))))).JsonAsync()).Str("id");
        await Client.PostAsJsonAsync($"/v1/messages/{id}/cancel", new { reason = "宛先誤り" });
        var key = await (await Client.PostAsJsonAsync("/v1/api-keys", new { name = "order system", roles = new[] { "sender" } })).JsonAsync();
        await Client.DeleteAsync($"/v1/api-keys/{key.Str("id")}");
        await Client.SetPolicyAsync(Rule("hold", [new { type = "hold", duration = "PT5M" }]));
        await (await Client.PostAsJsonAsync($"/v1/messages/{id}/release", new { })).ProblemAsync(HttpStatusCode.Conflict, "invalid-transition");

        var entries = await EntriesAsync();
        Assert.Equal(["PUT /v1/policies/", "DELETE /v1/api-keys/{id}", "POST /v1/api-keys/", "POST /v1/messages/{id}/cancel"],
            entries.Select(e => e.Str("action")));
        var cancel = entries[^1];
        Assert.Equal("宛先誤り", cancel.Str("detail"));
        Assert.Equal($"id={id}", cancel.Str("resource"));
        Assert.StartsWith("api-key:key_", cancel.Str("actor"), StringComparison.Ordinal);
        Assert.Equal(200, cancel.GetProperty("statusCode").GetInt32());
        Assert.Equal(SendGateApp.Start, cancel.GetProperty("at").GetDateTimeOffset());

        Assert.Single(await EntriesAsync("?action=cancel"));
        Assert.Equal(4, (await EntriesAsync($"?actor={Uri.EscapeDataString(cancel.Str("actor"))}")).Count);
        var page = await (await Client.GetAsync("/v1/audit?limit=3")).JsonAsync();
        Assert.Equal(3, page.GetProperty("items").GetArrayLength());
        var rest = await EntriesAsync($"?cursor={page.Str("nextCursor")}");
        Assert.Equal("POST /v1/messages/{id}/cancel", Assert.Single(rest).Str("action"));
    }

    [Fact]
    public async Task Verify_proves_the_chain_intact_or_names_the_first_altered_or_missing_entry()
    {
        for (var i = 0; i < 4; i++)
        {
            await Client.PatchAsJsonAsync("/v1/tenant", new { name = $"Example {i}" });
        }

        var intact = await (await Client.GetAsync("/v1/audit/verify")).JsonAsync();
        Assert.True(intact.GetProperty("intact").GetBoolean());
        Assert.Equal(4, intact.GetProperty("entries").GetInt64());

        var tenantId = (await (await Client.GetAsync("/v1/tenant")).JsonAsync()).Str("id");
        await ExecuteAsync("UPDATE audit_log SET actor = 'someone else' WHERE tenant_id = @tenantId AND seq = 2", new { tenantId });
        var altered = await (await Client.GetAsync("/v1/audit/verify")).JsonAsync();
        Assert.False(altered.GetProperty("intact").GetBoolean());
        Assert.Equal(2, altered.GetProperty("firstBrokenSeq").GetInt64());
        Assert.Contains("altered", altered.Str("problem"), StringComparison.Ordinal);

        await ExecuteAsync("DELETE FROM audit_log WHERE tenant_id = @tenantId AND seq IN (1, 2)", new { tenantId });
        var missing = await (await Client.GetAsync("/v1/audit/verify")).JsonAsync();
        Assert.Equal(1, missing.GetProperty("firstBrokenSeq").GetInt64());
        Assert.Equal("removed", missing.Str("reason"));
        Assert.Contains("removed", missing.Str("problem"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_tenant_sees_only_its_own_trail_and_only_admins_see_it()
    {
        await Client.PatchAsJsonAsync("/v1/tenant", new { name = "Mine" });
        using var other = App.ClientFor(await App.CreateOtherTenantAdminKeyAsync());
        Assert.Empty((await (await other.GetAsync("/v1/audit")).JsonAsync()).GetProperty("items").EnumerateArray());
        Assert.True((await (await other.GetAsync("/v1/audit/verify")).JsonAsync()).GetProperty("intact").GetBoolean());

        using var reviewer = App.ClientFor(await App.CreateKeyAsync("reviewer"));
        await (await reviewer.GetAsync("/v1/audit")).ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await Client.GetAsync("/v1/audit?from=yesterday")).ProblemAsync(HttpStatusCode.BadRequest, "invalid-field", "from");
    }
}
