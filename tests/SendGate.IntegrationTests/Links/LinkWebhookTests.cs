using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using MimeKit;
using SendGate.Core.Links;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.Links;

/// <summary>A download link's life as events, delivered as signed webhooks to a real receiver on 127.0.0.1; never its token or code.</summary>
public sealed partial class LinkWebhookTests : AppWithWebhookReceiverTest
{
    private static readonly string[] LinkEvents =
        ["message.link_created", "message.link_code_sent", "message.link_downloaded", "message.link_stopped", "message.link_expired"];

    protected override bool WithRelay => true;

    [GeneratedRegex(@"https?://[^\s]+/download/([A-Za-z0-9_-]{43})")]
    private static partial Regex LinkInText();

    [GeneratedRegex("name=\"__sendgate_af\" value=\"([^\"]+)\"")]
    private static partial Regex FormToken();

    [GeneratedRegex(@"^\s*(\d{6})\s*$", RegexOptions.Multiline)]
    private static partial Regex CodeInText();

    private async Task<(string Id, string Token)> DeliveredAsync()
    {
        var response = await Client.PostAsJsonAsync("/v1/messages", Mail(("to", new[] { "tanaka@partner.co.jp" }),
            ("attachments", new[] { Attachment("御見積書.txt", Encoding.UTF8.GetBytes("見積"), "text/plain") })));
        var id = (await response.JsonAsync()).Str("id");
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        var mail = Smtp.Received.Last().Parse();
        return (id, LinkInText().Match(string.Join("\n", mail.BodyParts.OfType<TextPart>().Select(p => p.Text))).Groups[1].Value);
    }

    private static FormUrlEncodedContent Form(string formToken, string name, string value) =>
        new(new Dictionary<string, string> { [name] = value, ["__sendgate_af"] = formToken });

    [Fact]
    public async Task Link_created_code_sent_downloaded_stopped_and_expired_reach_the_subscribed_endpoint()
    {
        await Client.SetInternalDomainsAsync("example.co.jp");
        await Client.SetPolicyAsync(Rule("link", [new { type = "replaceAttachmentsWithLink", expiry = "PT1H" }], new { type = "externalRecipients" }));
        (await Client.PostAsJsonAsync("/v1/webhooks", new { url = Receiver.Url, eventTypes = LinkEvents })).EnsureSuccessStatusCode();

        var (first, token) = await DeliveredAsync();
        using var browser = App.CreateClient();
        using var page = await browser.GetAsync($"/download/{token}");
        using var asked = await browser.PostAsync($"/download/{token}/code", Form(FormToken().Match(await page.Content.ReadAsStringAsync()).Groups[1].Value, "address", "tanaka@partner.co.jp"));
        Assert.Equal(1, await App.DeliverNotificationsAsync());
        var code = CodeInText().Match(Smtp.Received.Last().Parse().TextBody ?? "").Groups[1].Value;
        using var verified = await browser.PostAsync($"/download/{token}/verify", Form(FormToken().Match(await asked.Content.ReadAsStringAsync()).Groups[1].Value, "code", code));
        Assert.Equal(HttpStatusCode.OK, verified.StatusCode);
        (await browser.GetAsync($"/download/{token}/files/0")).EnsureSuccessStatusCode();
        (await Client.PostAsync($"/v1/messages/{first}/links/stop", null)).EnsureSuccessStatusCode();

        var (second, _) = await DeliveredAsync();
        App.Time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(1, (await App.Service<LinkSweeper>().SweepAsync()).Expired);

        var delivered = await App.DeliverWebhooksAsync();
        var events = Receiver.Received.Select(h => JsonDocument.Parse(h.Body).RootElement).ToList();
        Assert.True(delivered == 6, string.Join(", ", events.Select(e => e.Str("type"))));
        Assert.Equal(["message.link_created", "message.link_code_sent", "message.link_downloaded", "message.link_stopped"],
            events.Where(e => e.GetProperty("data").Str("messageId") == first).Select(e => e.Str("type")));
        Assert.Equal(["message.link_created", "message.link_expired"],
            events.Where(e => e.GetProperty("data").Str("messageId") == second).Select(e => e.Str("type")));
        var bodies = string.Concat(Receiver.Received.Select(h => h.Body));
        Assert.DoesNotContain(token, bodies, StringComparison.Ordinal);
        Assert.DoesNotContain(code, bodies, StringComparison.Ordinal);
    }
}
