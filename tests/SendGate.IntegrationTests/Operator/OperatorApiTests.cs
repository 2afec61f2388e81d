using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SendGate.Core.Audit;
using SendGate.Core.Tenants;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;

namespace SendGate.IntegrationTests.Operator;

/// <summary>
/// The operator of a host for many companies: tenants made with their first admin key, listed with
/// their usage, suspended (nothing lost, nothing sent) and resumed, held to their quotas; operator
/// keys and tenant keys never reach each other's routes; every change in the operator's trail.
/// </summary>
public sealed class OperatorApiTests : IAsyncLifetime
{
    private SendGateApp _app = null!;
    private HttpClient _operator = null!;

    public async Task InitializeAsync()
    {
        _app = new SendGateApp();
        var (_, secret) = await _app.Service<OperatorKeys>().CreateAsync("ops");
        _operator = _app.ClientFor(secret);
    }

    public async Task DisposeAsync()
    {
        _operator.Dispose();
        await _app.DisposeAsync();
    }

    private async Task<(string Id, HttpClient Admin)> CreateTenantAsync(object? quotas = null, string name = "株式会社ミナト")
    {
        var response = await _operator.PostAsJsonAsync("/v1/operator/tenants",
            new { name, internalDomains = new[] { "minato.example" }, language = "ja", timeZone = "Asia/Tokyo", initialPolicy = "empty", quotas });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.JsonAsync();
        return (body.GetProperty("tenant").Str("id"), _app.ClientFor(body.GetProperty("adminKey").Str("key")));
    }

    private static Dictionary<string, object?> MailOf(string from = "taro@minato.example") =>
        Mail(("from", from), ("to", new[] { "someone@customer.example" }));

    [Fact]
    public async Task A_created_tenant_works_at_once_with_its_first_admin_key_and_its_settings()
    {
        var response = await _operator.PostAsJsonAsync("/v1/operator/tenants", new
        {
            name = "株式会社ミナト", internalDomains = new[] { "Minato.Example", "@sub.minato.example" }, language = "en", timeZone = "Asia/Tokyo",
            initialPolicy = "recommended", quotas = new { messagesPerDay = 1000 },
        });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.JsonAsync();
        var tenant = body.GetProperty("tenant");
        Assert.Equal($"/v1/operator/tenants/{tenant.Str("id")}", response.Headers.Location!.OriginalString);
        Assert.Equal("active", tenant.Str("status"));
        Assert.Equal(1000, tenant.GetProperty("quotas").GetProperty("messagesPerDay").GetInt64());
        Assert.Equal(JsonValueKind.Null, tenant.GetProperty("ownQuotas").GetProperty("apiKeys").ValueKind);
        var secret = body.GetProperty("adminKey").Str("key");
        Assert.StartsWith("sg_", secret, StringComparison.Ordinal);

        using var admin = _app.ClientFor(secret);
        var own = await admin.GetFromJsonAsync<JsonElement>("/v1/tenant");
        Assert.Equal(tenant.Str("id"), own.Str("id"));
        Assert.Equal(["minato.example", "sub.minato.example"], own.GetProperty("internalDomains").EnumerateArray().Select(d => d.GetString()));
        Assert.Equal("en", own.Str("language"));
        var policy = await admin.GetFromJsonAsync<JsonElement>("/v1/policies");
        Assert.True(policy.GetProperty("rules").GetArrayLength() > 5);
        // Its mail is its own: the first tenant sees none of it.
        var id = (await (await admin.PostAsJsonAsync("/v1/messages", MailOf())).JsonAsync()).Str("id");
        using var first = _app.Admin();
        Assert.Equal(HttpStatusCode.NotFound, (await first.GetAsync($"/v1/messages/{id}")).StatusCode);
    }

    [Fact]
    public async Task Operator_keys_and_tenant_keys_never_reach_each_other_s_routes()
    {
        using var tenantAdmin = _app.Admin();
        var refused = await tenantAdmin.GetAsync("/v1/operator/tenants");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("urn:sendgate:problem:forbidden", (await refused.JsonAsync()).Str("type"));

        foreach (var path in new[] { "/v1/tenant", "/v1/messages", "/v1/api-keys", "/v1/audit" })
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await _operator.GetAsync(path)).StatusCode);
        }

        using var anonymous = _app.ClientFor("");
        anonymous.DefaultRequestHeaders.Authorization = null;
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/v1/operator/tenants")).StatusCode);
        using var guessed = _app.ClientFor(OperatorKeys.Prefix + "not-a-key-0123456789abcdefghij");
        Assert.Equal(HttpStatusCode.Unauthorized, (await guessed.GetAsync("/v1/operator/tenants")).StatusCode);

        // A revoked operator key stops at once.
        var (row, secret) = await _app.Service<OperatorKeys>().CreateAsync("temporary");
        using var temporary = _app.ClientFor(secret);
        Assert.Equal(HttpStatusCode.OK, (await temporary.GetAsync("/v1/operator/tenants")).StatusCode);
        Assert.True(await _app.Service<OperatorKeys>().RevokeAsync(row.Id));
        Assert.Equal(HttpStatusCode.Unauthorized, (await temporary.GetAsync("/v1/operator/tenants")).StatusCode);
    }

    [Fact]
    public async Task The_list_pages_through_the_tenants_with_their_usage()
    {
        var (id, admin) = await CreateTenantAsync();
        using (admin)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsJsonAsync("/v1/messages", MailOf())).StatusCode);
        }

        var first = await _operator.GetFromJsonAsync<JsonElement>("/v1/operator/tenants?limit=1");
        Assert.Single(first.GetProperty("items").EnumerateArray());
        var cursor = first.Str("nextCursor");
        var second = await _operator.GetFromJsonAsync<JsonElement>($"/v1/operator/tenants?limit=1&cursor={cursor}");
        var created = Assert.Single(second.GetProperty("items").EnumerateArray());
        Assert.Equal(id, created.Str("id"));
        Assert.Equal(JsonValueKind.Null, second.GetProperty("nextCursor").ValueKind);
        var usage = created.GetProperty("usage");
        Assert.Equal(1, usage.GetProperty("messagesToday").GetProperty("used").GetInt64());
        Assert.Equal("2026-11-28", usage.Str("day"));
        Assert.True(usage.GetProperty("storedBytes").GetProperty("used").GetInt64() > 0);
        Assert.Equal(1, usage.GetProperty("apiKeys").GetProperty("used").GetInt64());

        var bad = await _operator.GetAsync("/v1/operator/tenants?limit=0&cursor=x");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var missing = await _operator.GetAsync("/v1/operator/tenants/tnt_nobody");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("urn:sendgate:problem:tenant-not-found", (await missing.JsonAsync()).Str("type"));
    }

    [Fact]
    public async Task A_suspended_tenant_is_refused_everywhere_and_its_mail_waits_until_it_is_resumed()
    {
        var (id, admin) = await CreateTenantAsync();
        using var _ = admin;
        var queued = (await (await admin.PostAsJsonAsync("/v1/messages", MailOf())).JsonAsync()).Str("id");

        var suspended = await _operator.PostAsync($"/v1/operator/tenants/{id}/suspend", null);
        Assert.Equal(HttpStatusCode.OK, suspended.StatusCode);
        Assert.Equal("suspended", (await suspended.JsonAsync()).Str("status"));

        var refused = await admin.PostAsJsonAsync("/v1/messages", MailOf());
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var problem = await refused.JsonAsync();
        Assert.Equal("urn:sendgate:problem:tenant-suspended", problem.Str("type"));
        Assert.Contains("kept", problem.Str("detail"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.GetAsync($"/v1/messages/{queued}")).StatusCode);

        // Its queued mail is kept and not sent; another tenant's mail goes on.
        using var first = _app.Admin();
        Assert.Equal(HttpStatusCode.Accepted, (await first.PostAsJsonAsync("/v1/messages", Mail())).StatusCode);
        Assert.Equal(1, (await _app.DeliverDueAsync()).Sent);
        Assert.Equal(0, (await _app.DeliverDueAsync()).Sent);

        Assert.Equal(HttpStatusCode.OK, (await _operator.PostAsync($"/v1/operator/tenants/{id}/resume", null)).StatusCode);
        Assert.Equal(1, (await _app.DeliverDueAsync()).Sent);
        var message = await admin.GetFromJsonAsync<JsonElement>($"/v1/messages/{queued}");
        Assert.Equal("sent", message.Str("status"));
    }

    [Fact]
    public async Task The_daily_quota_answers_429_until_the_tenant_s_midnight_and_the_key_quota_403()
    {
        var (id, admin) = await CreateTenantAsync(new { messagesPerDay = 2, apiKeys = 2 });
        using var _ = admin;
        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsJsonAsync("/v1/messages", MailOf())).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsJsonAsync("/v1/messages", MailOf())).StatusCode);

        var refused = await admin.PostAsJsonAsync("/v1/messages", MailOf());
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var problem = await refused.JsonAsync();
        Assert.Equal("urn:sendgate:problem:quota-exceeded", problem.Str("type"));
        Assert.Equal("messagesPerDay", problem.Str("quota"));
        Assert.Equal(2, problem.GetProperty("limit").GetInt64());
        // Midnight in Tokyo is 15:00 UTC; the test clock stands at 09:00 UTC.
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 15, 0, 0, TimeSpan.Zero), problem.GetProperty("resetsAt").GetDateTimeOffset());
        Assert.Equal((6 * 3600).ToString(System.Globalization.CultureInfo.InvariantCulture), refused.Headers.RetryAfter!.ToString());

        var usage = await admin.GetFromJsonAsync<JsonElement>("/v1/tenant/usage");
        Assert.Equal(2, usage.GetProperty("messagesToday").GetProperty("used").GetInt64());
        Assert.Equal(2, usage.GetProperty("messagesToday").GetProperty("limit").GetInt64());

        _app.Time.Advance(TimeSpan.FromHours(6) + TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsJsonAsync("/v1/messages", MailOf())).StatusCode);

        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/v1/api-keys", new { name = "app", roles = new[] { "sender" } })).StatusCode);
        var third = await admin.PostAsJsonAsync("/v1/api-keys", new { name = "one too many", roles = new[] { "sender" } });
        Assert.Equal(HttpStatusCode.Forbidden, third.StatusCode);
        Assert.Equal("apiKeys", (await third.JsonAsync()).Str("quota"));

        // Raised by the operator: seen at once.
        var raised = await _operator.PutAsJsonAsync($"/v1/operator/tenants/{id}/quotas", new { messagesPerDay = 0, apiKeys = 3 });
        Assert.Equal(HttpStatusCode.OK, raised.StatusCode);
        Assert.Equal(JsonValueKind.Null, (await raised.JsonAsync()).GetProperty("quotas").GetProperty("messagesPerDay").ValueKind);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/v1/api-keys", new { name = "now allowed", roles = new[] { "sender" } })).StatusCode);
    }

    [Fact]
    public async Task A_deleted_tenant_is_refused_at_once_then_purged_by_the_worker_unless_a_legal_hold_stands()
    {
        var (id, admin) = await CreateTenantAsync();
        using var _ = admin;
        var kept = (await (await admin.PostAsJsonAsync("/v1/messages", Mail(("from", "taro@minato.example"), ("to", new[] { "someone@customer.example" }),
            ("attachments", new[] { new { filename = "見積書.pdf", contentType = "application/pdf", content = Convert.ToBase64String("%PDF-1.4 quote"u8.ToArray()) } })))).JsonAsync()).Str("id");
        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsJsonAsync("/v1/messages", MailOf())).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/v1/messages/{kept}/legal-hold", new { reason = "dispute" })).StatusCode);

        var refused = await _operator.DeleteAsync($"/v1/operator/tenants/{id}");
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        var problem = await refused.JsonAsync();
        Assert.Equal("urn:sendgate:problem:legal-hold", problem.Str("type"));
        Assert.Equal(1, problem.GetProperty("messagesUnderLegalHold").GetInt64());
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/v1/tenant")).StatusCode);

        var deleting = await _operator.DeleteAsync($"/v1/operator/tenants/{id}?force=true");
        Assert.Equal(HttpStatusCode.Accepted, deleting.StatusCode);
        Assert.Equal("deleting", (await deleting.JsonAsync()).Str("status"));
        // Refused at once, before the worker purged anything; nothing of it is delivered.
        Assert.Equal(HttpStatusCode.Unauthorized, (await admin.GetAsync("/v1/tenant")).StatusCode);
        Assert.Equal(0, (await _app.DeliverDueAsync()).Sent);
        Assert.Equal(HttpStatusCode.NotFound, (await _operator.GetAsync($"/v1/operator/tenants/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _operator.PostAsync($"/v1/operator/tenants/{id}/resume", null)).StatusCode);

        Assert.Equal(2, await _app.Service<TenantDeletion>().PurgeDueAsync());
        await using (var connection = await _app.Service<SendGate.Core.Data.IDbConnectionFactory>().OpenAsync())
        {
            foreach (var table in new[] { "messages", "api_keys", "policy_versions", "audit_log", "message_events", "tenant_usage_days" })
            {
                Assert.Equal(0L, await Dapper.SqlMapper.ExecuteScalarAsync<long>(connection, $"SELECT COUNT(*) FROM {table} WHERE tenant_id = @id", new { id }));
            }

            Assert.Equal(0L, await Dapper.SqlMapper.ExecuteScalarAsync<long>(connection, "SELECT COUNT(*) FROM tenants WHERE id = @id", new { id }));
            Assert.Equal(0L, await Dapper.SqlMapper.ExecuteScalarAsync<long>(connection, "SELECT COUNT(*) FROM message_originals WHERE message_id = @kept", new { kept }));
        }

        // The first tenant is untouched; the operator's trail has the request and the end.
        using var first = _app.Admin();
        Assert.Equal(HttpStatusCode.OK, (await first.GetAsync("/v1/tenant")).StatusCode);
        var trail = (await _operator.GetFromJsonAsync<JsonElement>("/v1/operator/audit")).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal("PURGE tenant", trail[0].Str("action"));
        Assert.Equal("DELETE /v1/operator/tenants/{id}", trail[1].Str("action"));
        Assert.Contains("forced", trail[1].Str("detail"), StringComparison.Ordinal);
        Assert.True((await _operator.GetFromJsonAsync<JsonElement>("/v1/operator/audit/verify")).GetProperty("intact").GetBoolean());
        Assert.Equal(0, await _app.Service<TenantDeletion>().PurgeDueAsync());
    }

    [Fact]
    public async Task The_storage_and_webhook_quotas_answer_403_until_something_is_removed()
    {
        var (id, admin) = await CreateTenantAsync(new { storedBytes = 3000, webhookEndpoints = 1 });
        using var _ = admin;
        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsJsonAsync("/v1/messages", MailOf())).StatusCode);
        var full = await admin.PostAsJsonAsync("/v1/messages", Mail(("from", "taro@minato.example"), ("to", new[] { "someone@customer.example" }), ("text", new string('x', 3000))));
        Assert.Equal(HttpStatusCode.Forbidden, full.StatusCode);
        var problem = await full.JsonAsync();
        Assert.Equal("storedBytes", problem.Str("quota"));
        Assert.Equal(JsonValueKind.Null, problem.GetProperty("resetsAt").ValueKind);
        Assert.False(full.Headers.Contains("Retry-After"));
        Assert.Equal(1, (await admin.GetFromJsonAsync<JsonElement>("/v1/messages")).GetProperty("items").GetArrayLength());

        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/v1/webhooks", new { url = "https://hooks.example.com/a", eventTypes = new[] { "message.sent" } })).StatusCode);
        var second = await admin.PostAsJsonAsync("/v1/webhooks", new { url = "https://hooks.example.com/b", eventTypes = new[] { "message.sent" } });
        Assert.Equal(HttpStatusCode.Forbidden, second.StatusCode);
        Assert.Equal("webhookEndpoints", (await second.JsonAsync()).Str("quota"));
        var usage = await admin.GetFromJsonAsync<JsonElement>("/v1/tenant/usage");
        Assert.Equal(1, usage.GetProperty("webhookEndpoints").GetProperty("used").GetInt64());
        Assert.Equal(3000, usage.GetProperty("storedBytes").GetProperty("limit").GetInt64());
    }

    [Theory]
    [InlineData("""{"internalDomains":["x.example"]}""", "name")]
    [InlineData("""{"name":"A","internalDomains":["not a domain"]}""", "internalDomains[0]")]
    [InlineData("""{"name":"A","timeZone":"Mars/Olympus"}""", "timeZone")]
    [InlineData("""{"name":"A","language":"fr"}""", "language")]
    [InlineData("""{"name":"A","initialPolicy":"strict"}""", "initialPolicy")]
    [InlineData("""{"name":"A","quotas":{"messagesPerDay":-1}}""", "quotas.messagesPerDay")]
    public async Task A_bad_tenant_is_refused_with_the_field_named_and_nothing_created(string json, string field)
    {
        var before = (await _operator.GetFromJsonAsync<JsonElement>("/v1/operator/tenants")).GetProperty("items").GetArrayLength();
        var response = await _operator.PostAsync("/v1/operator/tenants", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var violations = (await response.JsonAsync()).GetProperty("violations").EnumerateArray().Select(v => v.Str("field"));
        Assert.Contains(field, violations);
        Assert.Equal(before, (await _operator.GetFromJsonAsync<JsonElement>("/v1/operator/tenants")).GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Every_operator_change_is_in_the_operator_s_keyed_trail()
    {
        var (id, admin) = await CreateTenantAsync();
        admin.Dispose();
        await _operator.PostAsync($"/v1/operator/tenants/{id}/suspend", null);
        await _operator.PostAsync($"/v1/operator/tenants/{id}/resume", null);
        await _operator.PutAsJsonAsync($"/v1/operator/tenants/{id}/quotas", new { messagesPerDay = 500 });

        var trail = await _operator.GetFromJsonAsync<JsonElement>("/v1/operator/audit");
        var entries = trail.GetProperty("items").EnumerateArray().Reverse().ToList();
        Assert.Equal(["POST /v1/operator/tenants", "POST /v1/operator/tenants/{id}/suspend", "POST /v1/operator/tenants/{id}/resume", "PUT /v1/operator/tenants/{id}/quotas"],
            entries.Select(e => e.Str("action")));
        Assert.All(entries, e => Assert.Equal($"tenant={id}", e.Str("resource")));
        Assert.All(entries, e => Assert.StartsWith("operator-key:opk_", e.Str("actor"), StringComparison.Ordinal));
        Assert.Contains("messagesPerDay=500", entries[^1].Str("detail"), StringComparison.Ordinal);
        Assert.True((await _operator.GetFromJsonAsync<JsonElement>("/v1/operator/audit/verify")).GetProperty("intact").GetBoolean());
        // The tenant's own trail does not hold the operator's entries.
        Assert.Empty(await _app.Service<AuditTrail>().ListAsync(id, new AuditFilter(null, null, null, null, null, 10)));
    }
}
