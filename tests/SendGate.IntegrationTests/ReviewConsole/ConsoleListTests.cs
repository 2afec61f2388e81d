using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using SendGate.Core.Audit;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.ReviewConsole;

/// <summary>The reviewers' lists on the console: the review queue, the archive and the audit trail, searched and paged as the API.</summary>
public sealed partial class ConsoleListTests : AppWithSmtpTest
{
    private const string Reviewer = "check@example.co.jp";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Client.SetInternalDomainsAsync("example.co.jp");
        await Client.SetPolicyAsync(
            Rule("hold", [new { type = "hold", mode = "review" }], new { type = "recipientDomain", domains = new[] { "partner.co.jp" } }),
            Rule("files", [new { type = "tag", tags = new[] { "files" } }], new { type = "attachmentCount", min = 1 }));
        (await Client.PutAsJsonAsync($"/v1/console/people/{Reviewer}", new { role = "reviewer" })).EnsureSuccessStatusCode();
    }

    private async Task<string> SubmitAsync(string subject, string to = "tanaka@partner.co.jp", string from = "hanako@example.co.jp", bool attachment = false)
    {
        var fields = new List<(string, object?)> { ("from", from), ("to", new[] { to }), ("subject", subject) };
        if (attachment)
        {
            fields.Add(("attachments", new[] { Attachment("見積書.pdf", new byte[64]) }));
        }

        var submitted = await Client.PostAsJsonAsync("/v1/messages", Mail([.. fields]));
        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        return (await submitted.JsonAsync()).Str("id");
    }

    private async Task<ConsoleClient> SignedInAsync(string address)
    {
        var browser = ConsoleClient.For(App);
        await browser.SignInByMailAsync(App, Smtp, address);
        return browser;
    }

    /// <summary>Follows the next-page links from <paramref name="path"/>, collecting what <paramref name="row"/> finds on each page.</summary>
    private static async Task<(List<string> Rows, List<string> Pages)> WalkAsync(ConsoleClient browser, string path, Regex row)
    {
        var rows = new List<string>();
        var pages = new List<string>();
        for (string? next = path; next is not null;)
        {
            var (status, html) = await browser.GetAsync(next);
            Assert.True(status == HttpStatusCode.OK, $"{next}: {status}\n{html}");
            pages.Add(next);
            rows.AddRange(row.Matches(html).Select(m => m.Groups[1].Value));
            var link = NextLink().Match(html);
            next = link.Success ? WebUtility.HtmlDecode(link.Groups[1].Value) : null;
            Assert.True(pages.Count < 20, "the pages never end");
        }

        return (rows, pages);
    }

    private static int Count(string html, string attribute) => html.Split(attribute, StringSplitOptions.None).Length - 1;

    [Fact]
    public async Task The_review_queue_is_searched_with_the_archive_filters_and_paged_through_every_held_mail_once()
    {
        var held = new List<string>();
        for (var i = 0; i < 53; i++)
        {
            held.Add(await SubmitAsync($"お見積り {i:D2}"));
        }

        var withFile = await SubmitAsync("図面の送付", attachment: true);
        var fromTaro = await SubmitAsync("打合せの件", from: "taro@example.co.jp");
        // Mail that leaves at once is not in the queue, whatever the filters.
        var gone = await SubmitAsync("お見積り 社内", to: "suzuki@example.co.jp");
        using var reviewer = await SignedInAsync(Reviewer);

        var (all, pages) = await WalkAsync(reviewer, "/console/review", MessageRow());
        Assert.Equal(2, pages.Count);
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Equal(held.Append(withFile).Append(fromTaro).Order(), all.Order(), StringComparer.Ordinal);
        Assert.DoesNotContain(gone, all);

        // The next page keeps the filters: the subject's 53 held mails, over two pages, nothing else.
        var (quotes, quotePages) = await WalkAsync(reviewer, "/console/review?subject=%E3%81%8A%E8%A6%8B%E7%A9%8D%E3%82%8A", MessageRow());
        Assert.Equal(2, quotePages.Count);
        Assert.Contains("subject=%E3%81%8A%E8%A6%8B%E7%A9%8D%E3%82%8A", quotePages[1], StringComparison.Ordinal);
        Assert.Equal(held.Order(), quotes.Order(), StringComparer.Ordinal);

        Assert.Equal([withFile], (await WalkAsync(reviewer, "/console/review?hasAttachments=true", MessageRow())).Rows);
        Assert.Equal([withFile], (await WalkAsync(reviewer, "/console/review?tag=files&attachment=%E8%A6%8B%E7%A9%8D", MessageRow())).Rows);
        Assert.Equal([fromTaro], (await WalkAsync(reviewer, "/console/review?from=%E5%A4%AA%E9%83%8E+%3Ctaro%40example.co.jp%3E", MessageRow())).Rows);
        Assert.Empty((await WalkAsync(reviewer, "/console/review?door=smtp", MessageRow())).Rows);
        Assert.Equal(54, (await WalkAsync(reviewer, "/console/review?rule=hold&to=tanaka%40partner.co.jp&hasAttachments=false", MessageRow())).Rows.Count);

        // Every control has its label; a status the queue never holds is a readable refusal.
        var (_, form) = await reviewer.GetAsync("/console/review");
        foreach (Match control in ControlId().Matches(form))
        {
            Assert.Contains($"<label for=\"{control.Groups[1].Value}\"", form, StringComparison.Ordinal);
        }

        var (badStatus, badHtml) = await reviewer.GetAsync("/console/review?status=sent");
        Assert.Equal(HttpStatusCode.BadRequest, badStatus);
        Assert.Contains("id=\"filter-error\"", badHtml, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await reviewer.GetAsync("/console/review?cursor=not-a-cursor")).Status);
    }

    [Fact]
    public async Task The_archive_narrows_by_every_filter_and_by_days_in_the_tenant_s_time_zone_and_pages_without_duplicates()
    {
        var first = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            first.Add(await SubmitAsync($"社内連絡 {i:D2}", to: "suzuki@example.co.jp"));
        }

        // 2026-11-28 18:00 in Tokyo; a day later, 2026-11-29.
        App.Time.Advance(TimeSpan.FromDays(1));
        var second = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            second.Add(await SubmitAsync($"ご請求 {i:D2}", to: "suzuki@example.co.jp", attachment: i % 10 == 0));
        }

        var held = await SubmitAsync("お見積り");
        await App.DeliverDueAsync();
        using var reviewer = await SignedInAsync(Reviewer);

        var (all, pages) = await WalkAsync(reviewer, "/console/archive", MessageRow());
        Assert.Equal(2, pages.Count);
        Assert.Equal(61, all.Distinct().Count());
        Assert.Equal(61, all.Count);

        Assert.Equal(first.Order(), (await WalkAsync(reviewer, "/console/archive?until=2026-11-28", MessageRow())).Rows.Order(), StringComparer.Ordinal);
        // Both sides in id order: ids made in the same millisecond (the test clock stands still) are not in submission order.
        Assert.Equal(second.Append(held).Order(StringComparer.Ordinal), (await WalkAsync(reviewer, "/console/archive?since=2026-11-29&until=2026-11-29", MessageRow())).Rows.Order(StringComparer.Ordinal), StringComparer.Ordinal);
        Assert.Equal(3, (await WalkAsync(reviewer, "/console/archive?hasAttachments=true&tag=files", MessageRow())).Rows.Count);
        Assert.Equal([held], (await WalkAsync(reviewer, "/console/archive?status=held", MessageRow())).Rows);
        Assert.Equal([held], (await WalkAsync(reviewer, "/console/archive?rule=hold&door=api", MessageRow())).Rows);
        Assert.Equal(27, (await WalkAsync(reviewer, "/console/archive?subject=%E8%AB%8B%E6%B1%82&hasAttachments=false&since=2026-11-29", MessageRow())).Rows.Count);

        var (_, form) = await reviewer.GetAsync("/console/archive");
        foreach (Match control in ControlId().Matches(form))
        {
            Assert.Contains($"<label for=\"{control.Groups[1].Value}\"", form, StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.BadRequest, (await reviewer.GetAsync("/console/archive?hasAttachments=maybe")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await reviewer.GetAsync("/console/archive?door=fax")).Status);
    }

    [Fact]
    public async Task A_sender_without_the_reviewer_role_gets_the_readable_refusal_on_every_reviewer_page()
    {
        await SubmitAsync("お見積り");
        using var sender = await SignedInAsync("hanako@example.co.jp");
        foreach (var page in new[] { "/console/review", "/console/review?subject=x", "/console/archive", "/console/audit", "/console/audit?handler=Export", "/console/archive?handler=Export" })
        {
            var (status, html) = await sender.GetAsync(page);
            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.Contains("権限がありません", html, StringComparison.Ordinal);
            Assert.DoesNotContain("お見積り", html, StringComparison.Ordinal);
            Assert.DoesNotContain("console sign-in", html, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_audit_trail_is_filtered_by_day_paged_once_through_and_exported_as_neutralised_csv_that_is_itself_audited()
    {
        var tenantId = (await (await Client.GetAsync("/v1/tenant")).JsonAsync()).Str("id");
        var trail = App.Service<AuditTrail>();
        for (var i = 0; i < 120; i++)
        {
            await trail.RecordAsync(new AuditEntry(tenantId, "console:hanako@example.co.jp", "console cancel", $"message=msg_{i:D3}", i == 7 ? "=HYPERLINK(\"https://evil.example\",\"x\")" : $"reason {i}", "127.0.0.1", 200));
        }

        App.Time.Advance(TimeSpan.FromDays(1));
        for (var i = 0; i < 5; i++)
        {
            await trail.RecordAsync(new AuditEntry(tenantId, "console:taro@example.co.jp", "console send-now", $"message=next_{i}", "+1, said \"ok\"", "127.0.0.1", 200));
        }

        using var reviewer = await SignedInAsync(Reviewer);
        var (all, pages) = await WalkAsync(reviewer, "/console/audit?action=console+", SeqRow());
        Assert.True(pages.Count >= 2);
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Contains("action=console", pages[1], StringComparison.Ordinal);
        var count = all.Count;
        Assert.True(count >= 126, $"{count} entries"); // the 125 above and the reviewer's sign-in

        var (firstDay, _) = await WalkAsync(reviewer, "/console/audit?from=2026-11-28&to=2026-11-28&actor=console%3Ahanako%40example.co.jp", SeqRow());
        Assert.Equal(120, firstDay.Count);
        var (secondDay, _) = await WalkAsync(reviewer, "/console/audit?from=2026-11-29&action=send-now", SeqRow());
        Assert.Equal(5, secondDay.Count);
        Assert.Equal(HttpStatusCode.BadRequest, (await reviewer.GetAsync("/console/audit?from=yesterday")).Status);

        var (_, page) = await reviewer.GetAsync("/console/audit?from=2026-11-29");
        Assert.Contains("href=\"/console/audit?handler=Export&amp;from=2026-11-29\"", page, StringComparison.Ordinal);
        var export = await reviewer.Http.GetAsync("/console/audit?handler=Export&actor=console%3Ataro%40example.co.jp");
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        Assert.Equal("text/csv", export.Content.Headers.ContentType!.MediaType);
        Assert.Equal("no-store", export.Headers.CacheControl!.ToString());
        Assert.Equal("attachment", export.Content.Headers.ContentDisposition!.DispositionType);
        var csv = await export.Content.ReadAsStringAsync();
        var lines = csv.TrimStart('\uFEFF').Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("seq,at,actor,action,resource,detail,ip,status,hash", lines[0]);
        Assert.Equal(6, lines.Length);
        // A cell a spreadsheet would run starts with an apostrophe; commas and quotes stay inside their cell.
        Assert.All(lines.Skip(1), l => Assert.Contains(",\"'+1, said \"\"ok\"\"\",", l, StringComparison.Ordinal));

        var hanako = await (await reviewer.Http.GetAsync("/console/audit?handler=Export&actor=console%3Ahanako%40example.co.jp")).Content.ReadAsStringAsync();
        Assert.Contains(",\"'=HYPERLINK(\"\"https://evil.example\"\",\"\"x\"\")\",", hanako, StringComparison.Ordinal);
        Assert.DoesNotContain(",=HYPERLINK", hanako, StringComparison.Ordinal);

        // The export is in the trail: channel console, the person's address, the filters asked for.
        var exports = await trail.ListAsync(tenantId, new AuditFilter($"console:{Reviewer}", "console export-audit", null, null, null, 10));
        Assert.Equal(2, exports.Count);
        Assert.Equal("actor=console%3Ahanako%40example.co.jp", exports[0].Detail);
    }

    [Fact]
    public async Task Approvals_are_paged_and_the_decided_tab_says_who_decided_when_what_and_why()
    {
        await Client.SetDefaultApproversAsync("boss@example.co.jp");
        await Client.SetPolicyAsync(Rule("approve", [new { type = "requireApproval", timeout = "PT4H" }], new { type = "externalRecipients" }));
        var ids = new List<string>();
        for (var i = 0; i < 52; i++)
        {
            ids.Add(await SubmitAsync($"契約書 {i:D2}"));
        }

        using var boss = await SignedInAsync("boss@example.co.jp");
        var (pending, pages) = await WalkAsync(boss, "/console/approvals", ApprovalRow());
        Assert.Equal(2, pages.Count);
        Assert.Equal(52, pending.Distinct().Count());
        Assert.Equal(52, pending.Count);

        App.Time.Advance(TimeSpan.FromMinutes(5));
        var decided = await boss.PostFormAsync("/console/approvals", "/console/approvals", ("ids", pending[0]), ("decision", "reject"), ("comment", "宛先が違います"));
        Assert.Equal(HttpStatusCode.Redirect, decided.StatusCode);
        var (_, tab) = await boss.GetAsync("/console/approvals?view=decided");
        var row = Regex.Match(tab, $"<tr data-approval=\"{pending[0]}\">(.*?)</tr>", RegexOptions.Singleline).Groups[1].Value;
        Assert.Contains("却下", row, StringComparison.Ordinal);
        Assert.Contains("boss@example.co.jp", row, StringComparison.Ordinal);
        Assert.Contains("2026/11/28 18:05", row, StringComparison.Ordinal);
        Assert.Contains("宛先が違います", row, StringComparison.Ordinal);
        Assert.Equal(1, Count(tab, "<tr data-approval="));
        Assert.DoesNotContain("id=\"next-page\"", tab, StringComparison.Ordinal);

        // Someone not on the route sees neither list's requests.
        using var other = await SignedInAsync("taro@example.co.jp");
        Assert.Empty((await WalkAsync(other, "/console/approvals", ApprovalRow())).Rows);
        Assert.Empty((await WalkAsync(other, "/console/approvals?view=decided", ApprovalRow())).Rows);
        Assert.Equal(HttpStatusCode.BadRequest, (await boss.GetAsync("/console/approvals?cursor=bad!")).Status);
    }

    [GeneratedRegex("<(?:tr|li) (?:class=\"card\" )?data-message=\"([^\"]+)\"")]
    private static partial Regex MessageRow();

    [GeneratedRegex("<tr data-seq=\"([0-9]+)\"")]
    private static partial Regex SeqRow();

    [GeneratedRegex("<(?:tr|li class=\"card\") data-approval=\"([^\"]+)\"")]
    private static partial Regex ApprovalRow();

    [GeneratedRegex("<a href=\"([^\"]+)\" id=\"next-page\"")]
    private static partial Regex NextLink();

    [GeneratedRegex("<(?:input|select|textarea)[^>]* id=\"(f-[a-z]+)\"")]
    private static partial Regex ControlId();
}
