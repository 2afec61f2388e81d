using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.Policies;

/// <summary>
/// Each condition on its own, through the dry run (which decides exactly as a submission does):
/// one message it matches and one it does not, and the evidence it gives.
/// </summary>
public sealed class PolicyConditionTests : AppTest
{
    private static readonly object[] Tag = [new { type = "tag", tags = new[] { "hit" } }];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Client.SetInternalDomainsAsync("example.co.jp");
    }

    private async Task<bool> MatchesAsync(object condition, Dictionary<string, object?> message)
    {
        await Client.SetPolicyAsync(Rule("r", Tag, condition));
        return (await Client.EvaluateAsync(message)).MatchedRules().Contains("r");
    }

    private async Task<JsonElement> DecideAsync(object condition, Dictionary<string, object?> message)
    {
        await Client.SetPolicyAsync(Rule("r", Tag, condition));
        return await Client.EvaluateAsync(message);
    }

    [Fact]
    public async Task Recipient_domain_in_and_not_in_lists_with_subdomains()
    {
        var condition = new { type = "recipientDomain", domains = new[] { "partner.jp" } };
        Assert.True(await MatchesAsync(condition, Mail(("to", new[] { "a@partner.jp" }))));
        Assert.True(await MatchesAsync(condition, Mail(("to", new[] { "a@mail.partner.jp" }))));
        Assert.False(await MatchesAsync(condition, Mail(("to", new[] { "a@otherpartner.jp" }))));

        var notIn = new { type = "recipientDomain", match = "notIn", domains = new[] { "partner.jp", "example.co.jp" } };
        Assert.False(await MatchesAsync(notIn, Mail(("to", new[] { "a@partner.jp", "b@example.co.jp" }))));
        var decision = await DecideAsync(notIn, Mail(("to", new[] { "a@partner.jp", "c@stranger.com" })));
        Assert.Equal(["c@stranger.com"], decision.Evidence("recipientDomain"));
    }

    [Fact]
    public async Task Recipient_conditions_can_look_at_one_field_only()
    {
        var bccOnly = new { type = "recipientDomain", domains = new[] { "partner.jp" }, fields = new[] { "bcc" } };
        Assert.False(await MatchesAsync(bccOnly, Mail(("to", new[] { "a@partner.jp" }))));
        Assert.True(await MatchesAsync(bccOnly, Mail(("to", new[] { "x@example.co.jp" }), ("bcc", new[] { "a@partner.jp" }))));

        var externalInCc = new { type = "externalRecipients", min = 1, fields = new[] { "cc" } };
        Assert.False(await MatchesAsync(externalInCc, Mail(("to", new[] { "a@partner.jp" }), ("cc", new[] { "b@example.co.jp" }))));
        Assert.True(await MatchesAsync(externalInCc, Mail(("to", new[] { "b@example.co.jp" }), ("cc", new[] { "a@partner.jp" }))));
    }

    [Fact]
    public async Task External_recipient_counts_leave_internal_domains_out()
    {
        var three = new { type = "externalRecipients", min = 3 };
        Assert.False(await MatchesAsync(three, Mail(("to", new[] { "a@p.jp", "b@q.jp", "c@example.co.jp", "d@sub.example.co.jp" }))));
        var decision = await DecideAsync(three, Mail(("to", new[] { "a@p.jp", "b@q.jp" }), ("cc", new[] { "c@r.jp" })));
        Assert.Equal(["a@p.jp", "b@q.jp", "c@r.jp"], decision.Evidence("externalRecipients"));

        var anyExternal = new { type = "externalRecipients" };
        Assert.False(await MatchesAsync(anyExternal, Mail(("to", new[] { "x@example.co.jp" }))));
        Assert.True(await MatchesAsync(anyExternal, Mail(("to", new[] { "x@example.co.jp" }), ("bcc", new[] { "y@outside.jp" }))));
    }

    [Fact]
    public async Task Total_recipients_at_least_n()
    {
        var four = new { type = "recipientCount", min = 4 };
        Assert.False(await MatchesAsync(four, Mail(("to", new[] { "a@example.co.jp", "b@example.co.jp", "c@example.co.jp" }))));
        Assert.True(await MatchesAsync(four, Mail(("to", new[] { "a@example.co.jp", "b@example.co.jp", "c@example.co.jp" }), ("bcc", new[] { "d@x.jp" }))));
    }

    [Fact]
    public async Task Sender_by_address_domain_and_group()
    {
        Assert.True(await MatchesAsync(new { type = "sender", addresses = new[] { "SENDER@example.co.jp" } }, Mail()));
        Assert.False(await MatchesAsync(new { type = "sender", addresses = new[] { "boss@example.co.jp" } }, Mail()));
        Assert.True(await MatchesAsync(new { type = "sender", domains = new[] { "example.co.jp" } }, Mail()));
        Assert.False(await MatchesAsync(new { type = "sender", domains = new[] { "example.com" } }, Mail()));

        var patch = await Client.PatchAsJsonAsync("/v1/tenant", new
        {
            senderGroups = new Dictionary<string, string[]> { ["sales"] = ["@sales.example.co.jp", "sender@example.co.jp"], ["legal"] = ["law@example.co.jp"] },
        });
        patch.EnsureSuccessStatusCode();
        var decision = await DecideAsync(new { type = "sender", groups = new[] { "sales" } }, Mail());
        Assert.Contains("group 'sales'", decision.GetProperty("rules")[0].GetProperty("conditions")[0].Str("detail"), StringComparison.Ordinal);
        Assert.True(await MatchesAsync(new { type = "sender", groups = new[] { "sales" } }, Mail(("from", "x@sales.example.co.jp"))));
        Assert.False(await MatchesAsync(new { type = "sender", groups = new[] { "legal" } }, Mail()));
    }

    [Fact]
    public async Task Rule_sender_scope_limits_a_rule_to_some_senders()
    {
        var scoped = new Dictionary<string, object?>
        {
            ["id"] = "r", ["name"] = "only interns", ["actions"] = Tag,
            ["senders"] = new { addresses = new[] { "intern@example.co.jp" } },
        };
        await Client.SetPolicyAsync(scoped);
        Assert.Empty((await Client.EvaluateAsync(Mail())).MatchedRules());
        Assert.Equal(["r"], (await Client.EvaluateAsync(Mail(("from", "intern@example.co.jp")))).MatchedRules());
    }

    [Fact]
    public async Task Subject_and_body_keywords_are_compared_after_Japanese_normalisation()
    {
        // Full-width letters, half-width katakana and case all fold to one form (NFKC, lower case).
        Assert.True(await MatchesAsync(new { type = "subject", contains = new[] { "test" } }, Mail(("subject", "ｔｅｓｔ送信"))));
        Assert.True(await MatchesAsync(new { type = "subject", contains = new[] { "ＴＥＳＴ" } }, Mail(("subject", "This is a Test"))));
        Assert.True(await MatchesAsync(new { type = "body", contains = new[] { "テスト" } }, Mail(("text", "ﾃｽﾄです"))));
        Assert.True(await MatchesAsync(new { type = "body", contains = new[] { "社外秘" } }, Mail(("html", "<p>これは<b>社外秘</b>です</p>"), ("text", null))));
        Assert.False(await MatchesAsync(new { type = "body", contains = new[] { "社外秘" } }, Mail(("text", "公開資料です"))));

        var decision = await DecideAsync(new { type = "subject", contains = new[] { "至急", "confidential" } }, Mail(("subject", "【ＣＯＮＦＩＤＥＮＴＩＡＬ】見積")));
        Assert.Equal(["confidential"], decision.Evidence("subject"));
    }

    [Fact]
    public async Task Patterns_match_normalised_text_in_linear_time()
    {
        var invoice = new { type = "subject", pattern = @"invoice\s*no\.?\s*\d{4,}" };
        Assert.True(await MatchesAsync(invoice, Mail(("subject", "Ｉｎｖｏｉｃｅ No. １２３４５"))));
        Assert.False(await MatchesAsync(invoice, Mail(("subject", "Invoice draft"))));

        // A pattern that takes exponential time on a backtracking engine finishes at once here.
        var evil = new { type = "body", pattern = "^(a+)+$" };
        Assert.False(await MatchesAsync(evil, Mail(("text", new string('a', 5000) + "!"))));
    }

    [Fact]
    public async Task Attachments_by_count_extension_type_size_and_name()
    {
        var pdf = Attachment("見積書.PDF", new byte[2048], "application/pdf");
        var png = Attachment("logo.png", new byte[10], "image/png");
        var message = Mail(("attachments", new[] { pdf, png }));

        Assert.True(await MatchesAsync(new { type = "attachmentCount", min = 1 }, message));
        Assert.False(await MatchesAsync(new { type = "attachmentCount", min = 1 }, Mail()));
        Assert.True(await MatchesAsync(new { type = "attachmentCount", max = 0 }, Mail()));
        Assert.False(await MatchesAsync(new { type = "attachmentCount", min = 3 }, message));

        var decision = await DecideAsync(new { type = "attachment", extensions = new[] { "pdf" } }, message);
        Assert.Equal(["見積書.PDF"], decision.Evidence("attachment"));
        Assert.True(await MatchesAsync(new { type = "attachment", contentTypes = new[] { "image/*" } }, message));
        Assert.False(await MatchesAsync(new { type = "attachment", contentTypes = new[] { "application/zip" } }, message));
        Assert.True(await MatchesAsync(new { type = "attachment", minSize = 2048 }, message));
        Assert.False(await MatchesAsync(new { type = "attachment", minSize = 2049 }, message));
        Assert.True(await MatchesAsync(new { type = "attachment", maxSize = 10, extensions = new[] { "png" } }, message));
        Assert.True(await MatchesAsync(new { type = "attachment", namePattern = "^見積" }, message));
        Assert.False(await MatchesAsync(new { type = "attachment", namePattern = "^請求" }, message));
    }

    [Fact]
    public async Task Attachments_that_are_already_encrypted_zips_are_told_apart()
    {
        var encrypted = Attachment("secret.zip", Zip(encrypted: true), "application/zip");
        var plain = Attachment("plain.zip", Zip(encrypted: false), "application/zip");

        var decision = await DecideAsync(new { type = "attachment", encryptedZip = true }, Mail(("attachments", new[] { encrypted, plain })));
        Assert.Equal(["secret.zip"], decision.Evidence("attachment"));
        Assert.False(await MatchesAsync(new { type = "attachment", encryptedZip = true }, Mail(("attachments", new[] { plain }))));
        Assert.True(await MatchesAsync(new { type = "attachment", encryptedZip = false }, Mail(("attachments", new[] { plain }))));
    }

    [Fact]
    public async Task Headers_by_name_and_value()
    {
        var message = Mail(("headers", new Dictionary<string, string> { ["X-Priority"] = "1 (Highest)", ["X-Campaign"] = "autumn" }));
        Assert.True(await MatchesAsync(new { type = "header", name = "x-campaign" }, message));
        Assert.False(await MatchesAsync(new { type = "header", name = "X-Mailer" }, message));
        Assert.True(await MatchesAsync(new { type = "header", name = "X-Priority", pattern = "^1\\b" }, message));
        Assert.False(await MatchesAsync(new { type = "header", name = "X-Priority", contains = new[] { "low" } }, message));
    }

    [Fact]
    public async Task Credit_card_numbers_only_when_Luhn_valid_and_masked_in_the_evidence()
    {
        var decision = await DecideAsync(new { type = "creditCard" }, Mail(("text", "カード番号: ４１１１ １１１１ １１１１ １１１１ です")));
        Assert.Equal(["****-****-****-1111"], decision.Evidence("creditCard"));
        Assert.DoesNotContain("4111 1111", decision.GetRawText(), StringComparison.Ordinal);

        Assert.False(await MatchesAsync(new { type = "creditCard" }, Mail(("text", "注文番号 4111-1111-1111-1112"))));
        Assert.False(await MatchesAsync(new { type = "creditCard" }, Mail(("text", "tracking 12345678901234567890123"))));
    }

    [Fact]
    public async Task My_Numbers_only_with_a_valid_check_digit()
    {
        var decision = await DecideAsync(new { type = "myNumber" }, Mail(("text", "個人番号 1234 5678 9018 を送ります")));
        Assert.Equal(["****-****-9018"], decision.Evidence("myNumber"));
        Assert.False(await MatchesAsync(new { type = "myNumber" }, Mail(("text", "個人番号 1234 5678 9017 を送ります"))));
    }

    [Fact]
    public async Task Attachment_mentioned_but_missing()
    {
        var condition = new { type = "attachmentMentionedButMissing" };
        var decision = await DecideAsync(condition, Mail(("text", "田中様\n\nいつもお世話になっております。\n資料を添付いたします。ご確認ください。")));
        Assert.Equal(["資料を添付いたします。"], decision.Evidence("attachmentMentionedButMissing"));
        Assert.True(await MatchesAsync(condition, Mail(("text", "Please find the report ATTACHED."))));
        Assert.True(await MatchesAsync(condition, Mail(("text", "見積書を送付いたしますので、ご査収ください。"))));
        Assert.False(await MatchesAsync(condition, Mail(("text", "資料を添付いたします。"), ("attachments", new[] { Attachment("a.pdf", new byte[5]) }))));
        Assert.False(await MatchesAsync(condition, Mail(("text", "本日はありがとうございました。"))));
        // Not the sender's promise: a negation, an earlier mail, a request for theirs, a quoted reply, a signature.
        Assert.False(await MatchesAsync(condition, Mail(("text", "今回は添付は不要です。"))));
        Assert.False(await MatchesAsync(condition, Mail(("text", "前回お送りした資料をご確認ください。"))));
        Assert.False(await MatchesAsync(condition, Mail(("text", "申込書を添付にてお送りください。"))));
        Assert.False(await MatchesAsync(condition, Mail(("text", "承知しました。\n\n> 見積書を添付いたします。"))));
        Assert.False(await MatchesAsync(condition, Mail(("text", "承知しました。\n\n--\n添付ファイルはウイルスチェック済みです\nTEL: 03-1234-5678"))));
        // Explicit keywords: the plain search anywhere in the body, as before.
        Assert.True(await MatchesAsync(new { type = "attachmentMentionedButMissing", keywords = new[] { "添付" } }, Mail(("text", "今回は添付は不要です。"))));
    }

    [Fact]
    public async Task A_first_time_address_at_a_known_company_and_companies_never_mailed_together_come_from_the_senders_own_history()
    {
        await Client.SetPolicyAsync();
        async Task SendAsync(string from, string[] to, string[]? cc = null)
        {
            var response = await Client.PostAsJsonAsync("/v1/messages", Mail(("from", from), ("to", to), ("cc", cc ?? [])));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        await SendAsync("hanako@example.co.jp", ["ichiro.tanaka@partner.co.jp"], ["yumi@partner.co.jp"]);
        await SendAsync("hanako@example.co.jp", ["ichiro.tanaka@partner.co.jp"]);
        await SendAsync("hanako@example.co.jp", ["sasaki@client.example"]);
        await SendAsync("ken@example.co.jp", ["ichiro.tanaka@partner.co.jp", "inoue@client.example"]);
        Assert.Equal(4, (await App.DeliverDueAsync()).Sent);

        var address = new { type = "firstTimeRecipientAddress" };
        var decision = await DecideAsync(address, Mail(("from", "hanako@example.co.jp"), ("to", new[] { "tanaka.j@partner.co.jp" })));
        Assert.Equal(["tanaka.j@partner.co.jp: the sender has never written to this address, but 3 times to partner.co.jp (usually ichiro.tanaka@partner.co.jp, yumi@partner.co.jp)"],
            decision.Evidence("firstTimeRecipientAddress"));
        Assert.False(await MatchesAsync(address, Mail(("from", "hanako@example.co.jp"), ("to", new[] { "ichiro.tanaka@partner.co.jp" }))));
        // Another sender's history is not hers: ken wrote to partner.co.jp once, below the default of 2.
        Assert.False(await MatchesAsync(address, Mail(("from", "ken@example.co.jp"), ("to", new[] { "tanaka.j@partner.co.jp" }))));
        Assert.True(await MatchesAsync(new { type = "firstTimeRecipientAddress", min = 1 }, Mail(("from", "ken@example.co.jp"), ("to", new[] { "tanaka.j@partner.co.jp" }))));
        Assert.False(await MatchesAsync(address, Mail(("from", "hanako@example.co.jp"), ("to", new[] { "someone@new-company.jp" }))));
        // Not a stranger: the thread brought them (the customer added them in Cc), or a colleague on the mail has written to them (a hand-over).
        Assert.False(await MatchesAsync(address, Mail(("from", "hanako@example.co.jp"), ("to", new[] { "ichiro.tanaka@partner.co.jp" }), ("cc", new[] { "tanaka.j@partner.co.jp" }),
            ("text", "承知しました。\n\n差出人: 田中 <ichiro.tanaka@partner.co.jp>\n送信日時: 2027年3月10日 13:45\nCC: 田中 次郎 <tanaka.j@partner.co.jp>\n件名: 仕様変更\n\n担当の田中次郎をCcに加えました。"))));
        var handOver = new { type = "firstTimeRecipientAddress", min = 1 };
        Assert.True(await MatchesAsync(handOver, Mail(("from", "hanako@example.co.jp"), ("to", new[] { "inoue@client.example" }))));
        Assert.False(await MatchesAsync(handOver, Mail(("from", "hanako@example.co.jp"), ("to", new[] { "inoue@client.example" }), ("cc", new[] { "ken@example.co.jp" }))));

        var together = new { type = "unusualDomainCombination" };
        var mixed = await DecideAsync(together, Mail(("from", "hanako@example.co.jp"), ("to", new[] { "ichiro.tanaka@partner.co.jp" }), ("cc", new[] { "sasaki@client.example" })));
        Assert.Equal(["partner.co.jp and client.example: never in one mail from this sender"], mixed.Evidence("unusualDomainCombination"));
        Assert.True(await MatchesAsync(together, Mail(("from", "hanako@example.co.jp"), ("to", new[] { "ichiro.tanaka@partner.co.jp" }), ("bcc", new[] { "sasaki@client.example" }))));
        Assert.False(await MatchesAsync(together, Mail(("from", "ken@example.co.jp"), ("to", new[] { "ichiro.tanaka@partner.co.jp" }), ("cc", new[] { "inoue@client.example" }))));
        // A mailing with every customer in Bcc is not a thread someone was added to.
        Assert.False(await MatchesAsync(together, Mail(("from", "hanako@example.co.jp"), ("to", new[] { "hanako@example.co.jp" }),
            ("bcc", new[] { "ichiro.tanaka@partner.co.jp", "sasaki@client.example" }))));
    }

    [Fact]
    public async Task A_salutation_greeting_a_company_known_at_another_domain_is_the_wrong_company()
    {
        await Client.SetPolicyAsync();
        foreach (var (to, text) in new[]
                 {
                     ("sasaki@client.example", "株式会社クライアント\n総務部 佐々木様\n\nいつもお世話になっております。"),
                     ("tanaka@partner.co.jp", "株式会社パートナー工業\n営業部 田中様\n\nいつもお世話になっております。"),
                     // Two companies in one mail teach nothing: which name is whose?
                     ("mori@mirai-sys.jp", "株式会社ミライシステム\n森様\n\nお世話になっております。"),
                 })
        {
            var cc = to.StartsWith("mori", StringComparison.Ordinal) ? new[] { "kato@tozai-logi.co.jp" } : [];
            var response = await Client.PostAsJsonAsync("/v1/messages", Mail(("to", new[] { to }), ("cc", cc), ("text", text)));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        Assert.Equal(3, (await App.DeliverDueAsync()).Sent);
        var condition = new { type = "wrongCompany" };
        var wrong = await DecideAsync(condition, Mail(("to", new[] { "tanaka@partner.co.jp" }), ("text", "株式会社クライアント\n田中様\n\nいつもお世話になっております。")));
        Assert.Equal(["宛名 (the salutation): 「クライアント」は client.example 宛のメールの会社名ですが、宛先は partner.co.jp です (a company known at client.example, the mail goes to partner.co.jp)"],
            wrong.Evidence("wrongCompany"));
        // Another customer's file: its name, or the company its first page is addressed to.
        var file = await DecideAsync(condition, Mail(("to", new[] { "tanaka@partner.co.jp" }), ("text", "株式会社パートナー工業\n田中様\n\n請求書をお送りします。"),
            ("attachments", new[] { Attachment("請求書_11月分.txt", Encoding.UTF8.GetBytes("請求書\n\n株式会社クライアント 御中\n\n合計 34,000円"), "text/plain") })));
        Assert.StartsWith("attachment 請求書_11月分.txt: 「クライアント」は client.example", Assert.Single(file.Evidence("wrongCompany")));
        Assert.True(await MatchesAsync(condition, Mail(("to", new[] { "tanaka@partner.co.jp" }), ("attachments", new[] { Attachment("提案書_クライアント社.txt", Encoding.UTF8.GetBytes("提案"), "text/plain") }))));
        // A company only mentioned (届け先, …向け案件) is not whom the file is for.
        Assert.False(await MatchesAsync(condition, Mail(("to", new[] { "tanaka@partner.co.jp" }),
            ("attachments", new[] { Attachment("出荷指示書.txt", Encoding.UTF8.GetBytes("出荷指示書\n委託先：株式会社パートナー工業 御中\n届け先：株式会社クライアント 第2倉庫"), "text/plain") }))));
        // The same company however it is written, or only honoured in the subject; the right domain; internal mail.
        Assert.True(await MatchesAsync(condition, Mail(("to", new[] { "tanaka@partner.co.jp" }), ("text", "クライアント社 御中\n\nいつもお世話になっております。"))));
        Assert.True(await MatchesAsync(condition, Mail(("to", new[] { "sasaki@client.example" }), ("subject", "【パートナー工業様】料金改定のご案内"))));
        Assert.False(await MatchesAsync(condition, Mail(("to", new[] { "inoue@client.example" }), ("text", "(株)クライアント\n井上様\n\nお世話になっております。"))));
        // A company never greeted before, at a domain greeted as another company: the bank's name is not the recipient's.
        var otherwise = await DecideAsync(condition, Mail(("to", new[] { "tanaka@partner.co.jp" }), ("text", "株式会社みなと商会\n田中様\n\nお世話になっております。")));
        Assert.Equal(["宛名 (the salutation): 宛先 partner.co.jp へのメールの宛名はこれまで「パートナー工業」で、「みなと商会」ではありません (mail to partner.co.jp has greeted パートナー工業, never みなと商会)"],
            otherwise.Evidence("wrongCompany"));
        Assert.False(await MatchesAsync(condition, Mail(("to", new[] { "tanaka@partner.co.jp" }), ("text", "パートナー工業ソリューションズ株式会社\n田中様\n\nお世話になっております。"))));
        // Another customer thanked in the opening sentence, or named on the person's line without its legal form.
        Assert.True(await MatchesAsync(condition, Mail(("to", new[] { "tanaka@partner.co.jp" }),
            ("text", "株式会社パートナー工業\n田中様\n\n平素は株式会社クライアント様に格別のお引き立てを賜り、厚く御礼申し上げます。"))));
        Assert.True(await MatchesAsync(condition, Mail(("to", new[] { "sasaki@client.example" }), ("text", "パートナー工業 佐々木様\n\n承知しました。"))));
        // A form made out to the recipients' company names the tenant as whom it goes back to, signed.
        Assert.False(await MatchesAsync(condition, Mail(("to", new[] { "sasaki@client.example" }), ("text", "株式会社クライアント\n佐々木様\n\n検収書をお送りします。"),
            ("attachments", new[] { Attachment("検収書_株式会社クライアント様.txt", Encoding.UTF8.GetBytes("検収書\n\n株式会社サンプル商事 御中\n\n株式会社クライアント\n下記の件、検収いたしました。"), "text/plain") }))));
        // A supplier's quote made out to the tenant is another company's document; the tenant's own blank form is not.
        Assert.True(await MatchesAsync(condition, Mail(("to", new[] { "tanaka@partner.co.jp" }),
            ("attachments", new[] { Attachment("見積書.txt", Encoding.UTF8.GetBytes("御見積書\n株式会社サンプル商事 御中\n株式会社ミライシステム\n仕入単価 1,200円"), "text/plain") }))));
        Assert.False(await MatchesAsync(condition, Mail(("to", new[] { "tanaka@partner.co.jp" }),
            ("attachments", new[] { Attachment("注文書フォーム.txt", Encoding.UTF8.GetBytes("注文書\n株式会社サンプル商事 御中\n貴社名\n品名\t数量"), "text/plain") }))));
        // A file whose heading is another customer's (their drawing) and names nobody of the recipient's company;
        // a shipping instruction naming customers as destinations, for the carrier, is not.
        Assert.True(await MatchesAsync(condition, Mail(("to", new[] { "tanaka@partner.co.jp" }),
            ("attachments", new[] { Attachment("図面.txt", Encoding.UTF8.GetBytes("株式会社クライアント 設計部\n部品名: ブラケット\n承認: 佐々木"), "text/plain") }))));
        Assert.False(await MatchesAsync(condition, Mail(("to", new[] { "tanaka@partner.co.jp" }),
            ("attachments", new[] { Attachment("出荷指示書.txt", Encoding.UTF8.GetBytes("出荷指示書\n納品先: 株式会社クライアント 本社\n品名\t数量"), "text/plain") }))));
        Assert.False(await MatchesAsync(condition, Mail(("to", new[] { "tanaka@partner.co.jp" }),
            ("attachments", new[] { Attachment("導入事例_クライアント様.txt", Encoding.UTF8.GetBytes("導入事例\n株式会社クライアント 様"), "text/plain") }))));
        // ... but a domain nobody was greeted at (the two-company mail taught nothing) says nothing of it.
        Assert.False(await MatchesAsync(condition, Mail(("to", new[] { "kato@tozai-logi.co.jp" }), ("text", "株式会社ミライシステム\n加藤様\n\nお世話になっております。"))));
        // A company named in English is the one at the delivered domain its name spells.
        var english = await DecideAsync(condition, Mail(("to", new[] { "tanaka@partner.co.jp" }),
            ("attachments", new[] { Attachment("agreement.txt", Encoding.UTF8.GetBytes("AGENCY AGREEMENT\nbetween Sample Shoji Co., Ltd. and Mirai Sys Inc."), "text/plain") })));
        Assert.Equal(["attachment agreement.txt: 「Mirai Sys Inc.」は mirai-sys.jp の会社ですが、宛先は partner.co.jp です (the company at mirai-sys.jp, the mail goes to partner.co.jp)"],
            english.Evidence("wrongCompany"));
        Assert.False(await MatchesAsync(condition, Mail(("to", new[] { "mori@mirai-sys.jp" }),
            ("attachments", new[] { Attachment("agreement.txt", Encoding.UTF8.GetBytes("AGENCY AGREEMENT\nbetween Sample Shoji Co., Ltd. and Mirai Sys Inc."), "text/plain") }))));
        Assert.False(await MatchesAsync(condition, Mail(("to", new[] { "sato@example.co.jp" }), ("text", "株式会社クライアント\n佐藤さん\n\n例の件です。"))));
    }

    [Fact]
    public async Task Numbers_and_markings_inside_attachments_count_and_the_evidence_names_the_file()
    {
        var card = await DecideAsync(new { type = "creditCard" }, Mail(("attachments", new[] { Attachment("会員一覧.csv", Encoding.UTF8.GetBytes("氏名,カード\n山田,4111 1111 1111 1111\n"), "text/csv") })));
        Assert.Equal(["****-****-****-1111 (in 会員一覧.csv)"], card.Evidence("creditCard"));
        var marked = await DecideAsync(new { type = "confidentialMarking" }, Mail(("attachments", new[] { Attachment("計画.txt", Encoding.UTF8.GetBytes("来期計画\n関係者外秘\n"), "text/plain") })));
        Assert.Equal(["text of 計画.txt: 関係者外秘"], marked.Evidence("confidentialMarking"));
        // An encrypted zip cannot be read and is not guessed at.
        var encrypted = Convert.FromBase64String("UEsDBBQAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAgAAABhLnR4dA==");
        Assert.False(await MatchesAsync(new { type = "creditCard" }, Mail(("attachments", new[] { Attachment("a.zip", encrypted, "application/zip") }))));
    }

    [Fact]
    public async Task Confidential_marking_in_the_subject_the_new_text_or_an_attachment_name()
    {
        var condition = new { type = "confidentialMarking" };
        var decision = await DecideAsync(condition, Mail(("subject", "【社外秘】来期の販売計画")));
        Assert.Equal(["subject: 【社外秘】来期の販売計画"], decision.Evidence("confidentialMarking"));
        Assert.True(await MatchesAsync(condition, Mail(("text", "この資料は関係者外秘です。"))));
        Assert.True(await MatchesAsync(condition, Mail(("attachments", new[] { Attachment("Confidential_価格表.xlsx", new byte[5]) }))));
        Assert.False(await MatchesAsync(condition, Mail(("subject", "秘密保持契約書のご確認"), ("text", "秘密保持契約書をお送りします。"))));
        Assert.False(await MatchesAsync(condition, Mail(("text", "承知しました。\n\n> 【社外秘】の資料です"))));
        Assert.False(await MatchesAsync(condition, Mail(("text", "Thanks.\n\n--\nThis e-mail is confidential and intended solely for the addressee.\nTEL: 03-1234-5678"))));
        Assert.True(await MatchesAsync(new { type = "confidentialMarking", keywords = new[] { "部外者閲覧禁止" } }, Mail(("text", "部外者閲覧禁止の資料です。"))));
        // The company's own costs left in a sheet for a customer.
        var figures = await DecideAsync(condition, Mail(("attachments", new[] { Attachment("価格表.csv", Encoding.UTF8.GetBytes("品名,販売単価,仕入単価\nA4用紙,2450,1890\n"), "text/csv") })));
        Assert.Equal(["text of 価格表.csv: 品名,販売単価,仕入単価"], figures.Evidence("confidentialMarking"));
        // A colleague's 【社外秘】 mail forwarded out; a customer's own one quoted back to them is theirs, passed on to another company it is not.
        Assert.True(await MatchesAsync(condition, Mail(("subject", "FW: 価格"), ("text",
            "ご確認ください。\n\n-----Original Message-----\nFrom: 伊藤 誠 <makoto.ito@example.co.jp>\nSent: Monday\nSubject: 【社外秘】来期価格方針\n\n3%値上げで提示してください。"))));
        Assert.False(await MatchesAsync(condition, Mail(("to", new[] { "ichiro.tanaka@partner.co.jp" }), ("subject", "RE: 図面"), ("text",
            "拝受しました。\n\n-----Original Message-----\nFrom: 田中 一郎 <ichiro.tanaka@partner.co.jp>\nSent: Monday\nSubject: 【社外秘】図面\n\n社外秘の図面です。"))));
        Assert.True(await MatchesAsync(condition, Mail(("to", new[] { "sasaki@client.example" }), ("subject", "FW: 図面"), ("text",
            "ご参考まで。\n\n-----Original Message-----\nFrom: 田中 一郎 <ichiro.tanaka@partner.co.jp>\nSent: Monday\nSubject: 【社外秘】図面\n\n社外秘の図面です。"))));
    }

    [Fact]
    public async Task Missing_honorific_for_an_external_recipient_named_in_the_opening_lines()
    {
        var condition = new { type = "missingHonorific" };
        var to = ("to", (object?)new[] { "山田 太郎 <yamada@partner.jp>" });
        var decision = await DecideAsync(condition, Mail(to, ("text", "山田 太郎\n\nお世話になっております。")));
        Assert.Contains(decision.Evidence("missingHonorific"), e => e.StartsWith("山田 太郎", StringComparison.Ordinal));
        Assert.False(await MatchesAsync(condition, Mail(to, ("text", "山田様\n\nお世話になっております。"))));
        Assert.False(await MatchesAsync(condition, Mail(("to", new[] { "山田 太郎 <yamada@example.co.jp>" }), ("text", "山田\n\n社内連絡です。"))));

        // The salutation is read even when the recipient has no display name.
        var bare = ("to", (object?)new[] { "yamada@partner.jp" });
        Assert.True(await MatchesAsync(condition, Mail(bare, ("text", "山田さん\n\nお世話になっております。"))));
        Assert.True(await MatchesAsync(condition, Mail(bare, ("text", "株式会社パートナー\n営業部\n\nお世話になっております。"))));
        Assert.True(await MatchesAsync(condition, Mail(bare, ("text", "株式会社パートナー 御中\n山田様\n\nお世話になっております。"))));
        Assert.False(await MatchesAsync(condition, Mail(bare, ("text", "株式会社パートナー\n営業部 御中\n\nお世話になっております。"))));
        Assert.False(await MatchesAsync(condition, Mail(("to", new[] { "sato@example.co.jp" }), ("text", "佐藤さん\n\nお疲れ様です。"))));
    }

    [Fact]
    public async Task Any_groups_and_negation()
    {
        var condition = new
        {
            any = new object[]
            {
                new { type = "subject", contains = new[] { "至急" } },
                new { type = "attachmentCount", min = 1, negate = true },
            },
        };
        await Client.SetPolicyAsync(new Dictionary<string, object?> { ["id"] = "r", ["name"] = "r", ["actions"] = Tag, ["conditions"] = condition });
        var noAttachment = await Client.EvaluateAsync(Mail());
        Assert.StartsWith("not:", noAttachment.GetProperty("rules")[0].GetProperty("conditions")[0].Str("detail"), StringComparison.Ordinal);
        Assert.Equal(["r"], (await Client.EvaluateAsync(Mail(("subject", "至急"), ("attachments", new[] { Attachment("a.txt", new byte[1]) })))).MatchedRules());
        Assert.Empty((await Client.EvaluateAsync(Mail(("attachments", new[] { Attachment("a.txt", new byte[1]) })))).MatchedRules());
    }

    [Fact]
    public async Task Disabled_rules_and_stop_processing()
    {
        await Client.SetPolicyAsync(
            new Dictionary<string, object?> { ["id"] = "off", ["name"] = "off", ["enabled"] = false, ["actions"] = Tag },
            new Dictionary<string, object?> { ["id"] = "stop", ["name"] = "stop", ["stopProcessing"] = true, ["actions"] = Tag },
            Rule("never", [new { type = "reject", reason = "unreachable" }]));
        var decision = await Client.EvaluateAsync(Mail());
        Assert.Equal(["stop"], decision.MatchedRules());
        Assert.Equal("queued", decision.Str("status"));
    }

    /// <summary>The first bytes of a zip whose first entry has the encrypted flag (general-purpose bit 0) set or not.</summary>
    private static byte[] Zip(bool encrypted)
    {
        var bytes = new byte[64];
        Encoding.ASCII.GetBytes("PK\u0003\u0004").CopyTo(bytes, 0);
        bytes[4] = 20;
        bytes[6] = encrypted ? (byte)1 : (byte)0;
        return bytes;
    }
}
