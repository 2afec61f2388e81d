using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.Encryption;

// The zip and its password are made when the mail is delivered: a zipped mail that ends before
// that, whichever way of the lifecycle, never had a password, and no password mail ever leaves.
public sealed partial class EncryptionTests
{
    [Fact]
    public async Task A_self_audit_hold_nobody_released_never_has_a_password_mail()
    {
        await Client.SetPolicyAsync(Rule("self-zip",
            [new { type = "hold", duration = "PT10M", mode = "selfAudit" }, new { type = "encryptAttachments" }],
            new { type = "externalRecipients" }, new { type = "attachmentCount", min = 1 }));
        var id = await SubmitAsync(("to", new[] { "tanaka@partner.co.jp" }), ("attachments", TwoAttachments));
        Assert.Equal(JsonValueKind.Null, (await DetailsAsync(id)).GetProperty("passwordMail").ValueKind);

        App.Time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(1, await App.ReleaseDueAsync());

        await AssertEndedUnzippedAsync(id, "cancelled");
    }

    [Fact]
    public async Task A_mail_refused_at_approval_never_has_a_password_mail()
    {
        const string boss = "boss@example.co.jp";
        var route = await Client.PutAsJsonAsync("/v1/approval-routes/default", new { entries = new[] { new { levels = new[] { new { approvers = new[] { boss } } } } } });
        Assert.True(route.IsSuccessStatusCode, await route.Content.ReadAsStringAsync());
        await Client.SetPolicyAsync(Rule("approve-zip",
            [new { type = "requireApproval", timeout = "PT4H", onTimeout = "reject" }, new { type = "encryptAttachments" }],
            new { type = "externalRecipients" }, new { type = "attachmentCount", min = 1 }));
        var id = await SubmitAsync(("to", new[] { "tanaka@partner.co.jp" }), ("attachments", TwoAttachments));
        var events = await (await Client.GetAsync($"/v1/messages/{id}/events")).JsonAsync();
        var approvalId = events.GetProperty("items").EnumerateArray().Single(e => e.Str("type") == "message.approval_requested").GetProperty("data").Str("approvalId");
        using var approver = App.ClientFor(await App.CreateApproverKeyAsync(boss));

        Assert.Equal(HttpStatusCode.OK, (await approver.PostAsJsonAsync($"/v1/approvals/{approvalId}/reject", new { comment = "宛先違い" })).StatusCode);

        await AssertEndedUnzippedAsync(id, "rejected");
    }

    private async Task AssertEndedUnzippedAsync(string id, string status)
    {
        var details = await DetailsAsync(id);
        Assert.Equal(status, details.Str("status"));
        Assert.Equal(JsonValueKind.Null, details.GetProperty("passwordMail").ValueKind);
        Assert.DoesNotContain(await EventTypesAsync(id), type => type.StartsWith("message.password_", StringComparison.Ordinal));
        App.Time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(0, await App.DeliverPasswordMailsAsync());
        Assert.Equal(0, (await App.DeliverDueAsync()).Claimed);
        Assert.Empty(Smtp.Received);
    }
}
