using System.Net;
using System.Net.Http.Json;
using Microsoft.Data.Sqlite;
using SendGate.Core;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.ReviewConsole;

/// <summary>Signing in to the console by a link sent by mail, over a real SMTP server.</summary>
public sealed class ConsoleSignInTests : AppWithSmtpTest
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Client.SetInternalDomainsAsync("example.co.jp");
    }

    [Fact]
    public async Task A_sender_signs_in_by_mail_link_and_sees_her_held_mail()
    {
        await Client.SetPolicyAsync(Rule("hold", [new { type = "hold", mode = "review" }], new { type = "externalRecipients" }));
        var submitted = await Client.PostAsJsonAsync("/v1/messages", Mail(("from", "hanako@example.co.jp"), ("to", new[] { "tanaka@partner.co.jp" }), ("subject", "ご確認のお願い")));
        var id = (await submitted.JsonAsync()).Str("id");

        using var browser = ConsoleClient.For(App);
        var (status, _) = await browser.GetAsync("/console");
        Assert.Equal(HttpStatusCode.Redirect, status);

        await browser.SignInByMailAsync(App, Smtp, "hanako@example.co.jp");
        var (listed, html) = await browser.GetAsync("/console");
        Assert.Equal(HttpStatusCode.OK, listed);
        Assert.Contains("ご確認のお願い", html, StringComparison.Ordinal);
        Assert.Contains($"/console/messages/{id}", html, StringComparison.Ordinal);
        Assert.Contains("hanako@example.co.jp", html, StringComparison.Ordinal);

        var (shown, page) = await browser.GetAsync($"/console/messages/{id}");
        Assert.Equal(HttpStatusCode.OK, shown);
        Assert.Contains("tanaka@partner.co.jp", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sign_in_link_works_once_and_not_after_it_expires()
    {
        using var first = ConsoleClient.For(App);
        await first.PostFormAsync("/console/signin", "/console/signin", ("Address", "hanako@example.co.jp"));
        await first.PostFormAsync("/console/signin", "/console/signin", ("Address", "hanako@example.co.jp"));
        Assert.Equal(2, await App.DeliverNotificationsAsync());
        var mails = Smtp.Received.Select(r => r.Parse()).ToList();
        Assert.Equal("SendGate へのサインイン", mails[0].Subject);
        var used = ConsoleClient.LinkIn(mails[0].TextBody);
        var expired = ConsoleClient.LinkIn(mails[1].TextBody);

        // A scanner fetching the link spends nothing; the button does, once. The page says so.
        var (opened, linkPage) = await first.GetAsync(used);
        Assert.Equal(HttpStatusCode.OK, opened);
        Assert.Contains("メールのセキュリティ機能がリンクを自動で開くことがあるため、リンクを開いただけではサインインしません。下のボタンを押したときにだけサインインします。", linkPage, StringComparison.Ordinal);
        using (var english = ConsoleClient.For(App))
        {
            english.Http.DefaultRequestHeaders.AcceptLanguage.ParseAdd("en");
            Assert.Contains("Mail security scanners open links by themselves, so opening this link signs no one in; only the button below does.", (await english.GetAsync(used)).Html, StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.Redirect, (await first.PostFormAsync(used, used)).StatusCode);
        using var second = ConsoleClient.For(App);
        var (again, html) = await second.GetAsync(used);
        Assert.Equal(HttpStatusCode.Gone, again);
        Assert.Contains("このリンクは使用できません", html, StringComparison.Ordinal);

        App.Time.Advance(TimeSpan.FromMinutes(16));
        Assert.Equal(HttpStatusCode.Gone, (await second.GetAsync(expired)).Status);
    }

    [Fact]
    public async Task An_address_outside_every_tenant_gets_the_same_answer_and_no_mail()
    {
        using var browser = ConsoleClient.For(App);
        var response = await browser.PostFormAsync("/console/signin", "/console/signin", ("Address", "someone@elsewhere.example"));
        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("id=\"link-sent\"", html, StringComparison.Ordinal);
        Assert.Equal(0, await App.DeliverNotificationsAsync());
    }

    [Fact]
    public async Task Sign_in_links_to_one_address_are_limited_so_the_form_cannot_flood_a_mailbox()
    {
        using var browser = ConsoleClient.For(App);
        for (var i = 0; i < 5; i++)
        {
            var response = await browser.PostFormAsync("/console/signin", "/console/signin", ("Address", "hanako@example.co.jp"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(3, await App.DeliverNotificationsAsync());
        App.Time.Advance(TimeSpan.FromMinutes(16));
        await browser.PostFormAsync("/console/signin", "/console/signin", ("Address", "hanako@example.co.jp"));
        Assert.Equal(1, await App.DeliverNotificationsAsync());
    }

    [Fact]
    public async Task Sign_in_and_hold_notice_links_are_stored_only_as_their_hash()
    {
        await Client.SetPolicyAsync(Rule("hold", [new { type = "hold", mode = "review" }], new { type = "externalRecipients" }));
        var submitted = await Client.PostAsJsonAsync("/v1/messages", Mail(("from", "hanako@example.co.jp"), ("to", new[] { "tanaka@partner.co.jp" }), ("subject", "ご確認のお願い")));
        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        using var browser = ConsoleClient.For(App);
        await browser.PostFormAsync("/console/signin", "/console/signin", ("Address", "hanako@example.co.jp"));
        Assert.Equal(2, await App.DeliverNotificationsAsync());
        var mails = Smtp.Received.Select(r => r.Parse()).ToList();
        Assert.Contains(mails, m => m.Subject == "SendGate へのサインイン");
        Assert.Contains(mails, m => m.Subject == "【保留中】ご確認のお願い");
        var tokens = mails.Select(m => ConsoleClient.LinkIn(m.TextBody)["/console/link/".Length..]).ToList();

        var links = await DumpAsync("SELECT * FROM console_links");
        Assert.Equal(2, links.Count);
        foreach (var token in tokens)
        {
            Assert.Contains(links, row => row["token_hash"] == LinkTokens.Hash(token));
            Assert.DoesNotContain(links, row => row.Values.Any(v => v.Contains(token, StringComparison.Ordinal)));
        }

        // Nor anywhere else in the database: not in the queued mail, not in the audit trail.
        foreach (var table in (await DumpAsync("SELECT name FROM sqlite_master WHERE type = 'table'")).Select(t => t["name"]))
        {
            var rows = await DumpAsync($"SELECT * FROM \"{table}\"");
            Assert.All(tokens, token => Assert.DoesNotContain(rows, row => row.Values.Any(v => v.Contains(token, StringComparison.Ordinal))));
        }

        // The links still work: the hash is what they are found by.
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync($"/console/link/{tokens[0]}")).Status);
    }

    [Fact]
    public async Task Too_many_sign_in_forms_from_one_client_get_a_readable_page_and_another_client_is_not_affected()
    {
        await using var host = RemoteAddressFromHeader.Around(App);
        using var busy = ConsoleClient.For(host);
        busy.Http.DefaultRequestHeaders.Add(RemoteAddressFromHeader.Header, "198.51.100.4");
        // Twenty forms in the window, each for a different address: it is the client that is counted.
        for (var i = 0; i < 20; i++)
        {
            var allowed = await busy.PostFormAsync("/console/signin", "/console/signin", ("Address", $"someone{i}@elsewhere.example"));
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }

        var refused = await busy.PostFormAsync("/console/signin", "/console/signin", ("Address", "hanako@example.co.jp"));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("300", refused.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var page = await refused.Content.ReadAsStringAsync();
        Assert.Contains("id=\"sign-in-error\"", page, StringComparison.Ordinal);
        Assert.Contains("この端末からのサインイン操作が多すぎます。数分待ってからもう一度お試しください。", page, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"link-sent\"", page, StringComparison.Ordinal);

        busy.Http.DefaultRequestHeaders.AcceptLanguage.ParseAdd("en");
        var english = await (await busy.PostFormAsync("/console/signin", "/console/signin", ("Address", "hanako@example.co.jp"))).Content.ReadAsStringAsync();
        Assert.Contains("Too many sign-in attempts from here. Wait a few minutes and try again.", english, StringComparison.Ordinal);
        Assert.Equal(0, await App.DeliverNotificationsAsync());

        using var other = ConsoleClient.For(host);
        other.Http.DefaultRequestHeaders.Add(RemoteAddressFromHeader.Header, "198.51.100.5");
        var answered = await other.PostFormAsync("/console/signin", "/console/signin", ("Address", "hanako@example.co.jp"));
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.Contains("id=\"link-sent\"", await answered.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, await App.DeliverNotificationsAsync());

        // The limited client cannot spend a link either; the other one signs in with it.
        var link = ConsoleClient.LinkIn(Smtp.Received.Last().Parse().TextBody);
        var tried = await busy.PostFormAsync(link, link);
        Assert.Equal(HttpStatusCode.TooManyRequests, tried.StatusCode);
        Assert.Contains("Too many attempts", await tried.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await other.PostFormAsync(link, link)).StatusCode);
    }

    /// <summary>Every row of a query on the SQLite file itself, each value as text (blobs as UTF-8).</summary>
    private async Task<List<Dictionary<string, string>>> DumpAsync(string sql)
    {
        await using var connection = new SqliteConnection(App.ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<Dictionary<string, string>>();
        while (await reader.ReadAsync())
        {
            var row = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < reader.FieldCount; i++)
            {
                row[reader.GetName(i)] = reader.IsDBNull(i) ? "" : reader.GetValue(i) switch
                {
                    byte[] bytes => System.Text.Encoding.UTF8.GetString(bytes),
                    var value => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
                };
            }

            rows.Add(row);
        }

        return rows;
    }

    [Fact]
    public async Task A_bad_address_is_answered_on_the_page()
    {
        using var browser = ConsoleClient.For(App);
        var response = await browser.PostFormAsync("/console/signin", "/console/signin", ("Address", "not an address"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("id=\"sign-in-error\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
