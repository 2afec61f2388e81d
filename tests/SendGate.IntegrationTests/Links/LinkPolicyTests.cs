using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.Links;

/// <summary><c>replaceAttachmentsWithLink</c> through the real API: validation, the decision and the dry run.</summary>
public sealed class LinkPolicyTests : AppWithSmtpTest
{
    private static readonly object External = new { type = "externalRecipients" };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Client.SetInternalDomainsAsync("example.co.jp");
    }

    [Fact]
    public async Task Bad_link_options_are_refused_naming_the_field()
    {
        var tooShort = await Client.PutAsJsonAsync("/v1/policies", new { rules = new[] { Rule("r", [new { type = "replaceAttachmentsWithLink", expiry = "PT30M" }]) } });
        var problem = await tooShort.ProblemAsync(HttpStatusCode.BadRequest, "invalid-duration", "rules[0].actions[0].expiry");
        Assert.Contains("one hour", problem.GetRawText(), StringComparison.Ordinal);

        var tooMany = await Client.PutAsJsonAsync("/v1/policies", new { rules = new[] { Rule("r", [new { type = "replaceAttachmentsWithLink", maxDownloadsPerFile = 0 }]) } });
        await tooMany.ProblemAsync(HttpStatusCode.BadRequest, "invalid-action", "rules[0].actions[0].maxDownloadsPerFile");

        var zipOption = await Client.PutAsJsonAsync("/v1/policies", new { rules = new[] { Rule("r", [new { type = "replaceAttachmentsWithLink", passwordDelay = "PT5M" }]) } });
        await zipOption.ProblemAsync(HttpStatusCode.BadRequest, "invalid-action", "rules[0].actions[0].passwordDelay");
    }

    [Fact]
    public async Task The_dry_run_and_the_submission_show_the_link_winning_over_encryption()
    {
        await Client.SetPolicyAsync(
            Rule("zip", [new { type = "encryptAttachments" }], External),
            Rule("link", [new { type = "replaceAttachmentsWithLink", expiry = "P14D", maxDownloadsPerFile = 3, exemptInternalRecipients = true }], External));
        var mail = Mail(("to", new[] { "a@partner.jp" }), ("attachments", new[] { Attachment("見積書.pdf", new byte[300], "application/pdf") }));

        var dryRun = await Client.EvaluateAsync(mail);
        var response = await Client.PostAsJsonAsync("/v1/messages", mail);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var decision = (await response.JsonAsync()).GetProperty("decision");
        Assert.Equal(dryRun.GetRawText(), decision.GetRawText());

        Assert.Equal(JsonValueKind.Null, decision.GetProperty("encryption").ValueKind);
        var link = decision.GetProperty("link");
        Assert.Equal("P14D", link.Str("expiry"));
        Assert.Equal(3, link.GetProperty("maxDownloadsPerFile").GetInt32());
        Assert.True(link.GetProperty("verifyRecipient").GetBoolean());
        Assert.True(link.GetProperty("exemptInternalRecipients").GetBoolean());
        Assert.Equal(["見積書.pdf"], link.GetProperty("attachments").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal("superseded", decision.Effect("zip", "encryptAttachments"));
        Assert.Equal("applied", decision.Effect("link", "replaceAttachmentsWithLink"));
        Assert.Contains(decision.GetProperty("reasons").EnumerateArray(), r => r.GetString()!.Contains("download link of rule 'rule link' replaces the attachments", StringComparison.Ordinal));
    }
}
