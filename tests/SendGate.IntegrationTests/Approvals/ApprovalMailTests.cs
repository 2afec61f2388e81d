using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.Approvals;

/// <summary>Approval by the signed link in the approval mail, as delivered by a real SMTP server, and the sender's notice.</summary>
public sealed partial class ApprovalMailTests : AppWithSmtpTest
{
    private const string Boss = "boss@example.co.jp";
    private const string Head = "head@example.co.jp";

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["SendGate:Notifications:PublicBaseUrl"] = "https://sendgate.example.co.jp",
        ["SendGate:Notifications:From"] = "SendGate <sendgate@example.co.jp>",
    };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Client.SetInternalDomainsAsync("example.co.jp");
        var route = await Client.PutAsJsonAsync("/v1/approval-routes/default", new
        {
            entries = new[] { new { levels = new object[] { new { approvers = new[] { Boss } }, new { approvers = new[] { Head } } } } },
        });
        route.EnsureSuccessStatusCode();
        await Client.SetPolicyAsync(Rule("approve", [new { type = "requireApproval", timeout = "PT4H", reminderBefore = "PT1H" }],
            new { type = "externalRecipients" }, new { type = "attachmentCount", min = 1 }));
    }

    private async Task<string> SubmitAsync()
    {
        var response = await Client.PostAsJsonAsync("/v1/messages", Mail(("to", new[] { "tanaka@partner.co.jp" }), ("subject", "お見積り"),
            ("attachments", new[] { Attachment("見積書.pdf", new byte[3000]) })));
        return (await response.JsonAsync()).Str("id");
    }

    private async Task<string> StatusAsync(string id) => (await (await Client.GetAsync($"/v1/messages/{id}")).JsonAsync()).Str("status");

    /// <summary>The approval mail the SMTP server got for <paramref name="approver"/>, and the link's path.</summary>
    private (MimeKit.MimeMessage Mail, string Path) ApprovalMailFor(string approver)
    {
        var received = Smtp.Received.Last(r => r.To.Contains(approver)).Parse();
        var link = Link().Match(received.TextBody ?? "");
        Assert.True(link.Success, received.TextBody);
        return (received, link.Groups[1].Value);
    }

    private Task<HttpResponseMessage> PostAsync(string path, string decision, string comment = "") =>
        Client.PostAsync(path, new FormUrlEncodedContent(new Dictionary<string, string> { ["decision"] = decision, ["comment"] = comment }));

    [Fact]
    public async Task Approvers_decide_through_their_links_level_by_level_and_the_sender_is_told()
    {
        var id = await SubmitAsync();
        Assert.Equal(1, await App.DeliverNotificationsAsync());
        var (mail, bossLink) = ApprovalMailFor(Boss);
        Assert.Equal("【承認依頼】お見積り", mail.Subject);
        Assert.Equal("sendgate@example.co.jp", mail.From.Mailboxes.Single().Address);
        Assert.Contains("tanaka@partner.co.jp（社外）", mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("見積書.pdf (2 KB)", mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("rule approve", mail.TextBody, StringComparison.Ordinal);
        // Why, in the approver's language: each condition's label and what made it true.
        Assert.Contains("社外の宛先", mail.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain("external recipients (threshold", mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("添付ファイルの数", mail.TextBody, StringComparison.Ordinal);
        // The beginning of the body under review, set apart from the mail's own text.
        Assert.Contains("本文（冒頭）：", mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("  | Body text", mail.TextBody, StringComparison.Ordinal);

        // A scanner fetching the link decides nothing.
        var page = await Client.GetAsync(bossLink);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("no-referrer", page.Headers.GetValues("Referrer-Policy").Single());
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("お見積り", html, StringComparison.Ordinal);
        Assert.Contains("<dt>本文（冒頭）</dt><dd>Body text</dd>", html, StringComparison.Ordinal);
        Assert.Contains("value=\"approve\"", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync(bossLink)).StatusCode);
        Assert.Equal("awaiting_approval", await StatusAsync(id));

        Assert.Equal(HttpStatusCode.OK, (await PostAsync(bossLink, "approve", "OKです")).StatusCode);
        Assert.Equal("awaiting_approval", await StatusAsync(id));
        Assert.Equal(HttpStatusCode.Gone, (await PostAsync(bossLink, "approve")).StatusCode);

        Assert.Equal(1, await App.DeliverNotificationsAsync());
        var (_, headLink) = ApprovalMailFor(Head);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(headLink, "approve")).StatusCode);
        Assert.Equal("queued", await StatusAsync(id));

        Assert.Equal(1, await App.DeliverNotificationsAsync());
        var notice = Smtp.Received.Last(r => r.To.Contains("sender@example.co.jp")).Parse();
        Assert.Equal("【承認されました】お見積り", notice.Subject);
        Assert.Contains(Head, notice.TextBody, StringComparison.Ordinal);

        var approvalId = (await (await Client.GetAsync("/v1/approvals?status=approved")).JsonAsync()).GetProperty("items")[0];
        var decisions = approvalId.GetProperty("decisions").EnumerateArray().ToList();
        Assert.All(decisions, d => Assert.Equal("link", d.Str("channel")));
        Assert.Equal("OKです", decisions[0].Str("comment"));
        var audit = (await (await Client.GetAsync("/v1/audit?action=approve")).JsonAsync()).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal([$"link ({Head})", $"link ({Boss})"], audit.Select(a => a.Str("actor")));
        // The in-memory test server has no remote address; under Kestrel the client's IP is recorded here.
        Assert.True(decisions[0].TryGetProperty("ip", out _));
    }

    [Fact]
    public async Task Rejecting_through_the_link_rejects_and_tells_the_sender_why()
    {
        var id = await SubmitAsync();
        await App.DeliverNotificationsAsync();
        var (_, link) = ApprovalMailFor(Boss);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(link, "reject", "添付が違います")).StatusCode);
        Assert.Equal("rejected", await StatusAsync(id));

        await App.DeliverNotificationsAsync();
        var notice = Smtp.Received.Last(r => r.To.Contains("sender@example.co.jp")).Parse();
        Assert.Equal("【却下されました】お見積り", notice.Subject);
        Assert.Contains("添付が違います", notice.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_escalation_asks_the_next_approver_and_tells_the_sender_the_mail_still_waits()
    {
        await Client.SetPolicyAsync(Rule("approve", [new { type = "requireApproval", timeout = "PT1H", onTimeout = "escalate" }],
            new { type = "externalRecipients" }, new { type = "attachmentCount", min = 1 }));
        var id = await SubmitAsync();
        Assert.Equal(1, await App.DeliverNotificationsAsync());

        App.Time.Advance(TimeSpan.FromMinutes(61));
        await App.ProcessApprovalsAsync();
        Assert.Equal(2, await App.DeliverNotificationsAsync());

        Assert.Equal("awaiting_approval", await StatusAsync(id));
        var notice = Smtp.Received.Last(r => r.To.Contains("sender@example.co.jp")).Parse();
        Assert.Equal("【承認者を変更しました】お見積り", notice.Subject);
        Assert.Contains("引き続き承認待ちです", notice.TextBody, StringComparison.Ordinal);
        Assert.Contains($"回付先：{Head}", notice.TextBody, StringComparison.Ordinal);
        Assert.Equal("【承認依頼】お見積り", ApprovalMailFor(Head).Mail.Subject);
    }

    [Fact]
    public async Task Used_expired_and_unknown_tokens_are_refused()
    {
        var id = await SubmitAsync();
        await App.DeliverNotificationsAsync();
        var (_, link) = ApprovalMailFor(Boss);

        Assert.Equal(HttpStatusCode.Gone, (await Client.GetAsync("/approve/not-a-real-token-at-all-0123456789")).StatusCode);
        Assert.Equal(HttpStatusCode.Gone, (await PostAsync(link + "x", "approve")).StatusCode);

        App.Time.Advance(TimeSpan.FromHours(3));
        Assert.Equal(1, await App.ProcessApprovalsAsync());
        Assert.Equal(1, await App.DeliverNotificationsAsync());
        Assert.StartsWith("【承認依頼・再通知】", ApprovalMailFor(Boss).Mail.Subject, StringComparison.Ordinal);

        App.Time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(HttpStatusCode.Gone, (await Client.GetAsync(link)).StatusCode);
        Assert.Equal(HttpStatusCode.Gone, (await PostAsync(link, "approve")).StatusCode);
        Assert.Equal("awaiting_approval", await StatusAsync(id));
    }

    [Fact]
    public async Task An_oversized_or_malformed_form_is_refused_with_a_page_and_the_link_still_works()
    {
        var id = await SubmitAsync();
        await App.DeliverNotificationsAsync();
        var (_, link) = ApprovalMailFor(Boss);

        // Over the form limits of the framework (4 MiB a value) and of the page (64 KiB), announced and chunked.
        var huge = new string('a', 5 * 1024 * 1024);
        var announced = await PostAsync(link, "approve", huge);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, announced.StatusCode);
        Assert.Equal("text/html", announced.Content.Headers.ContentType?.MediaType);
        Assert.Contains("何も決定されていません", await announced.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var chunked = new StreamContent(new MemoryStream(System.Text.Encoding.ASCII.GetBytes("decision=approve&comment=" + new string('b', 100_000))));
        chunked.Headers.ContentType = new("application/x-www-form-urlencoded");
        var request = new HttpRequestMessage(HttpMethod.Post, link) { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await Client.SendAsync(request)).StatusCode);

        // Far more fields than the page has, and multipart without a boundary.
        var many = new FormUrlEncodedContent(Enumerable.Range(0, 2000).Select(i => KeyValuePair.Create($"f{i}", "x")).Append(KeyValuePair.Create("decision", "approve")));
        var manyFields = await Client.PostAsync(link, many);
        Assert.Equal(HttpStatusCode.BadRequest, manyFields.StatusCode);
        Assert.Contains("フォームを読み取れませんでした", await manyFields.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var broken = new ByteArrayContent("--x\r\nnot a part"u8.ToArray());
        broken.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data");
        var malformed = await Client.PostAsync(link, broken);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal("text/html", malformed.Content.Headers.ContentType?.MediaType);

        // Nothing was decided and the link was not spent.
        Assert.Equal("awaiting_approval", await StatusAsync(id));
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(link, "approve", "OK")).StatusCode);
        Assert.Equal("awaiting_approval", await StatusAsync(id));
        Assert.Equal(1, await App.DeliverNotificationsAsync());
        Assert.Contains(Head, Smtp.Received.Last().To);
    }

    [Fact]
    public async Task Card_numbers_and_my_numbers_are_masked_in_everything_sendgate_writes_or_shows()
    {
        // Luhn-valid card with separators in the subject, in full-width digits in the body, and a valid My Number in full width.
        var response = await Client.PostAsJsonAsync("/v1/messages", Mail(("to", new[] { "tanaka@partner.co.jp" }), ("subject", "カード 4111-1111-1111-1111 の件"),
            ("text", "番号：４１１１　１１１１　１１１１　１１１１\nマイナンバー：１２３４－５６７８－９０１８\n以上"),
            ("attachments", new[] { Attachment("a.pdf", new byte[10]) })));
        var id = (await response.JsonAsync()).Str("id");
        Assert.Equal(1, await App.DeliverNotificationsAsync());
        var (mail, link) = ApprovalMailFor(Boss);
        var html = await (await Client.GetAsync(link)).Content.ReadAsStringAsync();
        var approvalId = (await (await Client.GetAsync("/v1/approvals")).JsonAsync()).GetProperty("items")[0].Str("id");
        var api = await (await Client.GetAsync($"/v1/approvals/{approvalId}")).Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(link, "reject", "カード4111111111111111は送れません")).StatusCode);
        var events = await (await Client.GetAsync($"/v1/messages/{id}/events")).Content.ReadAsStringAsync();
        var summary = await (await Client.GetAsync($"/v1/messages/{id}")).Content.ReadAsStringAsync();
        await App.DeliverNotificationsAsync();
        var notice = Smtp.Received.Last(r => r.To.Contains("sender@example.co.jp")).Parse();

        foreach (var (place, text) in new[] { ("mail", mail.Subject + mail.TextBody), ("page", html), ("api", api), ("events", events), ("summary", summary), ("notice", notice.Subject + notice.TextBody) })
        {
            foreach (var clear in new[] { "4111-1111-1111-1111", "4111111111111111", "４１１１", "1234-5678-9018", "１２３４" })
            {
                Assert.False(text.Contains(clear, StringComparison.Ordinal), $"{place} shows {clear}");
            }
        }

        Assert.Contains("****-****-****-1111", mail.Subject, StringComparison.Ordinal);
        Assert.Contains("  | 番号：****-****-****-1111", mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("マイナンバー：****-****-9018", mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("カード ****-****-****-1111 の件", html, StringComparison.Ordinal);
        Assert.Contains("****-****-9018", api, StringComparison.Ordinal);
        Assert.Contains("カード****-****-****-1111は送れません", notice.TextBody, StringComparison.Ordinal);

        // The stored original keeps the real content: it is the mail.
        var original = await App.Service<SendGate.Core.Messages.MessageStore>().GetOriginalAsync((await (await Client.GetAsync("/v1/tenant")).JsonAsync()).Str("id"), id);
        var stored = MimeKit.MimeMessage.Load(new MemoryStream(original!));
        Assert.Equal("カード 4111-1111-1111-1111 の件", stored.Subject);
        Assert.Contains("４１１１　１１１１　１１１１　１１１１", stored.TextBody, StringComparison.Ordinal);
    }

    [GeneratedRegex("https://sendgate\\.example\\.co\\.jp(/approve/[A-Za-z0-9_-]+)")]
    private static partial Regex Link();
}
