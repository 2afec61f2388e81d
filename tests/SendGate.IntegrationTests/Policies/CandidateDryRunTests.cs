using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.Policies;

/// <summary>A policy change tried on messages before it is saved: the decision it would give, nothing kept.</summary>
public sealed class CandidateDryRunTests : AppTest
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Client.SetInternalDomainsAsync("example.co.jp");
        await Client.SetPolicyAsync(Rule("hold-external", [new { type = "hold", duration = "PT5M" }], new { type = "externalRecipients" }));
    }

    private async Task<JsonElement> CandidateAsync(object policy, object message)
    {
        var response = await Client.PostAsJsonAsync("/v1/policies/evaluate-candidate", new { policy, message });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"evaluate-candidate answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task A_stricter_policy_is_tried_on_a_message_and_the_saved_one_stays()
    {
        var external = Mail(("to", new[] { "鈴木 花子 <hanako@customer.example>" }), ("subject", "お見積書の送付"));
        var candidate = new
        {
            rules = new object[]
            {
                // Without an id, as when a rule is being written: it gets one as saving would give it.
                new { name = "社外宛ては全件確認", conditions = new { all = new[] { new { type = "externalRecipients" } } }, actions = new[] { new { type = "hold", mode = "review" } } },
            },
        };

        var before = await Client.EvaluateAsync(external);
        async Task<int> VersionsAsync() => (await (await Client.GetAsync("/v1/policies/versions")).JsonAsync()).GetProperty("items").GetArrayLength();
        var versions = await VersionsAsync();

        var tried = await CandidateAsync(candidate, external);
        var decision = tried.GetProperty("decision");
        Assert.Equal("held", decision.Str("status"));
        Assert.Equal("review", decision.GetProperty("hold").Str("mode"));
        Assert.Equal(JsonValueKind.Null, decision.GetProperty("policyVersion").ValueKind);
        Assert.Equal("社外宛ては全件確認", Assert.Single(decision.GetProperty("rules").EnumerateArray()).Str("name"));
        Assert.True(tried.GetProperty("recipients")[0].GetProperty("external").GetBoolean());

        // The saved policy still decides, in the same version: a 5-minute hold; nothing was stored or audited.
        var current = await Client.EvaluateAsync(external);
        Assert.Equal(before.GetRawText(), current.GetRawText());
        Assert.Equal("autoRelease", current.GetProperty("hold").Str("mode"));
        Assert.Equal(versions, await VersionsAsync());
        Assert.Empty((await (await Client.GetAsync("/v1/messages")).JsonAsync()).GetProperty("items").EnumerateArray());
        Assert.DoesNotContain((await (await Client.GetAsync("/v1/audit")).JsonAsync()).GetProperty("items").EnumerateArray(),
            e => e.Str("action").Contains("evaluate", StringComparison.Ordinal));

        // An empty candidate lets the same message go at once.
        Assert.Equal("queued", (await CandidateAsync(new { rules = Array.Empty<object>() }, external)).GetProperty("decision").Str("status"));
    }

    [Fact]
    public async Task The_policy_and_the_message_are_validated_as_saving_and_submitting_would_be()
    {
        async Task<JsonElement> ProblemAsync(object body, string field, string code = "invalid-field") =>
            await (await Client.PostAsJsonAsync("/v1/policies/evaluate-candidate", body)).ProblemAsync(HttpStatusCode.BadRequest, code, field);

        var missing = await ProblemAsync(new { }, "policy");
        Assert.True(missing.GetProperty("errors").TryGetProperty("message", out _));

        var badRule = await (await Client.PostAsJsonAsync("/v1/policies/evaluate-candidate", new
        {
            policy = new { rules = new[] { Rule("r", [new { type = "hold", duration = "five minutes" }]) } },
            message = Mail(),
        })).ProblemAsync(HttpStatusCode.BadRequest, "invalid-duration");
        Assert.StartsWith("policy.rules[0]", badRule.GetProperty("errors").EnumerateObject().Single().Name, StringComparison.Ordinal);

        await ProblemAsync(new { policy = new { rules = new[] { Rule("g", [new { type = "tag", tags = new[] { "x" } }]) } }, message = Mail(("to", new[] { "not-an-address" })) },
            "message.to[0]", "invalid-address");
        await (await Client.PostAsJsonAsync("/v1/policies/evaluate-candidate", new { policy = new { rules = Array.Empty<object>() }, message = Mail(), extra = 1 }))
            .ProblemAsync(HttpStatusCode.BadRequest, "malformed-json");

        using var sender = App.ClientFor(await App.CreateKeyAsync("sender"));
        await (await sender.PostAsJsonAsync("/v1/policies/evaluate-candidate", new { policy = new { rules = Array.Empty<object>() }, message = Mail() }))
            .ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
    }
}
