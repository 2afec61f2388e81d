using System.Net;
using System.Net.Http.Json;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.Policies;

/// <summary>A new tenant starts with the recommended policy, which behaves as the README explains.</summary>
public sealed class RecommendedPolicyTests : AppWithSmtpTest
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["SendGate:Policy:InitialPolicy"] = "recommended" };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Client.SetInternalDomainsAsync("example.co.jp");
    }

    [Fact]
    public async Task New_tenants_start_with_the_documented_rules_as_version_1()
    {
        var policy = await (await Client.GetAsync("/v1/policies")).JsonAsync();
        Assert.Equal(1, policy.GetProperty("version").GetInt32());
        Assert.Equal(
            ["pii-to-external-needs-approval", "unfamiliar-domain-review", "unusual-recipient-check", "confidential-to-external-review", "external-attachments-encrypted", "many-external-to-bcc",
             "attachment-mentioned-but-missing", "external-hold", "missing-honorific"],
            policy.GetProperty("rules").EnumerateArray().Select(r => r.Str("id")));

        var readme = await File.ReadAllTextAsync(Path.Combine(Contract.OpenApiContractTests.RepositoryRoot(), "README.md"));
        Assert.All(policy.GetProperty("rules").EnumerateArray(), rule => Assert.Contains($"`{rule.Str("id")}`", readme, StringComparison.Ordinal));

        using var other = App.ClientFor(await App.CreateOtherTenantAdminKeyAsync());
        Assert.Equal(9, (await (await other.GetAsync("/v1/policies")).JsonAsync()).GetProperty("rules").GetArrayLength());
    }

    [Fact]
    public async Task Internal_mail_goes_at_once_and_external_mail_waits()
    {
        Assert.Equal("queued", (await Client.EvaluateAsync(Mail(("to", new[] { "a@example.co.jp" })))).Str("status"));

        // A domain never mailed before is held for review first...
        var first = await (await Client.PostAsJsonAsync("/v1/messages", Mail(("to", new[] { "tanaka@partner.co.jp" })))).JsonAsync();
        Assert.Equal("review", first.GetProperty("decision").GetProperty("hold").Str("mode"));
        Assert.Equal(HttpStatusCode.OK, (await Client.PostAsync($"/v1/messages/{first.Str("id")}/release", null)).StatusCode);
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);

        // ...after which mail to it is held 5 minutes, and a look-alike of it is held for review.
        var known = await Client.EvaluateAsync(Mail(("to", new[] { "suzuki@partner.co.jp" })));
        Assert.Equal("autoRelease", known.GetProperty("hold").Str("mode"));
        Assert.Equal(SendGateApp.Start.AddMinutes(5), known.GetProperty("releaseAt").GetDateTimeOffset());
        var alike = await Client.EvaluateAsync(Mail(("to", new[] { "suzuki@partmer.co.jp" })));
        Assert.Equal("review", alike.GetProperty("hold").Str("mode"));
        Assert.Contains("unfamiliar-domain", alike.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));

        // Once the sender writes to partner.co.jp regularly, a new address there is theirs to confirm.
        Assert.Equal(HttpStatusCode.Accepted, (await Client.PostAsJsonAsync("/v1/messages", Mail(("to", new[] { "tanaka@partner.co.jp" })))).StatusCode);
        App.Time.Advance(TimeSpan.FromMinutes(5));
        await App.ReleaseDueAsync();
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        var stranger = await Client.EvaluateAsync(Mail(("to", new[] { "suzuki@partner.co.jp" })));
        Assert.Equal("selfAudit", stranger.GetProperty("hold").Str("mode"));
        Assert.Contains("unusual-recipient", stranger.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("autoRelease", (await Client.EvaluateAsync(Mail(("to", new[] { "tanaka@partner.co.jp" })))).GetProperty("hold").Str("mode"));
    }

    [Fact]
    public async Task Personal_data_to_external_recipients_needs_approval_and_attachments_are_encrypted()
    {
        var pii = await Client.EvaluateAsync(Mail(("to", new[] { "a@partner.co.jp" }), ("text", "マイナンバー: 1234-5678-9018")));
        Assert.Equal("awaiting_approval", pii.Str("status"));
        Assert.Equal("PT4H", pii.GetProperty("approval").Str("timeout"));
        Assert.Equal("reject", pii.GetProperty("approval").Str("onTimeout"));

        var internalPii = await Client.EvaluateAsync(Mail(("to", new[] { "hr@example.co.jp" }), ("text", "マイナンバー: 1234-5678-9018")));
        Assert.Equal("queued", internalPii.Str("status"));

        var attachment = await Client.EvaluateAsync(Mail(("to", new[] { "a@partner.co.jp" }), ("text", "資料を添付します"), ("attachments", new[] { Attachment("資料.pdf", new byte[10]) })));
        Assert.Equal("zipCrypto", attachment.GetProperty("encryption").Str("method"));
        Assert.Equal("PT5M", attachment.GetProperty("encryption").Str("passwordDelay"));
    }

    [Fact]
    public async Task Five_external_recipients_in_To_and_Cc_become_Bcc_and_a_missing_attachment_goes_back_to_its_sender()
    {
        var many = await Client.EvaluateAsync(Mail(("to", new[] { "a@p1.jp", "b@p2.jp", "c@p3.jp" }), ("cc", new[] { "d@p4.jp", "e@p5.jp", "me@example.co.jp" })));
        Assert.Equal(5, many.GetProperty("bcc").GetProperty("addresses").GetArrayLength());
        Assert.Equal("undisclosed", many.GetProperty("bcc").Str("replaceTo"));

        var missing = await Client.EvaluateAsync(Mail(("to", new[] { "a@example.co.jp" }), ("text", "報告書を添付しました。")));
        Assert.Equal("selfAudit", missing.GetProperty("hold").Str("mode"));
        Assert.Equal(SendGateApp.Start.AddMinutes(30), missing.GetProperty("releaseAt").GetDateTimeOffset());
        Assert.Contains("attachment-missing", missing.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        // Saying none is needed, or pointing at an earlier mail, is ordinary mail.
        Assert.Equal("queued", (await Client.EvaluateAsync(Mail(("to", new[] { "a@example.co.jp" }), ("text", "今回は添付は不要です。")))).Str("status"));
        Assert.Equal("queued", (await Client.EvaluateAsync(Mail(("to", new[] { "a@example.co.jp" }), ("text", "前回お送りした資料をご確認ください。")))).Str("status"));
    }

    [Fact]
    public async Task Confidential_material_to_outside_waits_for_review_and_a_wrong_salutation_goes_back_to_its_sender()
    {
        var secret = await Client.EvaluateAsync(Mail(("to", new[] { "tanaka@partner.co.jp" }), ("subject", "【社外秘】来期の価格改定")));
        Assert.Equal("review", secret.GetProperty("hold").Str("mode"));
        Assert.Contains("confidential-to-external-review", secret.MatchedRules());
        Assert.Equal(["subject: 【社外秘】来期の価格改定"], secret.Evidence("confidentialMarking"));
        // Inside the company it is ordinary mail.
        Assert.Equal("queued", (await Client.EvaluateAsync(Mail(("to", new[] { "sato@example.co.jp" }), ("subject", "【社外秘】来期の価格改定")))).Str("status"));

        var casual = await Client.EvaluateAsync(Mail(("to", new[] { "tanaka@partner.co.jp" }), ("text", "田中さん\n\nいつもお世話になっております。")));
        Assert.Contains("missing-honorific", casual.MatchedRules());
        // The review hold of a first-time domain wins over the self-audit (the stricter hold).
        Assert.Equal("review", casual.GetProperty("hold").Str("mode"));
        Assert.DoesNotContain("missing-honorific", (await Client.EvaluateAsync(Mail(("to", new[] { "tanaka@partner.co.jp" }),
            ("text", "株式会社パートナー工業\n営業部 田中様\n\nいつもお世話になっております。")))).MatchedRules());
    }

    [Fact]
    public async Task Its_review_and_self_audit_holds_mail_the_sender_a_hold_notice_and_the_five_minute_hold_does_not()
    {
        const string Hanako = "hanako@example.co.jp";
        // partner.co.jp becomes a domain the company mails, so only the rule under test holds what follows.
        var first = await (await Client.PostAsJsonAsync("/v1/messages", Mail(("from", Hanako), ("to", new[] { "tanaka@partner.co.jp" }), ("subject", "はじめまして")))).JsonAsync();
        Assert.Equal(HttpStatusCode.OK, (await Client.PostAsync($"/v1/messages/{first.Str("id")}/release", null)).StatusCode);
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        await App.DeliverNotificationsAsync();
        var before = Smtp.Received.Count;

        var plain = await (await Client.PostAsJsonAsync("/v1/messages", Mail(("from", Hanako), ("to", new[] { "tanaka@partner.co.jp" }), ("subject", "日程のご連絡")))).JsonAsync();
        Assert.Equal("autoRelease", plain.GetProperty("decision").GetProperty("hold").Str("mode"));
        var secret = await (await Client.PostAsJsonAsync("/v1/messages", Mail(("from", Hanako), ("to", new[] { "tanaka@partner.co.jp" }), ("subject", "【社外秘】来期の価格改定")))).JsonAsync();
        Assert.Equal("review", secret.GetProperty("decision").GetProperty("hold").Str("mode"));
        var missing = await (await Client.PostAsJsonAsync("/v1/messages", Mail(("from", Hanako), ("to", new[] { "tanaka@partner.co.jp" }), ("subject", "報告書の送付"),
            ("text", "田中様\n\n報告書を添付いたします。ご査収ください。")))).JsonAsync();
        Assert.Equal("selfAudit", missing.GetProperty("decision").GetProperty("hold").Str("mode"));

        Assert.Equal(2, await App.DeliverNotificationsAsync());
        var notices = Smtp.Received.Skip(before).Select(r => r.Parse()).ToList();
        Assert.All(notices, n => Assert.Equal(Hanako, n.To.Mailboxes.Single().Address));
        Assert.Equal(["【保留中】【社外秘】来期の価格改定", "【保留中】報告書の送付"], notices.Select(n => n.Subject).Order(StringComparer.Ordinal));
        var review = notices.Single(n => n.Subject == "【保留中】【社外秘】来期の価格改定");
        Assert.Contains("Confidential material to external recipients: hold for review", review.TextBody, StringComparison.Ordinal);
        Assert.Contains("管理画面で内容を確認するまで送信されません", review.TextBody, StringComparison.Ordinal);
        Assert.Matches(@"/console/link/[A-Za-z0-9_-]{43}", review.TextBody);
        var selfAudit = notices.Single(n => n.Subject == "【保留中】報告書の送付");
        Assert.Contains("Attachment mentioned but missing", selfAudit.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain(notices, n => n.Subject?.Contains("日程のご連絡", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task The_default_is_editable_like_any_policy()
    {
        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync("/v1/policies/rules/external-hold")).StatusCode);
        var rule = await (await Client.GetAsync("/v1/policies/rules/missing-honorific")).JsonAsync();
        var disabled = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, object?>>(rule.GetRawText())!;
        disabled["enabled"] = false;
        Assert.Equal(HttpStatusCode.OK, (await Client.PutAsJsonAsync("/v1/policies/rules/missing-honorific", disabled)).StatusCode);
        var policy = await (await Client.GetAsync("/v1/policies")).JsonAsync();
        Assert.Equal(3, policy.GetProperty("version").GetInt32());
        Assert.Equal(8, policy.GetProperty("rules").GetArrayLength());
        Assert.False(policy.GetProperty("rules").EnumerateArray().Single(r => r.Str("id") == "missing-honorific").GetProperty("enabled").GetBoolean());
    }
}

/// <summary>The initial policy can also come from a file, e.g. the tenant's policy kept in version control.</summary>
public sealed class InitialPolicyFromFileTests : AppTest
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"sendgate-policy-{Guid.NewGuid():N}.json");

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["SendGate:Policy:InitialPolicy"] = _file };

    public override async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(_file, """
            { "rules": [ { "id": "hold-all", "name": "Hold everything", "actions": [ { "type": "hold", "duration": "PT1H" } ] } ] }
            """);
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        File.Delete(_file);
    }

    [Fact]
    public async Task The_file_is_the_first_version()
    {
        var policy = await (await Client.GetAsync("/v1/policies")).JsonAsync();
        Assert.Equal("hold-all", Assert.Single(policy.GetProperty("rules").EnumerateArray()).Str("id"));
        Assert.Equal("held", (await Client.EvaluateAsync(Mail())).Str("status"));
    }
}
