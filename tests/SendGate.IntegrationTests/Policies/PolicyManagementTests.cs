using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.Policies;

/// <summary>Policies as data: versions, rule CRUD, export/import, validation, tenant settings, roles.</summary>
public sealed class PolicyManagementTests : AppTest
{
    private static readonly object[] HoldFive = [new { type = "hold", duration = "PT5M" }];

    [Fact]
    public async Task Each_change_is_a_new_version_and_messages_record_the_version_that_decided_them()
    {
        var v2 = await Client.SetPolicyAsync(Rule("hold-all", HoldFive));
        Assert.Equal(2, v2.GetProperty("version").GetInt32());
        var first = await (await Client.PostAsJsonAsync("/v1/messages", Mail())).JsonAsync();
        Assert.Equal("held", first.Str("status"));
        Assert.Equal(2, first.GetProperty("decision").GetProperty("policyVersion").GetInt32());

        var added = await Client.PostAsJsonAsync("/v1/policies/rules", new
        {
            name = "tag everything", actions = new[] { new { type = "tag", tags = new[] { "seen" } } },
        });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var rule = await added.JsonAsync();
        Assert.StartsWith("rul_", rule.Str("id"));
        Assert.Equal(3, rule.GetProperty("version").GetInt32());

        var second = await (await Client.PostAsJsonAsync("/v1/messages", Mail())).JsonAsync();
        Assert.Equal(3, second.GetProperty("decision").GetProperty("policyVersion").GetInt32());
        Assert.Equal(["hold-all", rule.Str("id")], second.GetProperty("decision").MatchedRules());

        // The stored message keeps the version and rules that decided it, whatever changes later.
        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync("/v1/policies/rules/hold-all")).StatusCode);
        var stored = await (await Client.GetAsync($"/v1/messages/{first.Str("id")}")).JsonAsync();
        Assert.Equal(2, stored.GetProperty("policyVersion").GetInt32());
        Assert.Equal(["hold-all"], stored.GetProperty("decision").MatchedRules());
        Assert.Equal(2, stored.GetProperty("decision").GetProperty("rules")[0].GetProperty("version").GetInt32());

        var versions = await (await Client.GetAsync("/v1/policies/versions")).JsonAsync();
        Assert.Equal([4, 3, 2, 1], versions.GetProperty("items").EnumerateArray().Select(v => v.GetProperty("version").GetInt32()));
        Assert.Contains("deleted", versions.GetProperty("items")[0].Str("change"), StringComparison.Ordinal);
        var old = await (await Client.GetAsync("/v1/policies/versions/2")).JsonAsync();
        Assert.Equal("hold-all", old.GetProperty("rules")[0].Str("id"));
        await (await Client.GetAsync("/v1/policies/versions/99")).ProblemAsync(HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task A_rule_keeps_its_version_until_it_changes()
    {
        await Client.SetPolicyAsync(Rule("a", HoldFive), Rule("b", HoldFive));
        var update = await Client.PutAsJsonAsync("/v1/policies/rules/b", new { name = "b renamed", actions = HoldFive });
        Assert.Equal(HttpStatusCode.OK, update.StatusCode);

        var policy = await (await Client.GetAsync("/v1/policies")).JsonAsync();
        Assert.Equal(3, policy.GetProperty("version").GetInt32());
        Assert.Equal(2, policy.GetProperty("rules")[0].GetProperty("version").GetInt32());
        Assert.Equal(3, policy.GetProperty("rules")[1].GetProperty("version").GetInt32());
        Assert.Equal("b renamed", policy.GetProperty("rules")[1].Str("name"));
        Assert.Equal("api-key:key_", policy.Str("updatedBy")[..12]);
    }

    [Fact]
    public async Task Rules_can_be_placed_and_moved()
    {
        await Client.SetPolicyAsync(Rule("a", HoldFive), Rule("b", HoldFive));
        var added = await Client.PostAsJsonAsync("/v1/policies/rules?position=0", new { id = "first", name = "first", actions = HoldFive });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Client.PutAsJsonAsync("/v1/policies/rules/a?position=2", new { name = "a", actions = HoldFive })).StatusCode);

        var policy = await (await Client.GetAsync("/v1/policies")).JsonAsync();
        Assert.Equal(["first", "b", "a"], policy.GetProperty("rules").EnumerateArray().Select(r => r.Str("id")));
        var one = await (await Client.GetAsync("/v1/policies/rules/b")).JsonAsync();
        Assert.Equal("rule b", one.Str("name"));
    }

    [Fact]
    public async Task Export_then_import_gives_the_same_rules()
    {
        await Client.SetPolicyAsync(
            Rule("pii", [new { type = "requireApproval", route = "legal", timeout = "PT4H", onTimeout = "reject" }],
                new { type = "creditCard" }, new { any = new object[] { new { type = "externalRecipients", min = 2 }, new { type = "subject", contains = new[] { "至急" } } } }),
            Rule("bcc", [new { type = "convertToBcc", threshold = 3, replaceTo = "sender" }]));
        var exported = await Client.GetStringAsync("/v1/policies");

        // Imported verbatim (read-only members included), e.g. from a file kept in version control.
        using var content = new StringContent(exported, Encoding.UTF8, "application/json");
        var imported = await (await Client.PutAsync("/v1/policies", content)).JsonAsync();
        var before = JsonDocument.Parse(exported).RootElement;
        Assert.Equal(before.GetProperty("version").GetInt32() + 1, imported.GetProperty("version").GetInt32());
        Assert.Equal(before.GetProperty("rules").GetRawText(), imported.GetProperty("rules").GetRawText());
    }

    [Fact]
    public async Task Invalid_policies_are_refused_with_a_problem_naming_each_field()
    {
        var unknown = await Client.PutAsJsonAsync("/v1/policies", new { rules = new[] { Rule("r", HoldFive, new { type = "subjectLooksSad" }) } });
        var problem = await unknown.ProblemAsync(HttpStatusCode.BadRequest, "unknown-condition", "rules[0].conditions.all[0].type");
        Assert.Contains("subjectLooksSad", problem.Str("detail"), StringComparison.Ordinal);

        var badRegex = await Client.PutAsJsonAsync("/v1/policies", new { rules = new[] { Rule("r", HoldFive, new { type = "body", pattern = "([a-z" }) } });
        await badRegex.ProblemAsync(HttpStatusCode.BadRequest, "invalid-pattern", "rules[0].conditions.all[0].pattern");

        // Backreferences need backtracking, which could be made to run for ever (ReDoS): refused.
        var backtracking = await Client.PutAsJsonAsync("/v1/policies", new { rules = new[] { Rule("r", HoldFive, new { type = "body", pattern = @"(a+)+\1" }) } });
        await backtracking.ProblemAsync(HttpStatusCode.BadRequest, "invalid-pattern", "rules[0].conditions.all[0].pattern");

        var negative = await Client.PutAsJsonAsync("/v1/policies", new { rules = new[] { Rule("r", [new { type = "hold", duration = "-PT5M" }]) } });
        await negative.ProblemAsync(HttpStatusCode.BadRequest, "invalid-duration", "rules[0].actions[0].duration");

        var notIso = await Client.PutAsJsonAsync("/v1/policies", new { rules = new[] { Rule("r", [new { type = "hold", duration = "5 minutes" }]) } });
        await notIso.ProblemAsync(HttpStatusCode.BadRequest, "invalid-duration", "rules[0].actions[0].duration");

        var unknownAction = await Client.PutAsJsonAsync("/v1/policies", new { rules = new[] { Rule("r", [new { type = "shred" }]) } });
        await unknownAction.ProblemAsync(HttpStatusCode.BadRequest, "unknown-action", "rules[0].actions[0].type");

        var wrongParameter = await Client.PutAsJsonAsync("/v1/policies", new { rules = new[] { Rule("r", HoldFive, new { type = "creditCard", pattern = "x" }) } });
        await wrongParameter.ProblemAsync(HttpStatusCode.BadRequest, "invalid-condition", "rules[0].conditions.all[0].pattern");

        var noReason = await Client.PutAsJsonAsync("/v1/policies", new { rules = new[] { Rule("r", [new { type = "reject" }]) } });
        await noReason.ProblemAsync(HttpStatusCode.BadRequest, "invalid-action", "rules[0].actions[0].reason");

        var reviewWithDuration = await Client.PutAsJsonAsync("/v1/policies", new { rules = new[] { Rule("r", [new { type = "hold", mode = "review", duration = "PT5M" }]) } });
        await reviewWithDuration.ProblemAsync(HttpStatusCode.BadRequest, "invalid-action", "rules[0].actions[0].duration");

        var forgedHeader = await Client.PutAsJsonAsync("/v1/policies", new { rules = new[] { Rule("r", [new { type = "addHeader", name = "From", value = "x@y.z" }]) } });
        await forgedHeader.ProblemAsync(HttpStatusCode.BadRequest, "invalid-action", "rules[0].actions[0].name");

        var injected = await Client.PutAsJsonAsync("/v1/policies", new { rules = new[] { Rule("r", [new { type = "addHeader", name = "X-Flag", value = "a\r\nBcc: evil@example.com" }]) } });
        await injected.ProblemAsync(HttpStatusCode.BadRequest, "header-injection", "rules[0].actions[0].value");

        var negatedGroup = await Client.PutAsJsonAsync("/v1/policies", new
        {
            rules = new[] { new Dictionary<string, object?> { ["id"] = "r", ["name"] = "r", ["actions"] = HoldFive, ["conditions"] = new { any = new[] { new { type = "creditCard" } }, negate = true } } },
        });
        await negatedGroup.ProblemAsync(HttpStatusCode.BadRequest, "invalid-condition", "rules[0].conditions.negate");

        var resent = await Client.PutAsJsonAsync("/v1/policies", new { rules = new[] { Rule("r", [new { type = "addHeader", name = "Resent-To", value = "x@y.z" }]) } });
        await resent.ProblemAsync(HttpStatusCode.BadRequest, "invalid-action", "rules[0].actions[0].name");

        var duplicate = await Client.PutAsJsonAsync("/v1/policies", new { rules = new[] { Rule("same", HoldFive), Rule("same", HoldFive) } });
        await duplicate.ProblemAsync(HttpStatusCode.BadRequest, "invalid-rule", "rules[1].id");

        var unknownGroup = await Client.PutAsJsonAsync("/v1/policies", new { rules = new[] { Rule("r", HoldFive, new { type = "sender", groups = new[] { "sales" } }) } });
        await unknownGroup.ProblemAsync(HttpStatusCode.BadRequest, "invalid-condition", "rules[0].conditions.all[0].groups");

        // A misspelt member is an error, never silently dropped (a rule without its conditions would match everything).
        var misspelt = await Client.PutAsJsonAsync("/v1/policies", new { rules = new[] { new { id = "r", name = "r", condtions = new { }, actions = HoldFive } } });
        await misspelt.ProblemAsync(HttpStatusCode.BadRequest, "malformed-json");

        // None of these changed the policy.
        var versions = await (await Client.GetAsync("/v1/policies/versions")).JsonAsync();
        Assert.Single(versions.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task A_single_rule_is_validated_with_paths_relative_to_the_rule()
    {
        var response = await Client.PostAsJsonAsync("/v1/policies/rules", new { name = "r", actions = new[] { new { type = "hold", duration = "P0D" } } });
        await response.ProblemAsync(HttpStatusCode.BadRequest, "invalid-duration", "actions[0].duration");

        await (await Client.PutAsJsonAsync("/v1/policies/rules/missing", new { name = "r", actions = HoldFive })).ProblemAsync(HttpStatusCode.NotFound, "not-found");
        await (await Client.DeleteAsync("/v1/policies/rules/missing")).ProblemAsync(HttpStatusCode.NotFound, "not-found");
        await (await Client.GetAsync("/v1/policies/rules/missing")).ProblemAsync(HttpStatusCode.NotFound, "not-found");

        using var text = new StringContent("{}", Encoding.UTF8, "text/plain");
        await (await Client.PutAsync("/v1/policies", text)).ProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
    }

    [Fact]
    public async Task Only_admins_change_policies_and_settings_but_any_role_may_dry_run()
    {
        using var sender = App.ClientFor(await App.CreateKeyAsync("sender"));
        await (await sender.GetAsync("/v1/policies")).ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await sender.PutAsJsonAsync("/v1/policies", new { rules = Array.Empty<object>() })).ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await sender.PostAsJsonAsync("/v1/policies/rules", new { name = "r", actions = HoldFive })).ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await sender.PatchAsJsonAsync("/v1/tenant", new { internalDomains = new[] { "x.jp" } })).ProblemAsync(HttpStatusCode.Forbidden, "forbidden");

        var decision = await sender.EvaluateAsync(Mail());
        Assert.Equal("queued", decision.Str("status"));
        var tenant = await (await sender.GetAsync("/v1/tenant")).JsonAsync();
        Assert.Equal("default", tenant.Str("name"));
    }

    [Fact]
    public async Task Policies_and_settings_belong_to_one_tenant()
    {
        await Client.SetPolicyAsync(Rule("hold-all", HoldFive));
        await Client.SetInternalDomainsAsync("example.co.jp");
        using var other = App.ClientFor(await App.CreateOtherTenantAdminKeyAsync());

        var theirs = await (await other.GetAsync("/v1/policies")).JsonAsync();
        Assert.Empty(theirs.GetProperty("rules").EnumerateArray());
        await (await other.GetAsync("/v1/policies/rules/hold-all")).ProblemAsync(HttpStatusCode.NotFound, "not-found");
        await (await other.DeleteAsync("/v1/policies/rules/hold-all")).ProblemAsync(HttpStatusCode.NotFound, "not-found");
        Assert.Equal("queued", (await other.EvaluateAsync(Mail())).Str("status"));
        Assert.Empty((await (await other.GetAsync("/v1/tenant")).JsonAsync()).GetProperty("internalDomains").EnumerateArray());
        Assert.Equal("held", (await Client.EvaluateAsync(Mail())).Str("status"));
    }

    [Fact]
    public async Task Tenant_settings_define_internal_domains_and_sender_groups()
    {
        var response = await Client.PatchAsJsonAsync("/v1/tenant", new
        {
            internalDomains = new[] { "Example.co.jp", "@group.example" },
            senderGroups = new Dictionary<string, string[]> { ["sales"] = ["Taro@Example.co.jp", "@sales.example.co.jp"] },
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tenant = await response.JsonAsync();
        Assert.Equal(["example.co.jp", "group.example"], tenant.GetProperty("internalDomains").EnumerateArray().Select(d => d.GetString()));
        Assert.Equal(["taro@example.co.jp", "@sales.example.co.jp"], tenant.GetProperty("senderGroups").GetProperty("sales").EnumerateArray().Select(d => d.GetString()));

        // Leaving a member out keeps it.
        var renamed = await (await Client.PatchAsJsonAsync("/v1/tenant", new { name = "Example K.K." })).JsonAsync();
        Assert.Equal("Example K.K.", renamed.Str("name"));
        Assert.Equal(2, renamed.GetProperty("internalDomains").GetArrayLength());

        await (await Client.PatchAsJsonAsync("/v1/tenant", new { internalDomains = new[] { "not a domain" } }))
            .ProblemAsync(HttpStatusCode.BadRequest, "invalid-field", "internalDomains[0]");
        await (await Client.PatchAsJsonAsync("/v1/tenant", new { senderGroups = new Dictionary<string, string[]> { ["x"] = ["nobody"] } }))
            .ProblemAsync(HttpStatusCode.BadRequest, "invalid-field", "senderGroups.x[0]");
        await (await Client.PatchAsJsonAsync("/v1/tenant", new { internalDomain = new[] { "typo.jp" } }))
            .ProblemAsync(HttpStatusCode.BadRequest, "malformed-json");
    }

    [Fact]
    public async Task A_sender_group_a_rule_uses_cannot_be_removed()
    {
        (await Client.PatchAsJsonAsync("/v1/tenant", new { senderGroups = new Dictionary<string, string[]> { ["sales"] = ["@sales.example.co.jp"] } })).EnsureSuccessStatusCode();
        await Client.SetPolicyAsync(Rule("sales-hold", HoldFive, new { type = "sender", groups = new[] { "sales" } }));

        var removal = await Client.PatchAsJsonAsync("/v1/tenant", new { senderGroups = new Dictionary<string, string[]>() });
        var problem = await removal.ProblemAsync(HttpStatusCode.BadRequest, "invalid-field", "senderGroups.sales");
        Assert.Contains("sales-hold", problem.Str("detail"), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync("/v1/policies/rules/sales-hold")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Client.PatchAsJsonAsync("/v1/tenant", new { senderGroups = new Dictionary<string, string[]>() })).StatusCode);
    }
}
