using System.Net.Http.Json;
using SendGate.IntegrationTests.Infrastructure;
using SmtpServer.Protocol;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;

namespace SendGate.IntegrationTests;

/// <summary>The sender hears of a mail that could not be delivered, or that some recipients refused, as from an MTA's bounce.</summary>
public sealed class DeliveryFailureNoticeTests : AppWithSmtpTest
{
    private async Task<string> SubmitAsync(params string[] to)
    {
        var submitted = await Client.PostAsJsonAsync("/v1/messages", Mail(("from", "hanako@example.co.jp"), ("to", to), ("subject", "お見積りの件")));
        return (await submitted.JsonAsync()).Str("id");
    }

    private IEnumerable<MimeKit.MimeMessage> MailsTo(string address) => Smtp.Received.Where(r => r.To.Contains(address)).Select(r => r.Parse());

    [Fact]
    public async Task A_mail_the_relay_refuses_for_good_is_told_to_its_sender_with_the_reply()
    {
        Smtp.DataRule = m => m.To.Contains("tanaka@partner.co.jp") ? new SmtpResponse((SmtpReplyCode)554, "5.7.1 message refused by policy") : null;
        var id = await SubmitAsync("tanaka@partner.co.jp");
        await App.DeliverDueAsync();
        Assert.Equal("failed", (await (await Client.GetAsync($"/v1/messages/{id}")).JsonAsync()).Str("status"));

        Assert.Equal(1, await App.DeliverNotificationsAsync());
        var notice = Assert.Single(MailsTo("hanako@example.co.jp"));
        Assert.Equal("【配信できませんでした】お見積りの件", notice.Subject);
        Assert.Contains("tanaka@partner.co.jp", notice.TextBody, StringComparison.Ordinal);
        Assert.Contains("5.7.1 message refused by policy", notice.TextBody, StringComparison.Ordinal);
        Assert.Contains(id, notice.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recipients_refused_in_an_otherwise_delivered_mail_are_named_with_those_it_reached()
    {
        Smtp.RecipientRule = rcpt => rcpt == "gone@partner.co.jp" ? new SmtpResponse((SmtpReplyCode)550, "5.1.1 no such user") : null;
        var id = await SubmitAsync("tanaka@partner.co.jp", "gone@partner.co.jp");
        await App.DeliverDueAsync();
        Assert.Equal("sent", (await (await Client.GetAsync($"/v1/messages/{id}")).JsonAsync()).Str("status"));

        await App.DeliverNotificationsAsync();
        var notice = Assert.Single(MailsTo("hanako@example.co.jp"));
        Assert.Equal("【一部の宛先に配信できませんでした】お見積りの件", notice.Subject);
        var body = notice.TextBody ?? "";
        var refused = body[body.IndexOf("配信できなかった宛先", StringComparison.Ordinal)..body.IndexOf("配信された宛先", StringComparison.Ordinal)];
        Assert.Contains("gone@partner.co.jp: 550 5.1.1 no such user", refused, StringComparison.Ordinal);
        Assert.DoesNotContain("tanaka@partner.co.jp", refused, StringComparison.Ordinal);
        Assert.Contains("tanaka@partner.co.jp", body[body.IndexOf("配信された宛先", StringComparison.Ordinal)..], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tenant_that_turned_failure_notices_off_tells_nobody_and_a_delivered_mail_tells_nobody()
    {
        var delivered = await SubmitAsync("tanaka@partner.co.jp");
        await App.DeliverDueAsync();
        Assert.Equal(0, await App.DeliverNotificationsAsync());

        var patched = await Client.PatchAsJsonAsync("/v1/tenant", new { failureNotices = false });
        Assert.False((await patched.JsonAsync()).GetProperty("failureNotices").GetBoolean());
        Smtp.DataRule = m => m.To.Contains("sato@partner.co.jp") ? new SmtpResponse((SmtpReplyCode)554, "5.7.1 refused") : null;
        await SubmitAsync("sato@partner.co.jp");
        await App.DeliverDueAsync();
        Assert.Equal(0, await App.DeliverNotificationsAsync());
        Assert.Empty(MailsTo("hanako@example.co.jp"));
        Assert.Equal("sent", (await (await Client.GetAsync($"/v1/messages/{delivered}")).JsonAsync()).Str("status"));
    }
}
