using System.Net;
using System.Net.Http.Json;
using Dapper;
using SendGate.Core.Archive;
using SendGate.Core.Data;
using SendGate.Core.Messages;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.Archive;

/// <summary>Each filter of the message search, Japanese subjects, and tenants kept apart.</summary>
public sealed class SearchTests : AppTest
{
    private readonly Dictionary<string, string> _ids = [];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Client.SetPolicyAsync(
            Rule("big-customer", [new { type = "tag", tags = new[] { "key-account" } }], new { type = "recipientDomain", domains = new[] { "bigcorp.co.jp" } }),
            Rule("attachments", [new { type = "tag", tags = new[] { "files" } }], new { type = "attachmentCount", min = 1 }));
        _ids["quote"] = await SubmitAsync(("subject", "【見積】新製品のお見積り"), ("to", new[] { "buyer@bigcorp.co.jp" }), ("cc", new[] { "Boss@Example.co.jp" }),
            ("attachments", new[] { Attachment("見積書_2026.pdf", new byte[100]) }));
        App.Time.Advance(TimeSpan.FromMinutes(1));
        _ids["minutes"] = await SubmitAsync(("subject", "議事録"), ("from", "secretary@example.co.jp"), ("bcc", new[] { "archive@example.co.jp" }));
        App.Time.Advance(TimeSpan.FromMinutes(1));
        _ids["invoice"] = await SubmitAsync(("subject", "Invoice 2026-11"), ("to", new[] { "ap@vendor.jp" }), ("attachments", new[] { Attachment("invoice.xlsx", new byte[10]) }));
        await App.DeliverDueAsync();
        App.Time.Advance(TimeSpan.FromMinutes(1));
        _ids["held"] = await SubmitAsync(("subject", "later"), ("sendAt", App.Time.GetUtcNow().AddDays(1).ToString("O")));
    }

    private async Task<string> SubmitAsync(params (string, object?)[] fields) =>
        (await (await Client.PostAsJsonAsync("/v1/messages", Mail(fields))).JsonAsync()).Str("id");

    private async Task<IReadOnlyList<string>> FindAsync(string query)
    {
        var response = await Client.GetAsync($"/v1/messages?{query}");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return System.Text.Json.JsonDocument.Parse(text).RootElement.GetProperty("items").EnumerateArray()
            .Select(m => _ids.First(i => i.Value == m.Str("id")).Key).ToList();
    }

    [Theory]
    [InlineData("", "held,invoice,minutes,quote")]
    [InlineData("from=SECRETARY@example.co.jp", "minutes")]
    [InlineData("from=%22%E7%A7%98%E6%9B%B8%22%20%3Csecretary%40example.co.jp%3E", "minutes")] // "秘書" <secretary@…>, as copied from a mail
    [InlineData("to=%E8%B3%BC%E8%B2%B7%20%3Cbuyer%40bigcorp.co.jp%3E", "quote")] // 購買 <buyer@…>
    [InlineData("to=buyer@bigcorp.co.jp", "quote")]
    [InlineData("to=boss@example.co.jp", "quote")]
    [InlineData("to=archive@example.co.jp", "minutes")]
    [InlineData("subject=見積", "quote")]
    [InlineData("subject=%E8%AD%B0%E4%BA%8B", "minutes")]
    [InlineData("status=held", "held")]
    [InlineData("status=sent", "invoice,minutes,quote")]
    [InlineData("hasAttachments=true", "invoice,quote")]
    [InlineData("hasAttachments=false", "held,minutes")]
    [InlineData("attachment=見積書", "quote")]
    [InlineData("attachment=.xlsx", "invoice")]
    [InlineData("rule=big-customer", "quote")]
    [InlineData("rule=attachments", "invoice,quote")]
    [InlineData("tag=key-account", "quote")]
    [InlineData("createdFrom=2026-11-28T09:01:00Z&createdTo=2026-11-28T09:03:00Z", "invoice,minutes")]
    [InlineData("hasAttachments=true&to=ap@vendor.jp", "invoice")]
    public async Task Each_filter_finds_what_it_should(string query, string expected) =>
        Assert.Equal(expected.Split(','), await FindAsync(query));

    [Fact]
    public async Task Both_query_shapes_find_the_same_messages()
    {
        if (TestDatabase.SqlServer is not null)
        {
            return; // SQL Server has one shape only
        }

        // With a handful of messages every probe says "selective"; the walk newest first must agree.
        await using var connection = await App.Service<IDbConnectionFactory>().OpenAsync();
        var tenantId = await connection.QuerySingleAsync<string>("SELECT id FROM tenants");
        var all = MessageSearch.SearchDrivers.To | MessageSearch.SearchDrivers.Subject | MessageSearch.SearchDrivers.Attachment
            | MessageSearch.SearchDrivers.Rule | MessageSearch.SearchDrivers.Tag;
        foreach (var filter in new MessageFilter[]
                 {
                     new() { To = "BOSS@example.co.jp" }, new() { SubjectContains = "見積り" },
                     new() { SubjectContains = "INVOICE" }, new() { SubjectContains = "新製品の" }, new() { AttachmentName = "見積書_" },
                     new() { AttachmentName = ".XLSX" }, new() { RuleId = "attachments" }, new() { Tag = "files" },
                     new() { Tag = "files", To = "ap@vendor.jp", SubjectContains = "2026", Status = "sent", Before = (long.MaxValue, "msg_") },
                 })
        {
            var walked = await IdsAsync(MessageSearch.SearchDrivers.None);
            Assert.NotEmpty(walked);
            Assert.Equal(walked, await IdsAsync(all));

            async Task<List<string>> IdsAsync(MessageSearch.SearchDrivers drivers)
            {
                var (sql, args) = MessageSearch.ListQuery(SqliteDialect.Instance, tenantId, filter, drivers);
                return (await connection.QueryAsync<MessageRow>(sql, args)).Select(m => m.Id).ToList();
            }
        }
    }

    [Fact]
    public async Task Another_tenant_finds_nothing_of_this_one()
    {
        using var other = App.ClientFor(await App.CreateOtherTenantAdminKeyAsync());
        foreach (var query in new[] { "", "subject=見積", "to=buyer@bigcorp.co.jp", "rule=big-customer", "tag=key-account", "attachment=見積書" })
        {
            Assert.Empty((await (await other.GetAsync($"/v1/messages?{query}")).JsonAsync()).GetProperty("items").EnumerateArray());
        }

        await (await Client.GetAsync("/v1/messages?hasAttachments=maybe")).ProblemAsync(HttpStatusCode.BadRequest, "invalid-field", "hasAttachments");
    }
}
