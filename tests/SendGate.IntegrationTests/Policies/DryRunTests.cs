using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using MimeKit;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.Policies;

/// <summary>The dry run answers what a submission would get, for JSON and MIME alike, and keeps nothing.</summary>
public sealed class DryRunTests : AppTest
{
    private static readonly object[] Policy =
    [
        Rule("reject-cards", [new { type = "reject", reason = "no card numbers" }], new { type = "creditCard" }),
        Rule("approve-secret", [new { type = "requireApproval", route = "legal" }], new { type = "subject", contains = new[] { "社外秘" } }),
        Rule("hold-external", [new { type = "hold", duration = "PT5M" }], new { type = "externalRecipients" }),
        Rule("zip", [new { type = "encryptAttachments" }], new { type = "attachmentCount", min = 1 }),
        Rule("bcc", [new { type = "convertToBcc", threshold = 3 }]),
        Rule("tag-quote", [new { type = "tag", tags = new[] { "見積" } }], new { type = "body", pattern = "見積(書|もり)" }),
    ];

    public static TheoryData<string> Messages => new()
    {
        "internal",
        "external",
        "many-external-with-attachment",
        "secret",
        "card",
        "quote-later",
    };

    private static Dictionary<string, object?> Message(string name) => name switch
    {
        "internal" => Mail(("to", new[] { "a@example.co.jp" })),
        "external" => Mail(("to", new[] { "a@partner.jp" })),
        "many-external-with-attachment" => Mail(("to", new[] { "a@one.jp", "b@two.jp" }), ("cc", new[] { "c@three.jp", "d@example.co.jp" }),
            ("attachments", new[] { Attachment("見積書.pdf", new byte[300], "application/pdf") })),
        "secret" => Mail(("subject", "【社外秘】計画"), ("to", new[] { "a@partner.jp" })),
        "card" => Mail(("text", "4111 1111 1111 1111")),
        "quote-later" => Mail(("text", "見積書をお送りします"), ("sendAt", SendGateApp.Start.AddHours(3).ToString("O"))),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Client.SetInternalDomainsAsync("example.co.jp");
        await Client.SetPolicyAsync(Policy);
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public async Task Dry_run_equals_the_decision_a_submission_gets(string name)
    {
        var dryRun = await Client.EvaluateAsync(Message(name));

        var response = await Client.PostAsJsonAsync("/v1/messages", Message(name));
        var rejected = response.StatusCode == HttpStatusCode.UnprocessableEntity;
        var body = rejected ? await response.ProblemAsync(HttpStatusCode.UnprocessableEntity, "policy-rejected") : await response.JsonAsync();
        Assert.Equal(dryRun.GetRawText(), body.GetProperty("decision").GetRawText());

        var id = body.Str(rejected ? "messageId" : "id");
        var stored = await (await Client.GetAsync($"/v1/messages/{id}")).JsonAsync();
        Assert.Equal(dryRun.GetRawText(), stored.GetProperty("decision").GetRawText());
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public async Task Json_and_MIME_of_the_same_message_get_the_same_decision(string name)
    {
        var json = Message(name);
        var sendAt = json.GetValueOrDefault("sendAt") as string;
        var mime = ToMime(json);

        var fromJson = await Client.EvaluateAsync(json);
        var fromMime = await Client.EvaluateMimeAsync(mime, sendAt);
        Assert.Equal(fromJson.GetRawText(), fromMime.GetRawText());

        // And the MIME submission stores that same decision.
        using var content = new ByteArrayContent(mime);
        content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
        var response = await Client.PostAsync("/v1/messages" + (sendAt is null ? "" : $"?sendAt={Uri.EscapeDataString(sendAt)}"), content);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(fromJson.GetRawText(), body.GetProperty("decision").GetRawText());
    }

    [Fact]
    public async Task Dry_run_stores_and_sends_nothing_and_validates_like_a_submission()
    {
        await Client.EvaluateAsync(Message("external"));
        await Client.EvaluateAsync(Message("internal"));
        var list = await (await Client.GetAsync("/v1/messages")).JsonAsync();
        Assert.Empty(list.GetProperty("items").EnumerateArray());
        Assert.Equal(0, (await App.DeliverDueAsync()).Claimed);

        var invalid = await Client.PostAsJsonAsync("/v1/policies/evaluate", Mail(("to", new[] { "not-an-address" })));
        await invalid.ProblemAsync(HttpStatusCode.BadRequest, "invalid-address", "to[0]");
        var injected = await Client.PostAsJsonAsync("/v1/policies/evaluate", Mail(("subject", "a\r\nBcc: x@evil.example")));
        await injected.ProblemAsync(HttpStatusCode.BadRequest, "header-injection", "subject");
        using var text = new StringContent("hello");
        text.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        await (await Client.PostAsync("/v1/policies/evaluate", text)).ProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
    }

    [Fact]
    public async Task Dry_run_shows_the_facts_it_decided_on()
    {
        var response = await Client.PostAsJsonAsync("/v1/policies/evaluate", Message("many-external-with-attachment"));
        var body = await response.JsonAsync();
        Assert.Equal("sender@example.co.jp", body.Str("from"));
        var recipients = body.GetProperty("recipients").EnumerateArray().ToDictionary(r => r.Str("address"), r => r.GetProperty("external").GetBoolean());
        Assert.False(recipients["d@example.co.jp"]);
        Assert.True(recipients["a@one.jp"]);
        var attachment = Assert.Single(body.GetProperty("attachments").EnumerateArray());
        Assert.Equal("見積書.pdf", attachment.Str("name"));
        Assert.Equal(300, attachment.GetProperty("size").GetInt64());
    }

    /// <summary>The same message as a mail program would write it.</summary>
    private static byte[] ToMime(Dictionary<string, object?> json)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse((string)json["from"]!));
        foreach (var to in (string[])json["to"]!)
        {
            message.To.Add(MailboxAddress.Parse(to));
        }

        foreach (var cc in json.GetValueOrDefault("cc") as string[] ?? [])
        {
            message.Cc.Add(MailboxAddress.Parse(cc));
        }

        message.Subject = (string)json["subject"]!;
        var builder = new BodyBuilder { TextBody = (string?)json["text"] };
        foreach (var attachment in json.GetValueOrDefault("attachments") as object[] ?? [])
        {
            var element = JsonSerializer.SerializeToElement(attachment);
            builder.Attachments.Add(element.Str("filename"), Convert.FromBase64String(element.Str("content")), ContentType.Parse(element.Str("contentType")));
        }

        message.Body = builder.ToMessageBody();
        using var stream = new MemoryStream();
        message.WriteTo(stream);
        return stream.ToArray();
    }
}
