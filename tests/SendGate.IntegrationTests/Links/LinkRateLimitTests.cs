using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.Links;

/// <summary>
/// The per-link limit of the download links: requests to one link's page, forms and files count
/// together whatever the client address, with an hour's window so none resets during the test;
/// another link is not affected.
/// </summary>
public sealed partial class LinkRateLimitTests : AppWithSmtpTest
{
    [GeneratedRegex(@"https?://[^\s]+/download/([A-Za-z0-9_-]{43})")]
    private static partial Regex LinkInText();

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["SendGate:RateLimits:DownloadLinksPerLink:PermitLimit"] = "3",
        ["SendGate:RateLimits:DownloadLinksPerLink:Window"] = "01:00:00",
    };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Client.SetInternalDomainsAsync("example.co.jp");
        await Client.SetPolicyAsync(Rule("link", [new { type = "replaceAttachmentsWithLink", verifyRecipient = false }], new { type = "externalRecipients" }));
    }

    private async Task<string> DeliveredAsync()
    {
        var before = Smtp.Received.Count;
        var response = await Client.PostAsJsonAsync("/v1/messages", Mail(("to", new[] { "tanaka@partner.co.jp" }),
            ("attachments", new[] { Attachment("御見積書.txt", Encoding.UTF8.GetBytes("見積"), "text/plain") })));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        var mail = Smtp.Received.Skip(before).Single().Parse();
        return LinkInText().Match(string.Join("\n", mail.BodyParts.OfType<TextPart>().Select(p => p.Text))).Groups[1].Value;
    }

    [Fact]
    public async Task One_link_opened_too_often_from_many_addresses_is_refused_with_a_readable_page_while_another_link_opens()
    {
        var token = await DeliveredAsync();
        var other = await DeliveredAsync();
        await using var host = App.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<IStartupFilter, RateLimitTests.RemoteAddressFromHeader>()));
        HttpClient Browser(string address)
        {
            var client = host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
            client.DefaultRequestHeaders.Add(RateLimitTests.AddressHeader, address);
            return client;
        }

        using var a = Browser("198.51.100.21");
        using var b = Browser("198.51.100.22");
        using var c = Browser("2001:db8:1::5");
        using var d = Browser("198.51.100.24");
        Assert.Equal(HttpStatusCode.OK, (await a.GetAsync($"/download/{token}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await b.GetAsync($"/download/{token}/files/0")).StatusCode);
        // A form post counts too (here one without a form: refused, but still a request to the link).
        Assert.Equal(HttpStatusCode.BadRequest, (await c.PostAsync($"/download/{token}/code", new StringContent(""))).StatusCode);
        using var refused = await d.GetAsync($"/download/{token}");

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("text/html", refused.Content.Headers.ContentType?.MediaType);
        Assert.InRange(refused.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 3600);
        Assert.Equal("\"download-link\";q=3;w=3600", Assert.Single(refused.Headers.GetValues("RateLimit-Policy")));
        var html = await refused.Content.ReadAsStringAsync();
        Assert.Contains("このダウンロードリンクへのアクセスが多すぎます", html);
        Assert.Contains("This download link was opened too often", html);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await a.GetAsync($"/download/{token}/files/0")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await d.GetAsync($"/download/{other}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await d.GetAsync($"/download/{other}/files/0")).StatusCode);
    }
}
