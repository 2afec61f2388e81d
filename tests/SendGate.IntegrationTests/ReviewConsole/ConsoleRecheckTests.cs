using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using SendGate.Core.Audit;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.ReviewConsole;

/// <summary>
/// The one-mail re-check: who it is from, each recipient (external, first-time and look-alike
/// domains with their reasons in words), the files, what the policy decided — and the hidden
/// recipients only to those who may see the mail.
/// </summary>
public sealed class ConsoleRecheckTests : AppWithSmtpTest
{
    private const string Hanako = "hanako@example.co.jp";
    private const string Boss = "boss@example.co.jp";
    private const string Hidden = "secret@hidden.example";
    private static readonly byte[] Drawing = [.. Enumerable.Range(0, 2048).Select(i => (byte)(i % 251))];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Client.SetInternalDomainsAsync("example.co.jp");
        // partner.co.jp is a domain the company has delivered to; partmer.co.jp, one letter off, is not.
        await Client.SetPolicyAsync();
        (await Client.PostAsJsonAsync("/v1/messages", Mail(("from", Hanako), ("to", new[] { "tanaka@partner.co.jp" }), ("subject", "ご挨拶")))).EnsureSuccessStatusCode();
        await App.DeliverDueAsync();
    }

    private async Task<string> SubmitAsync()
    {
        var submitted = await Client.PostAsJsonAsync("/v1/messages", Mail(("from", Hanako), ("to", new[] { "tanaka@partner.co.jp", "suzuki@example.co.jp" }),
            ("cc", new[] { "yamada@partmer.co.jp" }), ("bcc", new[] { Hidden }), ("subject", "図面の送付"),
            ("attachments", new[] { Attachment("図面_A-01.pdf", Drawing, "application/pdf") })));
        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        return (await submitted.JsonAsync()).Str("id");
    }

    private async Task<ConsoleClient> SignedInAsync(string address)
    {
        var browser = ConsoleClient.For(App);
        await browser.SignInByMailAsync(App, Smtp, address);
        return browser;
    }

    private static string Recipient(string html, string address)
    {
        var match = Regex.Match(html, $"<li class=\"(?:external|internal)\" data-address=\"{Regex.Escape(address)}\">(.*?)</li>", RegexOptions.Singleline);
        Assert.True(match.Success, $"{address} is not listed:\n{html}");
        return match.Value;
    }

    [Fact]
    public async Task The_sender_re_checks_from_recipients_with_their_flags_and_reasons_files_and_the_policy_s_decision_in_japanese_and_english()
    {
        await Client.SetPolicyAsync(Rule("hold", [new { type = "hold", mode = "review" }, new { type = "encryptAttachments" }], new { type = "externalRecipients" }));
        var id = await SubmitAsync();
        using var hanako = await SignedInAsync(Hanako);
        var page = $"/console/messages/{id}";
        var (status, html) = await hanako.GetAsync(page);
        Assert.Equal(HttpStatusCode.OK, status);

        Assert.Matches($"<dd id=\"from\">{Regex.Escape(Hanako)}</dd>", html);
        var known = Recipient(html, "tanaka@partner.co.jp");
        Assert.Contains("class=\"external\"", known, StringComparison.Ordinal);
        Assert.Contains(">社外<", known, StringComparison.Ordinal);
        Assert.DoesNotContain("first-time", known, StringComparison.Ordinal);
        Assert.DoesNotContain("look-alike", known, StringComparison.Ordinal);

        var internalOne = Recipient(html, "suzuki@example.co.jp");
        Assert.Contains("class=\"internal\"", internalOne, StringComparison.Ordinal);
        Assert.DoesNotContain("社外", internalOne, StringComparison.Ordinal);

        // The flags carry their reasons as words on the page, not in a tooltip.
        var lookAlike = Recipient(html, "yamada@partmer.co.jp");
        Assert.Contains(">初めての宛先<", lookAlike, StringComparison.Ordinal);
        Assert.Contains("<span class=\"why first-time-why\">社内からこのドメインに送信した記録がありません。</span>", lookAlike, StringComparison.Ordinal);
        Assert.Contains("partner.co.jp に似たドメイン", lookAlike, StringComparison.Ordinal);
        Assert.Contains("partmer.co.jp は、社内から送信実績のある partner.co.jp と 1 文字だけ違います。入力ミスでないか確認してください。", lookAlike, StringComparison.Ordinal);
        Assert.DoesNotContain("title=", lookAlike, StringComparison.Ordinal);

        // Files: name, size, and the zip the policy will make.
        var attachment = Regex.Match(html, "<ul class=\"attachments\" id=\"attachments\">(.*?)</ul>", RegexOptions.Singleline).Value;
        Assert.Contains(">図面_A-01.pdf</a>", attachment, StringComparison.Ordinal);
        Assert.Contains("<span class=\"size\">2 KB</span>", attachment, StringComparison.Ordinal);
        Assert.Contains("<span class=\"badge\">zip 暗号化</span>", attachment, StringComparison.Ordinal);

        // What the policy decided and why: the rule, its condition with what made it true, each outcome.
        var rules = Regex.Match(html, "<ul class=\"rules\" id=\"rules\">(.*?)</ul>\\s*</li>", RegexOptions.Singleline).Value;
        Assert.Contains("<strong>rule hold</strong>", rules, StringComparison.Ordinal);
        Assert.Contains("社外の宛先: ", rules, StringComparison.Ordinal);
        Assert.Contains("partmer.co.jp", rules, StringComparison.Ordinal);
        var outcomes = Regex.Match(html, "<ul class=\"outcomes\" id=\"outcomes\">(.*?)</ul>", RegexOptions.Singleline).Value;
        Assert.Contains("再確認するまで保留されます: ルール「rule hold」", outcomes, StringComparison.Ordinal);
        Assert.Contains("添付ファイル 1 件は暗号化 zip にまとめられ", outcomes, StringComparison.Ordinal);

        var english = await hanako.PostFormAsync(page, "/console/language", ("language", "en"), ("returnUrl", page));
        Assert.Equal(HttpStatusCode.Redirect, english.StatusCode);
        var (_, en) = await hanako.GetAsync(page);
        var lookAlikeEn = Recipient(en, "yamada@partmer.co.jp");
        Assert.Contains("Nobody in your company has sent mail to this domain before.", lookAlikeEn, StringComparison.Ordinal);
        Assert.Contains("partmer.co.jp differs by 1 character(s) from partner.co.jp, a domain your company sends mail to: check it is not a typo.", lookAlikeEn, StringComparison.Ordinal);
        Assert.Contains("Bcc: the other recipients do not see this address.", Recipient(en, Hidden), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_attachment_downloads_as_a_file_never_cached_and_the_download_is_audited()
    {
        await Client.SetPolicyAsync(Rule("hold", [new { type = "hold", mode = "review" }], new { type = "externalRecipients" }));
        var id = await SubmitAsync();
        using var hanako = await SignedInAsync(Hanako);
        var (_, html) = await hanako.GetAsync($"/console/messages/{id}");
        Assert.Contains($"href=\"/console/messages/{id}?handler=Attachment&amp;index=0\" download", html, StringComparison.Ordinal);

        var download = await hanako.Http.GetAsync($"/console/messages/{id}?handler=Attachment&index=0");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("no-store", download.Headers.CacheControl!.ToString());
        Assert.Equal("attachment", download.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal("図面_A-01.pdf", download.Content.Headers.ContentDisposition.FileNameStar);
        Assert.Equal("application/octet-stream", download.Content.Headers.ContentType!.MediaType);
        Assert.Equal(Drawing, await download.Content.ReadAsByteArrayAsync());

        var tenantId = (await (await Client.GetAsync("/v1/tenant")).JsonAsync()).Str("id");
        var audited = Assert.Single(await App.Service<AuditTrail>().ListAsync(tenantId, new AuditFilter(null, "console download-attachment", null, null, null, 10)));
        Assert.Equal($"console:{Hanako}", audited.Actor);
        Assert.Equal($"message={id} attachment=0", audited.Resource);

        Assert.Equal(HttpStatusCode.NotFound, (await hanako.GetAsync($"/console/messages/{id}?handler=Attachment&index=1")).Status);
    }

    [Fact]
    public async Task Hidden_recipients_are_shown_to_the_sender_the_approver_on_the_route_and_reviewers_and_to_no_one_else()
    {
        await Client.SetDefaultApproversAsync(Boss);
        await Client.SetPolicyAsync(Rule("approve", [new { type = "requireApproval", timeout = "PT4H" }], new { type = "externalRecipients" }));
        var id = await SubmitAsync();
        var approvalId = (await (await Client.GetAsync("/v1/approvals")).JsonAsync()).GetProperty("items").EnumerateArray().Single().Str("id");
        (await Client.PutAsJsonAsync("/v1/console/people/check@example.co.jp", new { role = "reviewer" })).EnsureSuccessStatusCode();

        // The sender wrote it; the approver decides whether it may go to everyone on it, Bcc included; reviewers see the archive.
        using var hanako = await SignedInAsync(Hanako);
        Assert.Contains("BCC：他の受信者にはこのアドレスは表示されません。", Recipient((await hanako.GetAsync($"/console/messages/{id}")).Html, Hidden), StringComparison.Ordinal);
        using var boss = await SignedInAsync(Boss);
        Assert.Contains(">BCC<", Recipient((await boss.GetAsync($"/console/approvals/{approvalId}")).Html, Hidden), StringComparison.Ordinal);
        Assert.Contains(">BCC<", Recipient((await boss.GetAsync($"/console/messages/{id}")).Html, Hidden), StringComparison.Ordinal);
        using var reviewer = await SignedInAsync("check@example.co.jp");
        Assert.Contains(">BCC<", Recipient((await reviewer.GetAsync($"/console/messages/{id}")).Html, Hidden), StringComparison.Ordinal);

        // Everyone else: not the mail, not its approval, not the hidden address on any page they reach.
        using var taro = await SignedInAsync("taro@example.co.jp");
        foreach (var path in new[] { $"/console/messages/{id}", $"/console/approvals/{approvalId}", "/console", "/console/approvals", "/console/approvals?view=decided" })
        {
            var (status, html) = await taro.GetAsync(path);
            Assert.True(status is HttpStatusCode.NotFound or HttpStatusCode.OK, $"{path}: {status}");
            Assert.DoesNotContain(Hidden, html, StringComparison.Ordinal);
            Assert.DoesNotContain("図面の送付", html, StringComparison.Ordinal);
        }

        // The approver's queue lists the request without its recipients.
        Assert.DoesNotContain(Hidden, (await boss.GetAsync("/console/approvals")).Html, StringComparison.Ordinal);
    }
}
