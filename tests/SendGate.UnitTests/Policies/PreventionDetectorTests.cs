using SendGate.Core.Policies.Detectors;

namespace SendGate.UnitTests.Policies;

/// <summary>The detectors behind the recommended policy's stops, each on what people really write, the look-alikes included.</summary>
public sealed class PreventionDetectorTests
{
    // ---- MailText: the sender's new text ----

    [Fact]
    public void A_reply_keeps_the_new_text_and_leaves_the_quote_and_the_signature_out()
    {
        const string body = "田中様\n\nご連絡ありがとうございます。承知しました。\n\n--\n株式会社サンプル商事 山田\nTEL: 03-1234-5678\n\n"
            + "-----Original Message-----\nFrom: 田中 <tanaka@partner.co.jp>\nSent: Monday, December 1, 2026 10:00 AM\nSubject: 資料\n\n見積書を添付いたします。";
        var text = MailText.Split(body);
        Assert.Equal("田中様\n\nご連絡ありがとうございます。承知しました。", text.NewText);
        Assert.StartsWith("--\n株式会社サンプル商事", text.Signature, StringComparison.Ordinal);
        Assert.Contains("見積書を添付いたします。", text.Quoted, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("本文です。\n\n2026年12月1日(月) 10:00 田中 一郎 <ichiro.tanaka@partner.co.jp>:\n> 添付します")]
    [InlineData("本文です。\n\nOn Mon, Dec 1, 2026 at 10:00 AM Tanaka <tanaka@partner.co.jp> wrote:\n> attached")]
    [InlineData("本文です。\n\n差出人: 田中 一郎 <ichiro.tanaka@partner.co.jp>\n送信日時: 2026年12月1日 10:00\n宛先: 山田\n件名: 資料\n\n添付します")]
    [InlineData("本文です。\n\n________________________________\nFrom: Tanaka\nSent: Monday\n\nattached")]
    [InlineData("本文です。\n\n---------- Forwarded message ---------\nFrom: a@b.jp\n\n添付します")]
    [InlineData("本文です。\n\n-------- 転送メッセージ --------\n件名: 資料\n\n添付します")]
    [InlineData("本文です。\n> 添付します\n> 以上")]
    public void Quoted_and_forwarded_mail_in_every_client_s_form_is_not_new_text(string body) =>
        Assert.Equal("本文です。", MailText.Split(body).NewText);

    [Fact]
    public void A_framed_signature_and_a_bare_contact_block_are_signatures()
    {
        var framed = MailText.Split("お世話になっております。\n資料の件、承知しました。\n\n━━━━━━━━━━━━━━\n株式会社サンプル商事\n山田 花子\nE-mail: hanako@example.co.jp\n━━━━━━━━━━━━━━");
        Assert.Equal("お世話になっております。\n資料の件、承知しました。", framed.NewText);
        var bare = MailText.Split("よろしくお願いいたします。\n\n株式会社サンプル商事 営業部\n山田 花子\nTEL: 03-1234-5678");
        Assert.Equal("よろしくお願いいたします。", bare.NewText);
        // A rule under a table, with sentences below it, is part of the text.
        var table = MailText.Split("予定を下記にまとめました。\n\n　4月10日　38件\n　--------------------\n　合計　111件\n\n明細は添付のExcelをご参照ください。\n\n＝＝＝＝＝＝＝＝＝＝\n株式会社サンプル商事\n鈴木 一郎\nTEL: 03-1234-5690\n＝＝＝＝＝＝＝＝＝＝");
        Assert.EndsWith("明細は添付のExcelをご参照ください。", table.NewText);
        Assert.StartsWith("＝＝＝", table.Signature);
    }

    // ---- AttachmentPromise ----

    [Theory]
    [InlineData("見積書を添付いたします。")]
    [InlineData("添付ファイルをご確認ください。")]
    [InlineData("資料をお送りいたしますので、ご確認ください。")]
    [InlineData("請求書を送付いたします。")]
    [InlineData("ご査収のほどよろしくお願いいたします。")]
    [InlineData("別添のとおり、議事録をまとめました。")]
    [InlineData("先ほどのメールに添付漏れがありました。改めて添付いたします。")]
    [InlineData("明日の会議資料を添付します。")]
    [InlineData("Please find attached the quotation.")]
    [InlineData("I've attached the signed contract for your records.")]
    [InlineData("Enclosed is our price list for 2027.")]
    [InlineData("ＰＤＦを添付しましたので、ご確認ください。")]
    [InlineData("詳細は別紙をご確認ください。")]
    [InlineData("出荷予定表ほか資料一式をお付けしました。")]
    [InlineData("見積書を付けておりますので、ご検討ください。")]
    [InlineData("I'm attaching the revised packing list.")]
    [InlineData("Here's the updated schedule for next week.")]
    [InlineData("明日の打合せで使う資料を共有します。")]
    [InlineData("正式な更新契約書をPDFにしておきましたので、内容をご確認いただけますでしょうか。")]
    [InlineData("見積書を\nお送りいたします。")]
    [InlineData("工程表を引き直しました。修正したものを付けておりますので、目を通していただけますと幸いです。")]
    [InlineData("更新書類をZIPファイルにまとめて本メールでお送りしております。")]
    [InlineData("I'm sending the corrected proforma invoice with this email.")]
    [InlineData("ログ一式をzipにまとめて付けました。")]
    [InlineData("来週の出荷予定、エクセルで付けておきます。")]
    [InlineData("議事録を付けておきますので、ご確認ください。")]
    [InlineData("お見積書一式を本メールに同梱しております。")]
    [InlineData("集荷リスト、このメールで送ります。")]
    public void A_sentence_that_says_this_mail_carries_a_file_is_a_promise(string text) =>
        Assert.NotNull(AttachmentPromise.Find(text));

    [Theory]
    [InlineData("今回は添付は不要です。")]
    [InlineData("添付なしで失礼いたします。")]
    [InlineData("前回お送りした資料をご確認ください。")]
    [InlineData("先日添付した見積書の件でご連絡しました。")]
    [InlineData("昨日お送りしました資料に誤りがありました。")]
    [InlineData("お手数ですが、申込書を添付にてお送りください。")]
    [InlineData("署名済みの契約書を添付してご返信いただけますでしょうか。")]
    [InlineData("添付いただいた資料を拝見しました。")]
    [InlineData("資料は別途お送りします。")]
    [InlineData("カタログは郵送にてお送りいたします。")]
    [InlineData("資料は以下のURLからダウンロードしてください。")]
    [InlineData("Please attach the signed copy when you reply.")]
    [InlineData("As mentioned in my previous email, the file was attached there.")]
    [InlineData("No attachment is needed for this request.")]
    [InlineData("Thank you for sending the report.")]
    [InlineData("I will send the file tomorrow.")]
    [InlineData("メールをお送りします。")]
    [InlineData("本日はありがとうございました。")]
    [InlineData("お申し込みを受け付けいたしました。")]
    [InlineData("先日見積書を送りましたが、ご確認いただけましたでしょうか。")]
    [InlineData("資料は後ほど別メールで送ります。")]
    [InlineData("資料は明日お送りします。")]
    [InlineData("取り扱いには十分気を付けております。")]
    [InlineData("資料には通し番号を付けております。")]
    [InlineData("ご指示のとおり、各製品の検査成績書は現品の梱包箱に添付しております。")]
    [InlineData("詳しい寸法表もございますので、ご希望でしたらPDFでお送りいたします。")]
    [InlineData("必要であれば見積書をお送りしますので、お申し付けください。")]
    [InlineData("If you would like the full report, I am happy to send it.")]
    [InlineData("Please find below our shipping schedule for March.")]
    [InlineData("現場の端末では添付ファイルが開けないと伺いましたので、今週の出荷明細を本文に記載いたします。")]
    [InlineData("先ほどいただいたメールですが、こちらでは添付ファイルが付いていないようでした。")]
    public void Talking_about_a_file_without_sending_it_with_this_mail_is_not(string text) =>
        Assert.Null(AttachmentPromise.Find(text));

    // ---- Salutation ----

    [Theory]
    [InlineData("株式会社パートナー工業\n営業部 田中様\n\nいつもお世話になっております。")]
    [InlineData("株式会社パートナー工業\n営業部 部長 田中 一郎 様\n\nいつもお世話になっております。")]
    [InlineData("株式会社クライアント 御中\n\nいつもお世話になっております。")]
    [InlineData("株式会社クライアント\n経理部 御中\n\nお世話になっております。")]
    [InlineData("田中様\nいつもお世話になっております。")]
    [InlineData("関係者各位\n\nお疲れ様です。")]
    [InlineData("お取引先各位\n\n平素より")]
    [InlineData("お客様各位\n\n平素より格別のご高配を賜り")]
    [InlineData("株式会社パートナー工業\n田中部長\n\nいつもお世話になっております。")]
    [InlineData("田中様、佐藤様\n\nお世話になっております。")]
    [InlineData("Dear Mr. Tanaka,\n\nThank you.")]
    [InlineData("いつもお世話になっております。")]
    [InlineData("株式会社パートナー工業\n購買部 木村様\n経理部 御中\n\nお世話になっております。")]
    [InlineData("ミライシステム\nサポート窓口 御中\n\nお世話になっております。")]
    [InlineData("パートナー工業\n営業部 田中様\n\nお世話になっております。")]
    [InlineData("株式会社パートナー工業\n田中様\n(CC: 弊社 佐藤)\n\nいつもお世話になっております。")]
    [InlineData("田中様（株式会社パートナー工業）\n\nお世話になっております。")]
    [InlineData("田中様(CC: 弊社 佐藤)\n\nお世話になっております。")]
    [InlineData("件名：リリース判定会\n日時：2027年3月30日（火）10:00～10:45\n場所：株式会社サンプル商事 本社8階\n主催者：佐藤 健\n\n森様、池田様\n\nお世話になっております。")]
    [InlineData("営業部 各位\n\nお世話になっております。")]
    [InlineData("関係者 各位\n\nお世話になっております。")]
    [InlineData("株式会社クライアント\n情報システム部の皆様\n\nお世話になっております。")]
    [InlineData("お客様各位\n\n平素は格別のご愛顧を賜り")]
    [InlineData("株式会社クライアント\n井上様\n（cc: 弊社 山田さん）\n\nお世話になっております。")]
    [InlineData("■■■ 新製品のご案内 ■■■\nお客様各位\n\n平素は格別のご愛顧を賜り")]
    public void Correct_salutations_to_another_company_pass(string text) =>
        Assert.Empty(Salutation.Check(text, external: true));

    [Theory]
    [InlineData("田中\n\nいつもお世話になっております。", SalutationProblem.MissingHonorific)]
    [InlineData("株式会社パートナー工業 営業部 田中\n\nいつもお世話になっております。", SalutationProblem.MissingHonorific)]
    [InlineData("田中さん\n\nいつもお世話になっております。", SalutationProblem.CasualHonorific)]
    [InlineData("株式会社パートナー工業\n営業部\n\nいつもお世話になっております。", SalutationProblem.MissingOnchu)]
    [InlineData("株式会社パートナー工業 御中\n営業部 田中様\n\nいつもお世話になっております。", SalutationProblem.DoubleHonorific)]
    [InlineData("お取引先の皆様各位\n\nいつもお世話になっております。", SalutationProblem.DoubleHonorific)]
    [InlineData("株式会社クライアント\n情報システム部 井上課長様\n\nいつもお世話になっております。", SalutationProblem.DoubleHonorific)]
    [InlineData("東西物流株式会社\n加藤様様\n\nいつもお世話になっております。", SalutationProblem.DoubleHonorific)]
    [InlineData("株式会社ミライシステム様\n開発部 森\n\nいつもお世話になっております。", SalutationProblem.MissingHonorific)]
    [InlineData("北海銀行 東京支店\n法人営業課\n清水 隆 各位\n\nいつもお世話になっております。", SalutationProblem.MissingHonorific)]
    [InlineData("株式会社クライアント\n情報システム部の皆さん\n\nいつもお世話になっております。", SalutationProblem.CasualHonorific)]
    [InlineData("件名：定例会\n日時：3月30日\n\n田中\n\nいつもお世話になっております。", SalutationProblem.MissingHonorific)]
    [InlineData("株式会社クライアント\n総務部　●●　●●　様\n\nいつもお世話になっております。", SalutationProblem.Placeholder)]
    [InlineData("株式会社〇〇\n〇〇様\n\nいつもお世話になっております。", SalutationProblem.Placeholder)]
    [InlineData("Dear [First name],\n\nPlease note our holidays.", SalutationProblem.Placeholder)]
    [InlineData("Dear {{name}},\n\nPlease note our holidays.", SalutationProblem.Placeholder)]
    [InlineData("株式会社クライアント\n井上様、山本様　各位\n\nいつもお世話になっております。", SalutationProblem.DoubleHonorific)]
    [InlineData("株式会社クライアント\n井上様、中島様\n（cc: 山本さん、林さん）\n\nいつもお世話になっております。", SalutationProblem.CasualHonorific)]
    public void Wrong_salutations_to_another_company_are_named(string text, string kind) =>
        Assert.Contains(Salutation.Check(text, external: true), p => p.Kind == kind);

    [Theory]
    [InlineData("佐藤さん\n\nお疲れ様です。")]
    [InlineData("鈴木部長\n\nお疲れ様です。")]
    [InlineData("山田\n\n例の件です。")]
    [InlineData("営業部の皆さん\n\nお疲れ様です。")]
    public void Colleagues_are_addressed_as_colleagues(string text) =>
        Assert.Empty(Salutation.Check(text, external: false));

    [Theory]
    [InlineData("株式会社クライアント\n総務部 佐々木様\n\nいつも", "クライアント")]
    [InlineData("(株)クライアント 御中\n\nいつも", "クライアント")]
    [InlineData("クライアント社\n佐々木様\n\nいつも", "クライアント")]
    [InlineData("東西物流株式会社\n加藤様\n\nいつも", "東西物流")]
    [InlineData("北海銀行 東京支店\n清水様\n\nいつも", "北海銀行")]
    [InlineData("田中様（株式会社パートナー工業）\n\nいつも", "パートナー工業")]
    public void The_company_a_salutation_names_is_one_key_however_it_is_written(string text, string company) =>
        Assert.Equal([company], Salutation.Companies(text));

    [Theory]
    [InlineData("営業部 田中様\n\nいつも")]
    [InlineData("田中様\n\nいつも")]
    [InlineData("Dear ABC Trading team,\n\nThank you.")]
    public void Departments_people_and_english_salutations_name_no_company(string text) =>
        Assert.Empty(Salutation.Companies(text));

    [Theory]
    [InlineData("ABC Trading – revised Q2 forecast", "abctrading")]
    [InlineData("Fwd: Global Parts: delivery schedule", "globalparts")]
    [InlineData("[Draft] ABC Trading | price list", "abctrading")]
    [InlineData("Re: ABC Trading – revised Q2 forecast", null)]
    [InlineData("revised forecast – ABC Trading", null)]
    [InlineData("Q2 – forecast", null)]
    public void A_subject_that_starts_with_a_name_is_about_that_company(string subject, string? key) =>
        Assert.Equal(key is null ? [] : [key], Salutation.SubjectTopic(subject).Select(t => t.Key));

    [Fact]
    public void The_opening_sentence_and_the_person_s_line_name_companies_too()
    {
        Assert.Contains(new AddressedCompany("パートナー工業", false), Salutation.AddressCompanies("パートナー工業 佐々木様\n\n承知しました。"));
        Assert.Contains(new AddressedCompany("クライアント", true),
            Salutation.AddressCompanies("株式会社パートナー工業\n田中様\n\n平素は株式会社クライアント様に格別のお引き立てを賜り、厚く御礼申し上げます。"));
        Assert.Empty(Salutation.AddressCompanies("山田 花子 様\n\nお世話になっております。"));
        // A letter addressed after its close (後付け).
        Assert.Contains(new AddressedCompany("パートナー工業", true),
            Salutation.AddressCompanies("拝啓　陽春の候、ますますご清栄のこととお慶び申し上げます。\n\n敬具\n\n2027年4月1日\n\n株式会社サンプル商事\n営業部 伊藤 誠\n\n株式会社パートナー工業\n営業部 部長 田中 一郎 様\n"));
        Assert.DoesNotContain(new AddressedCompany("サンプル商事", true),
            Salutation.AddressCompanies("拝啓　陽春の候\n\n敬具\n\n株式会社サンプル商事\n営業部 伊藤 誠\n"));
        Assert.Empty(Salutation.AddressCompanies("営業部 田中様\n\n株式会社クライアント様の案件の件です。"));
    }

    [Fact]
    public void A_role_on_a_line_of_its_own_covers_the_lines_below_it()
    {
        Assert.DoesNotContain("ABC Trading", Salutation.HeadingText("Shipping Instructions\nConsignee / deliver to:\nABC Trading Inc. - Dock 3\n1200 Harbor Way\n\nGoods: seals"));
        Assert.Empty(Salutation.HeadingCompanies("出荷指示書\n納品先：\n株式会社クライアント 第2倉庫\n\n品名"));
        Assert.Equal(["パートナー工業"], Salutation.HeadingCompanies("出荷指示書\n納品先：\n株式会社クライアント 第2倉庫\n\n株式会社パートナー工業 技術部"));
    }

    [Theory]
    [InlineData("Dear Wilson,\n\nThank you.", "David Wilson", SalutationProblem.MissingHonorific)]
    [InlineData("Dear Mr. Taylor,\n\nThank you.", "Emma Taylor", SalutationProblem.WrongTitle)]
    [InlineData("Dear Ms Wilson,\n\nThank you.", "David Wilson", SalutationProblem.WrongTitle)]
    [InlineData("Dear Ms. Taylor,\n\nThank you.", "Emma Taylor", null)]
    [InlineData("Dear David,\n\nThank you.", "David Wilson", null)]
    [InlineData("Dear Mr. Wilson,\n\nThank you.", "David Wilson", null)]
    [InlineData("Dear Ichiro,\n\nThank you.", "Tanaka Ichiro", null)] // which part is the family name is not known
    [InlineData("Dear Mr. Taylor,\n\nThank you.", "Alex Taylor", null)] // a given name anyone may have
    [InlineData("Dear Smith,\n\nThank you.", "David Wilson", null)] // not one of the recipients
    public void An_english_salutation_is_read_against_the_recipients_names(string text, string recipient, string? kind) =>
        Assert.Equal(kind is null ? [] : [kind], EnglishSalutation.Check(text, [recipient]).Select(p => p.Kind));

    [Fact]
    public void A_marked_mail_passed_on_to_another_company_carries_its_marking_and_removed_material_none()
    {
        const string quoted = "---------- Forwarded message ---------\nFrom: 桜井 <sakurai@law.example>\nDate: 2027年4月6日\n\nPrivileged & Confidential\n交渉上はまず6か月を提示してください。";
        static bool Internal(string domain) => domain == "example.co.jp";
        // To the other side: the lawyer's marking goes with it. Back to the lawyer: it is theirs.
        Assert.Equal("Privileged & Confidential", Assert.Single(ConfidentialMarkings.Find("Fw: 意見", "見解を転送いたします。", [], quoted: quoted,
            isInternalDomain: Internal, isRecipientDomain: d => d == "partner.co.jp")).Excerpt);
        Assert.Empty(ConfidentialMarkings.Find("Re: 意見", "承知しました。", [], quoted: quoted, isInternalDomain: Internal, isRecipientDomain: d => d == "law.example"));
        // A disclaimer stays a disclaimer.
        Assert.Empty(ConfidentialMarkings.Find("件名", "ご確認ください。", [], quoted: "From: a <a@law.example>\nDate: 2027年4月6日\n\nThis e-mail is confidential and may be privileged.",
            isInternalDomain: Internal, isRecipientDomain: d => d == "partner.co.jp"));
        Assert.Empty(ConfidentialMarkings.Find("Fw: 納期一覧", "社内向けの原価欄（社外秘）は削除したうえでお送りしております。", []));
        Assert.Equal("not for circulation", Assert.Single(ConfidentialMarkings.Find("Forecast", "Here it is.", ["plan.xlsx"],
            attachmentTexts: [("plan.xlsx", new AttachmentTextResult("DRAFT – NOT FOR CIRCULATION (internal)\nSupplier allocation", null))])).Marking);
        Assert.Equal("関係者限り", Assert.Single(ConfidentialMarkings.Find("一覧", "貼り付けます。\n情報区分：機密（社内関係者限り）\n社員番号｜氏名", [])).Marking);
    }

    [Fact]
    public void A_table_with_a_personnel_record_s_columns_is_internal_material_but_a_delivery_list_is_not()
    {
        var roster = new AttachmentTextResult("2027年度 名簿\n氏名\t生年月日\t現住所\t携帯電話\t出身校\t面接評価\n青木 翔太\t2004/06/03\t東京都大田区\t080-0000-0000\t東都大学\tA", null);
        Assert.Equal("生年月日・出身校・面接評価", Assert.Single(ConfidentialMarkings.Find("ご紹介", "紹介資料をお送りします。", ["名簿.xlsx"], attachmentTexts: [("名簿.xlsx", roster)])).Marking);
        var delivery = new AttachmentTextResult("配送先一覧\n氏名\t住所\t電話番号\t数量\n青木 翔太\t東京都大田区\t03-0000-0000\t2", null);
        Assert.Empty(ConfidentialMarkings.Find("配送先", "一覧をお送りします。", ["配送先.xlsx"], attachmentTexts: [("配送先.xlsx", delivery)]));
        Assert.Equal("人事用", Assert.Single(ConfidentialMarkings.Find("ご紹介", "お送りします。", ["新入社員名簿_2027（人事用）.xlsx"])).Marking);
    }

    [Fact]
    public void Markings_of_a_department_or_against_disclosure_are_markings()
    {
        var memo = new AttachmentTextResult("（部内限り）\n2027年度 取引方針", null);
        Assert.Equal("部内限り", Assert.Single(ConfidentialMarkings.Find("方針", "資料をお送りします。", ["方針.docx"], attachmentTexts: [("方針.docx", memo)])).Marking);
        Assert.Equal("社外開示不可", Assert.Single(ConfidentialMarkings.Find("打合せ", "ご確認ください。\n【社外開示不可】社内事前打合せメモ\n・値引きは8％まで", [])).Marking);
    }

    [Fact]
    public void A_memo_of_the_company_s_negotiating_position_is_internal_material()
    {
        var memo = new AttachmentTextResult("Price increase plan\nTarget: +6% from July.\nWalk-away point: +3%.", null);
        Assert.Equal("Walk-away point", Assert.Single(ConfidentialMarkings.Find("Prices", "Please see the note.", ["note.txt"], attachmentTexts: [("note.txt", memo)])).Marking);
        var plan = new AttachmentTextResult("値上げ交渉について\n目標: 6%\n落としどころ: 3%", null);
        Assert.Equal("落としどころ", Assert.Single(ConfidentialMarkings.Find("価格改定", "ご確認ください。", ["メモ.txt"], attachmentTexts: [("メモ.txt", plan)])).Marking);
        var notice = new AttachmentTextResult("価格改定のお願い\n7月1日より6%の改定をお願い申し上げます。", null);
        Assert.Empty(ConfidentialMarkings.Find("価格改定", "ご確認ください。", ["お願い.txt"], attachmentTexts: [("お願い.txt", notice)]));
    }

    [Fact]
    public void A_company_without_its_legal_form_above_its_addressee_is_named_but_not_certain()
    {
        Assert.Equal([new AddressedCompany("ミライシステム", false)], Salutation.AddressCompanies("ミライシステム\n開発部 森様\n\nお世話になっております。"));
        Assert.Equal([new AddressedCompany("クライアント", true)], Salutation.AddressCompanies("株式会社クライアント\n佐々木様\n\nいつも"));
        Assert.Empty(Salutation.AddressCompanies("田中\n\nいつもお世話になっております。"));
    }

    [Fact]
    public void A_document_s_heading_names_its_owner_but_not_the_destinations_and_payees_of_its_rows()
    {
        Assert.Equal(["パートナー工業"], Salutation.HeadingCompanies("株式会社パートナー工業 技術部\n部品名: SP-300改\n承認: 田中"));
        Assert.Empty(Salutation.HeadingCompanies("出荷指示書\n納品先: 株式会社パートナー工業 第2倉庫\n品名\t数量\n株式会社クライアント\tA4用紙\t10"));
        Assert.True(Salutation.IsPublicDocument("導入事例_製造業_パートナー工業様.pdf", ""));
        Assert.False(Salutation.IsPublicDocument("見積書_パートナー工業様.pdf", "御見積書"));
    }

    [Fact]
    public void A_list_s_rows_are_read_for_companies_but_not_a_table_of_payees_or_destinations()
    {
        Assert.Contains("株式会社クライアント,1912300", Salutation.TableRows("取引先,残高,期日\n株式会社パートナー工業,2468200,2026-12-31\n株式会社クライアント,1912300,2026-12-31", 20000));
        Assert.Equal("", Salutation.TableRows("総合振込明細\n受取人\t銀行・支店\t金額\n東西物流株式会社\t北海銀行 横浜支店\t1,284,000", 20000));
        Assert.Equal("", Salutation.TableRows("議事録\n出席：井上様（株式会社クライアント）、森様（株式会社ミライシステム）", 20000));
    }

    [Theory]
    [InlineData("4111 1111 1111 1111", true)]    // Visa
    [InlineData("3782 822463 10005", true)]      // American Express
    [InlineData("3530 1113 3330 0000", true)]    // JCB
    [InlineData("5555 5555 5555 4444", true)]    // Mastercard
    [InlineData("353918051234561", false)]       // an IMEI: 15 digits that pass Luhn but start 35 (15 digits are Amex only)
    [InlineData("1234 5678 9012 3452", false)]   // Luhn-valid, no network issues 1…
    public void Only_numbers_a_card_network_issues_are_card_numbers(string text, bool card) =>
        Assert.Equal(card, CreditCardDetector.Find(text).Count == 1);

    [Fact]
    public void A_customer_s_price_list_with_the_company_s_costs_left_in_is_internal_material()
    {
        var sheet = new AttachmentTextResult("2027年度 価格表\n品名\t販売単価\t仕入単価\t粗利率\nコピー用紙\t2,450\t1,890\t22.9%", null);
        var found = Assert.Single(ConfidentialMarkings.Find("価格表", "お届けいたします。", ["価格表.xlsx"], attachmentTexts: [("価格表.xlsx", sheet)]));
        Assert.Equal("仕入単価", found.Marking);
        var clean = new AttachmentTextResult("2027年度 価格表\n品名\t販売単価\nコピー用紙\t2,450", null);
        Assert.Empty(ConfidentialMarkings.Find("価格表", "お届けいたします。", ["価格表.xlsx"], attachmentTexts: [("価格表.xlsx", clean)]));
    }

    [Fact]
    public void Every_company_with_a_legal_form_on_a_first_page_is_named()
    {
        Assert.Equal(["サンプル商事", "ミライシステム"], Salutation.CompaniesNamed("御見積書\n株式会社サンプル商事 御中\n\t株式会社ミライシステム\n"));
    }

    // ---- ConfidentialMarkings ----

    [Theory]
    [InlineData("【社外秘】来期計画", "", "")]
    [InlineData("来期計画", "本資料は部外秘です。取り扱いにご注意ください。", "")]
    [InlineData("資料送付", "", "Confidential_pricing_2027.xlsx")]
    [InlineData("Plan", "This deck is for internal use only.", "")]
    [InlineData("運賃", "", "運賃比較_社内検討用.xlsx")]
    [InlineData("予算", "機密・社外持出禁止\n2027年度 物流費予算", "")]
    [InlineData("要件", "秘密情報（社外開示禁止）\n追加要件", "")]
    public void Markings_in_the_subject_the_new_text_or_an_attachment_name_are_found(string subject, string text, string attachment) =>
        Assert.NotEmpty(ConfidentialMarkings.Find(subject, text, attachment.Length == 0 ? [] : [attachment]));

    [Theory]
    [InlineData("秘密保持契約書のドラフト", "秘密保持契約書（NDA）のドラフトをお送りします。")]
    [InlineData("ご依頼の件", "社外秘の資料のため、お送りできません。")]
    [InlineData("Re: order", "This e-mail is confidential and intended solely for the addressee.")]
    [InlineData("Re: order", "Please review the confidentiality agreement.")]
    [InlineData("Re: Drawings", "We understand they are confidential to Global Parts and will not pass them on.")]
    [InlineData("Re: 内訳", "原価資料は社外秘扱いとなっており、お出しすることができません。")]
    [InlineData("Re: 内訳", "社外秘の資料につき、ご提供いたしかねます。")]
    [InlineData("Re: 内訳", "取引条件を含む資料は社外秘の扱いとなっており、\nご提供は控えさせていただいております。")]
    [InlineData("名簿の件", "お預かりした【取扱注意】の社員名簿は、弊社サーバーから削除いたしました。")]
    [InlineData("セミナー", "先日ご案内いただいた「社外秘・機密情報の取扱い実務」セミナーに参加いたします。")]
    [InlineData("日程", "社長秘書の方と日程を調整いたしました。")]
    [InlineData("NDA", "秘密保持契約の条文案をお送りします。")]
    [InlineData("Re: price list", "The 2027 price list we sent in December is not\nconfidential. You are welcome to share it.")]
    [InlineData("Re: price list", "This sheet is non-confidential.")]
    [InlineData("資料", "同資料は社外秘のお取扱いを解除させていただきます。")]
    [InlineData("資料", "この一覧は社外秘ではありませんので、ご自由にお使いください。")]
    [InlineData("資料", "昨年「社外秘」としてお渡しした仕様資料の件です。")]
    [InlineData("NDA", "「秘密情報」とは、「社外秘」「Confidential」その他これに類する表示がなされたものをいう。")]
    [InlineData("評価データ", "こちらは御社の社外秘扱いでしょうか。")]
    [InlineData("文書管理", "・文書ごとに「公開」「社外秘」「部外秘」「極秘」の4つの区分を設定できます。\n・「社外秘」以上の文書は共有リンクを発行できません。")]
    public void An_nda_a_refusal_or_a_disclaimer_is_not_a_marking(string subject, string text) =>
        Assert.Empty(ConfidentialMarkings.Find(subject, text, []));

    [Fact]
    public void The_circled_secret_sign_is_a_marking_but_a_bare_secret_in_a_word_is_not()
    {
        Assert.NotEmpty(ConfidentialMarkings.Find("取締役会資料", "㊙ 来期の出店計画をお送りします。", []));
        Assert.Empty(ConfidentialMarkings.Find("ご面談", "秘書室経由でご連絡いたします。", []));
    }

    [Fact]
    public void The_recipient_s_own_marked_document_sent_back_to_them_is_theirs()
    {
        var theirs = new AttachmentTextResult("株式会社クライアント 社外秘\n要件定義書 v1.3", null);
        Assert.Empty(ConfidentialMarkings.Find("要件定義書へのコメント", "お預かりしていた御社の要件定義書に、弊社のコメントを追記してお返しいたします。",
            ["【社外秘】要件定義書_コメント.docx"], attachmentTexts: [("【社外秘】要件定義書_コメント.docx", theirs)]));
        Assert.NotEmpty(ConfidentialMarkings.Find("要件定義書", "要件定義書をお送りします。",
            ["【社外秘】要件定義書.docx"], attachmentTexts: [("【社外秘】要件定義書.docx", theirs)]));
    }

    [Fact]
    public void An_nda_s_defined_term_and_its_clauses_are_not_markings()
    {
        var nda = new AttachmentTextResult("MUTUAL NON-DISCLOSURE AGREEMENT\n1. \"Confidential Information\" means any information disclosed.\n2. The receiving party shall keep Confidential Information strictly confidential.", null);
        Assert.Empty(ConfidentialMarkings.Find("NDA draft", "Attached is our draft.", ["Mutual_NDA_draft.docx"], attachmentTexts: [("Mutual_NDA_draft.docx", nda)]));
        var marked = new AttachmentTextResult("CONFIDENTIAL\nPrice list 2027 for internal review.", null);
        Assert.NotEmpty(ConfidentialMarkings.Find("Prices", "Attached.", ["prices.docx"], attachmentTexts: [("prices.docx", marked)]));
    }

    [Theory]
    [InlineData("-----Original Message-----\nFrom: 伊藤 誠 <makoto.ito@example.co.jp>\nSent: Monday\nSubject: 【社外秘】来期価格方針\n\n3%値上げで提示してください。", true)]
    [InlineData("2026年11月30日(月) 9:12 伊藤 誠 <makoto.ito@example.co.jp>:\n> 本件は社外秘です。値引きは1.5%まで。", true)]
    [InlineData("-----Original Message-----\nFrom: 田中 一郎 <ichiro.tanaka@partner.co.jp>\nSent: Monday\nSubject: 【社外秘】図面\n\n社外秘の図面です。", false)]
    [InlineData("-----Original Message-----\nFrom: 伊藤 誠\nSent: Monday\nSubject: 【社外秘】来期価格方針\n\n値上げで提示してください。", false)]
    public void A_quoted_mail_written_inside_the_company_passes_its_marking_on(string quoted, bool marked)
    {
        var found = ConfidentialMarkings.Find("FW: 価格", "ご確認ください。", [], quoted: quoted, isInternalDomain: d => d == "example.co.jp");
        Assert.Equal(marked, found.Any(f => f.Where.StartsWith("quoted mail from", StringComparison.Ordinal)));
    }

    // ---- Display names and companies ----

    [Fact]
    public void A_service_desk_s_display_name_needs_no_honorific()
    {
        var text = "株式会社ミライシステム\nサポート窓口 ご担当者様\n\nいつもお世話になっております。";
        Assert.Empty(HonorificCheck.Find(text, ["ミライシステム サポート窓口"]));
        Assert.NotEmpty(HonorificCheck.Find("株式会社ミライシステム\n森 健太\n\nいつも", ["森 健太"]));
    }

    [Theory]
    [InlineData("", "【パートナー工業様】料金改定のご案内", "パートナー工業", false)]
    [InlineData("見積書_株式会社クライアント様.pdf", "", "クライアント", true)]
    [InlineData("quote.pdf", "御見積書\n株式会社サンプル商事 御中\n株式会社ミライシステム\n", "サンプル商事", true)]
    [InlineData("quote.pdf", "御見積書\nクライアント 御中\n", "クライアント", false)]
    public void A_document_or_subject_addressed_to_a_company_names_it(string file, string text, string key, bool certain) =>
        Assert.Contains(new AddressedCompany(key, certain), Salutation.AddressedCompanies(file, text));

    [Theory]
    [InlineData("quote.pdf", "御見積書\n株式会社サンプル商事 御中\n株式会社ミライシステム\n", "ミライシステム")]
    [InlineData("po.pdf", "注文書\n株式会社ミライシステム 御中\n件名: 開発（エンドユーザー：株式会社クライアント）\n", "クライアント")]
    [InlineData("", "ご担当者様 ご案内", "ご担当者")]
    public void The_issuer_an_end_user_or_a_group_address_is_not_the_addressee(string file, string text, string key) =>
        Assert.DoesNotContain(Salutation.AddressedCompanies(file, text), c => c.Key.Contains(key, StringComparison.Ordinal));

    [Fact]
    public void English_company_names_are_read_as_their_domain_label_would_be()
    {
        var found = Salutation.EnglishCompanies("AGREEMENT\nThis Agreement is entered into between Sample Shoji Co., Ltd. and Global Parts Ltd.\nDear Sales Team at ABC Trading Inc.,");
        Assert.Equal(["sampleshoji", "globalparts", "abctrading"], found.Select(f => f.Key));
        Assert.Equal(["abctrading"], Salutation.EnglishCompanies("Dear ABC Trading team,\n\nJust a reminder.").Select(f => f.Key));
        Assert.Equal("globalparts", SendGate.Core.Policies.KnownDomainSet.LabelKey("globalparts.co.uk"));
        Assert.Equal("abctrading", SendGate.Core.Policies.KnownDomainSet.LabelKey("abc-trading.com"));
        Assert.Equal(["globalparts.co.uk"], new SendGate.Core.Policies.KnownDomainSet(["globalparts.co.uk", "abc-trading.com"]).WithLabel("globalparts"));
    }
}
