using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using SendGate.IntegrationTests.Infrastructure;

namespace SendGate.IntegrationTests.Policies;

/// <summary>Calls the policy and tenant endpoints the way an admin's tooling would.</summary>
internal static class PolicyApi
{
    /// <summary>One rule as JSON: conditions is an "all" group of the given leaves (none: always matches).</summary>
    public static Dictionary<string, object?> Rule(string id, object[] actions, params object[] all)
    {
        var rule = new Dictionary<string, object?> { ["id"] = id, ["name"] = $"rule {id}", ["actions"] = actions };
        if (all.Length > 0)
        {
            rule["conditions"] = new { all };
        }

        return rule;
    }

    public static async Task<JsonElement> SetPolicyAsync(this HttpClient admin, params object[] rules)
    {
        var response = await admin.PutAsJsonAsync("/v1/policies", new { rules });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"PUT /v1/policies answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task SetInternalDomainsAsync(this HttpClient admin, params string[] domains)
    {
        var response = await admin.PatchAsJsonAsync("/v1/tenant", new { internalDomains = domains });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The route <c>default</c> with one level of these approvers.</summary>
    public static async Task SetDefaultApproversAsync(this HttpClient admin, params string[] approvers)
    {
        var response = await admin.PutAsJsonAsync("/v1/approval-routes/default", new { entries = new[] { new { levels = new object[] { new { approvers } } } } });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The dry run's decision for a JSON message.</summary>
    public static async Task<JsonElement> EvaluateAsync(this HttpClient client, object message)
    {
        var response = await client.PostAsJsonAsync("/v1/policies/evaluate", message);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"evaluate answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("decision").Clone();
    }

    public static async Task<JsonElement> EvaluateMimeAsync(this HttpClient client, byte[] mime, string? sendAt = null)
    {
        using var content = new ByteArrayContent(mime);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("message/rfc822");
        var response = await client.PostAsync("/v1/policies/evaluate" + (sendAt is null ? "" : $"?sendAt={Uri.EscapeDataString(sendAt)}"), content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"evaluate answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("decision").Clone();
    }

    /// <summary>Ids of the rules that matched, in order.</summary>
    public static IReadOnlyList<string> MatchedRules(this JsonElement decision) =>
        decision.GetProperty("rules").EnumerateArray().Select(r => r.Str("ruleId")).ToList();

    /// <summary>The evidence of the first condition of the given type among the matched rules.</summary>
    public static IReadOnlyList<string> Evidence(this JsonElement decision, string type) =>
        decision.GetProperty("rules").EnumerateArray()
            .SelectMany(r => r.GetProperty("conditions").EnumerateArray())
            .First(c => c.Str("type") == type)
            .GetProperty("evidence").EnumerateArray().Select(e => e.GetString()!).ToList();

    /// <summary>The effect (applied, superseded, notApplicable) of a rule's action.</summary>
    public static string Effect(this JsonElement decision, string ruleId, string actionType) =>
        decision.GetProperty("rules").EnumerateArray().First(r => r.Str("ruleId") == ruleId)
            .GetProperty("actions").EnumerateArray().First(a => a.Str("type") == actionType).Str("effect");

    public static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    public static object Attachment(string filename, byte[] content, string? contentType = null) =>
        new { filename, contentType, content = Convert.ToBase64String(content) };
}
