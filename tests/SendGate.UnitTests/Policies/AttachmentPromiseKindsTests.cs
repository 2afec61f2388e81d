using SendGate.Core.Policies.Detectors;

namespace SendGate.UnitTests.Policies;

/// <summary>
/// The kinds of sentence that show a file as this mail's without the word 添付します — the attached
/// document to act on, a photo or document presented, an edited file handed back, a file name, a
/// letter's enclosure list — and their look-alikes: the recipient's file, content in the body, a
/// link, "enclosed" as an adjective.
/// </summary>
public sealed class AttachmentPromiseKindsTests
{
    // ---- the attached document as the thing to act on ----

    [Theory]
    [InlineData("お手数ですが、添付の申込書にご記入・ご押印のうえ、\nスキャンしてご返送いただけますか。")]
    [InlineData("添付の承諾書にご署名いただき、ご返送ください。")]
    [InlineData("詳細は添付の仕様書をご覧ください。")]
    [InlineData("変更点は添付のとおりです。")]
    [InlineData("添付ファイルの内容に誤りがないか、ご確認いただけますでしょうか。")]
    [InlineData("添付した工程表の赤字部分が今回の変更です。")]
    [InlineData("Please sign the attached form and return it to us by Friday.")]
    [InlineData("Kindly return the attached order confirmation with your signature.")]
    public void The_attached_document_the_reader_is_to_act_on_is_a_promise(string text) =>
        Assert.NotNull(AttachmentPromise.Find(text));

    [Theory]
    [InlineData("ご送付いただいた添付の注文書について、2点確認させてください。")]
    [InlineData("添付いただいた図面の寸法について、ご質問がございます。")]
    [InlineData("先日のメールの添付資料ですが、社内で確認いたしました。")]
    [InlineData("前回添付の見積書から単価に変更はございません。")]
    [InlineData("添付の有無をご確認のうえ、ご返送ください。")]
    [InlineData("添付の方法については手順書をご覧ください。")]
    [InlineData("申込書を添付してご返送ください。")]
    [InlineData("ご添付の図面について、1点確認させてください。")]
    [InlineData("お送りいただいた図面、社内で確認しております。")]
    [InlineData("お客様から添付いただいた資料の件で、ご連絡いたしました。")]
    [InlineData("添付の件、承知しました。")]
    [InlineData("添付の仕方がわからない場合はご連絡ください。")]
    [InlineData("メール添付の容量制限は10MBです。")]
    [InlineData("添付したはずのファイルが付いていませんでした。")]
    public void The_recipient_s_or_an_earlier_attachment_is_not(string text) =>
        Assert.Null(AttachmentPromise.Find(text));

    // ---- a photo, an image or a document presented as the message ----

    [Theory]
    [InlineData("先ほど現場で撮った搬入口の写真です。\nこの位置で問題ないかご確認ください。")]
    [InlineData("エラー画面の画像です。")]
    [InlineData("設定画面のスクショです。")]
    [InlineData("破損した箱の写真を送ります。")]
    [InlineData("検品結果、写メ送ります！")]
    [InlineData("こちらが修正後の図面です。")]
    [InlineData("3月分の請求書です。ご査閲のほどお願いいたします。")]
    [InlineData("請求書（3月分）です。")]
    [InlineData("申請書の様式です。ご記入のうえご提出ください。")]
    [InlineData("議事録です。ご確認ください。")]
    [InlineData("Here is the photo of the damaged pallet.")]
    [InlineData("Here is a screenshot of the error message.")]
    [InlineData("Attaching a screenshot of the settings page.")]
    [InlineData("Sending a photo of the label now.")]
    public void A_photo_or_document_presented_as_the_message_is_a_promise(string text) =>
        Assert.NotNull(AttachmentPromise.Find(text));

    [Theory]
    [InlineData("写真は後ほどお送りします。")]
    [InlineData("写真撮影の日程についてご確認ください。")]
    [InlineData("お送りいただいた写真が届きました。ありがとうございます。")]
    [InlineData("現場の写真は、先ほどLINEでお送りしました。")]
    [InlineData("必要なのは納品時の写真です。")]
    [InlineData("次回の議題は見積書です。")]
    [InlineData("本日の打合せの議事録です。\n\n■日時：3月9日 10:00〜11:00\n■出席：田中様、佐藤")]
    [InlineData("4月分のお見積りです。\n\n　月額：4,500円（税抜）\n　初期費用：30,000円（税抜）")]
    [InlineData("以上、本日の議事録です。")]
    [InlineData("Here is our forecast for the next quarter:\n- April: 1,200 units\n- May: 1,400 units")]
    [InlineData("Did you get the photo I sent via LINE?")]
    [InlineData("I will be sending the photos tomorrow.")]
    [InlineData("担当の山田です。")]
    [InlineData("見積書の件です。")]
    [InlineData("見積書の提出期限は3月末です。")]
    [InlineData("ご依頼の資料、確認中です。")]
    [InlineData("写真撮影の日程です。")]
    [InlineData("写真付きの身分証が必要です。")]
    [InlineData("請求書は月末締めです。")]
    public void A_photo_that_comes_later_another_way_or_a_document_whose_content_follows_is_not(string text) =>
        Assert.Null(AttachmentPromise.Find(text));

    // ---- a letter's enclosure list ----

    [Theory]
    [InlineData("拝啓　早春の候、貴社ますますご清栄のこととお慶び申し上げます。\n下記のとおりお届けいたします。\n\n敬具\n\n記\n\n送付書類\n　１．契約書（写）　１部\n　２．請求書　　　１部\n\n以上")]
    [InlineData("記\n\n【同封書類】\n１．ご注文請書　１通\n２．納品予定表　１通\n\n以上")]
    [InlineData("記\n\n添付書類：\n・会社概要\n・製品カタログ\n\n以上")]
    [InlineData("送付書類：見積書 １部、仕様書 １部")]
    public void A_letter_s_enclosure_list_is_a_promise(string text) =>
        Assert.NotNull(AttachmentPromise.Find(text));

    [Theory]
    [InlineData("送付書類は郵送にてお送りいたします。")]
    [InlineData("下記書類を本日郵送いたしました。\n\n記\n\n送付書類\n１．契約書原本　２部\n\n以上")]
    [InlineData("添付書類：なし")]
    [InlineData("ご提出いただく書類\n１．申込書\n２．登記簿謄本")]
    [InlineData("送付書類の一覧をお知らせください。")]
    public void Documents_sent_by_post_or_asked_for_are_no_enclosure(string text) =>
        Assert.Null(AttachmentPromise.Find(text));

    // ---- a document pointed at: こちらになります ----

    [Theory]
    [InlineData("本日ご相談した改定後のお見積り、こちらになります。\n単価のみ変更しております。")]
    [InlineData("ご依頼の請求書（3月分）はこちらです。")]
    [InlineData("打合せで使う資料はこちらになります。")]
    [InlineData("最新の図面、こちらでございます。")]
    [InlineData("お見積り（改訂版）はこちらになります。")]
    [InlineData("こちらが更新版の工程表になります。")]
    public void A_document_pointed_at_as_this_mail_s_is_a_promise(string text) =>
        Assert.NotNull(AttachmentPromise.Find(text));

    [Theory]
    [InlineData("資料はこちらになります。\nhttps://share.example.co.jp/d/abc123")]
    [InlineData("お見積りは以下になります。\n\n・月額：4,500円\n・初期費用：30,000円")]
    [InlineData("変更点は下記のとおりです。\n１．納期\n２．数量")]
    [InlineData("ご質問への回答はこちらです。")]
    [InlineData("担当はこちらになります。")]
    [InlineData("資料はこちらからダウンロードいただけます。")]
    [InlineData("お問い合わせ先は以下になります。\n株式会社サンプル商事 営業部")]
    [InlineData("資料は以下の通りです。\n・会社案内")]
    [InlineData("ご不明点はこちらまでお問い合わせください。")]
    public void A_link_content_in_the_body_or_no_document_is_not(string text) =>
        Assert.Null(AttachmentPromise.Find(text));

    // ---- an edited file handed back ----

    [Theory]
    [InlineData("ご指摘の箇所を直したワード、お戻しします。")]
    [InlineData("修正版をお返しいたします。")]
    [InlineData("赤入れした原稿を返送いたします。")]
    [InlineData("差し替えのファイルです。")]
    [InlineData("差し替え版です。よろしくお願いします。")]
    [InlineData("I've updated the spreadsheet, here it is.")]
    [InlineData("Sending back the marked-up drawing with our comments.")]
    [InlineData("I'm returning the signed contract.")]
    public void An_edited_file_handed_back_is_a_promise(string text) =>
        Assert.NotNull(AttachmentPromise.Find(text));

    [Theory]
    [InlineData("お預かりしていた原本をお返しします。")]
    [InlineData("試作品は着払いで返送いたします。")]
    [InlineData("折り返しお電話をお返しします。")]
    [InlineData("お借りしていたデータを返却いたします。")]
    [InlineData("修正版はご確認のうえご返送ください。")]
    [InlineData("Here it is Friday already, so let us talk next week.")]
    [InlineData("Could you send back the signed form?")]
    [InlineData("Thank you for returning your comments on the draft agreement so quickly.")]
    [InlineData("Thanks for sending back the signed form.")]
    [InlineData("修正版は金曜日までにお送りいたします。")]
    public void A_thing_returned_by_hand_or_a_request_to_return_is_not(string text) =>
        Assert.Null(AttachmentPromise.Find(text));

    // ---- a file name as this mail's ----

    [Theory]
    [InlineData("本日付で4月度の請求書を発行いたしました。\n\n　ファイル名：2027年4月度_ご請求書.pdf\n　ご請求金額：120,000円")]
    [InlineData("ファイル名：出荷予定_4月.xlsx")]
    [InlineData("添付ファイル：議事録_0312.docx")]
    [InlineData("検査成績書_ロット118.pdfを作成いたしました。")]
    [InlineData("Please see report_march.pdf for the figures.")]
    [InlineData("For the details, check the file quote_2704.xlsx.")]
    [InlineData("添付：見積書_0312.pdf")]
    public void A_file_name_given_as_this_mail_s_is_a_promise(string text) =>
        Assert.NotNull(AttachmentPromise.Find(text));

    [Theory]
    [InlineData("いつもの共有フォルダに格納しました。\nファイル名：出荷予定_4月.xlsx")]
    [InlineData("前回の見積_2703.pdf から数量のみ変更となります。")]
    [InlineData("共有フォルダの在庫一覧.xlsxを更新しました。")]
    [InlineData("以下のファイル名でご提出ください。\nファイル名：会社名_申込書.pdf")]
    [InlineData("I have saved report_march.pdf to the shared drive.")]
    [InlineData("Please check the report_march.pdf you received last week.")]
    [InlineData("ファイル名：会社名_日付.pdf としてください。")]
    [InlineData("ファイル名は「会社名_日付.pdf」でお願いします。")]
    [InlineData("受信したファイル名：report.pdf")]
    [InlineData("見積書.pdfを発行しましたので、ポータルからダウンロードしてください。")]
    public void A_file_name_stored_elsewhere_earlier_or_asked_for_is_not(string text) =>
        Assert.Null(AttachmentPromise.Find(text));

    // ---- the recipient's file in English ----

    [Theory]
    [InlineData("Regarding the drawing you attached to your email of 10 March, our customer has one question.")]
    [InlineData("Thank you, the file you sent opens fine on our side.")]
    [InlineData("Your attachment was blocked by our mail filter.")]
    [InlineData("We have reviewed the attachment in your email and agree with the changes.")]
    [InlineData("The spreadsheet attached to your message of Monday shows 120 units.")]
    public void The_recipient_s_file_is_not(string text) =>
        Assert.Null(AttachmentPromise.Find(text));

    [Theory]
    [InlineData("I've attached the drawing you sent, with our comments in red.")]
    [InlineData("お送りいただいた図面に寸法を追記し、添付いたします。")]
    [InlineData("前回お送りした資料に誤りがあったため、修正版を添付いたします。")]
    [InlineData("We have received the drawing you attached, and the revised one is attached.")]
    public void Their_file_or_an_earlier_one_attached_again_now_is_a_promise(string text) =>
        Assert.NotNull(AttachmentPromise.Find(text));

    // ---- "enclosed" as an adjective ----

    [Theory]
    [InlineData("The fan kit keeps the controller within its rated range in enclosed cabinets.")]
    [InlineData("Do not run the engine in an enclosed space.")]
    [InlineData("The enclosed area behind the warehouse is used for storage.")]
    [InlineData("The motor is enclosed in a stainless steel housing.")]
    public void Enclosed_as_an_adjective_is_not(string text) =>
        Assert.Null(AttachmentPromise.Find(text));

    [Theory]
    [InlineData("Enclosed are the signed copies of the agreement.")]
    [InlineData("Please find enclosed our latest price list.")]
    [InlineData("I have enclosed the revised quotation.")]
    [InlineData("Please review the enclosed invoice.")]
    [InlineData("A copy of the certificate is enclosed for your records.")]
    public void Enclosed_as_a_promise_still_is(string text) =>
        Assert.NotNull(AttachmentPromise.Find(text));

    // ---- a list, a table or a sample sent with a send verb ----

    [Theory]
    [InlineData("ご依頼の品番別単価の一覧、\n取り急ぎ出先からお送りします。")]
    [InlineData("4月分の出荷実績の一覧表を送ります。")]
    [InlineData("参加者のリスト、お届けいたします。")]
    [InlineData("新しい申込書の見本をお送りいたします。")]
    [InlineData("記入例のサンプルを送りますので参考にしてください。")]
    [InlineData("登記簿の写しをお送りします。")]
    [InlineData("免許証のコピーを送ります。")]
    [InlineData("署名ページのスキャン、お送りします。")]
    public void A_list_or_sample_sent_is_a_promise(string text) =>
        Assert.NotNull(AttachmentPromise.Find(text));

    [Theory]
    [InlineData("下記の一覧をお送りします。\n・A-100　1,200円\n・A-200　1,500円")]
    [InlineData("以下、新単価の一覧をお送りします。")]
    [InlineData("新単価の一覧をお送りします：\nA-100 1,200円\nA-200 1,500円")]
    [InlineData("新単価の一覧をお送りします。\n　A-100　1,200円\n　A-200　1,500円")]
    [InlineData("製品のサンプルを郵送でお送りします。")]
    [InlineData("一覧表は後ほどお送りします。")]
    [InlineData("見本は別途お届けします。")]
    [InlineData("サンプル品を来週お届けします。")]
    [InlineData("試作のサンプル品をお送りします。")]
    [InlineData("一覧表をお送りいただけますでしょうか。")]
    [InlineData("先日お送りしたリストに誤りがありました。")]
    public void A_list_in_the_body_or_sent_another_way_is_not(string text) =>
        Assert.Null(AttachmentPromise.Find(text));

    // ---- something put into this mail ----

    [Theory]
    [InlineData("本メールに新しい申請書の見本を1部入れておりますので、ご確認ください。")]
    [InlineData("このメールに記入例を入れてあります。")]
    [InlineData("本メールに会社案内を同封しております。")]
    [InlineData("このメールに最新の価格表を入れました。")]
    public void Something_put_into_this_mail_is_a_promise(string text) =>
        Assert.NotNull(AttachmentPromise.Find(text));

    [Theory]
    [InlineData("本メールには資料を入れておりません。")]
    [InlineData("このメールに返信を入れていただけますか。")]
    [InlineData("前回のメールに見本を入れておりました。")]
    [InlineData("請求書の封筒に振込用紙を入れてください。")]
    public void Nothing_put_into_this_mail_is_not(string text) =>
        Assert.Null(AttachmentPromise.Find(text));

    // ---- the attached file named by its type ----

    [Theory]
    [InlineData("取引先ごとの内訳は添付のExcelをご参照ください。")]
    [InlineData("変更箇所は赤字にしています（添付PDFの2ページ目）。")]
    [InlineData("詳しくは添付ファイル（Word）をご覧ください。")]
    [InlineData("全件のデータは添付のCSVにまとめています。")]
    [InlineData("現場の様子は添付画像のとおりです。")]
    [InlineData("添付エクセルの黄色のセルにご記入ください。")]
    [InlineData("添付zipを解凍してお使いください。")]
    public void The_attached_file_by_its_type_is_a_promise(string text) =>
        Assert.NotNull(AttachmentPromise.Find(text));

    [Theory]
    [InlineData("ご添付のExcelを拝見しました。")]
    [InlineData("ご添付PDFの3ページ目について質問がございます。")]
    [InlineData("いただいた添付のPDFの2ページ目に誤記がございました。")]
    [InlineData("先日の添付のExcelは古い版でした。")]
    [InlineData("添付PDFが開けませんでした。")]
    [InlineData("添付のExcelは不要です。")]
    [InlineData("添付PDFのパスワードは別途お送りします。")]
    public void The_recipient_s_or_an_earlier_attached_file_by_type_is_not(string text) =>
        Assert.Null(AttachmentPromise.Find(text));

    // ---- "in this email" in English ----

    [Theory]
    [InlineData("You'll find the scan of the signed\ncontract in this email; the originals go out by courier today.")]
    [InlineData("The revised quotation is included in this message.")]
    [InlineData("You will find the updated drawings with this email.")]
    [InlineData("In this email you will find the minutes of Monday's meeting.")]
    [InlineData("The signed form is in this email.")]
    public void A_file_in_this_email_is_a_promise(string text) =>
        Assert.NotNull(AttachmentPromise.Find(text));

    [Theory]
    [InlineData("In this email thread we discussed the delivery dates.")]
    [InlineData("You'll find the scan in my last email.")]
    [InlineData("As I mentioned in this email thread, the quote is still valid.")]
    [InlineData("You'll find the figures below in this email:")]
    [InlineData("Please reply to all in this email so everyone sees it.")]
    [InlineData("The report I mentioned in this email will follow next week.")]
    public void This_email_without_its_file_is_not(string text) =>
        Assert.Null(AttachmentPromise.Find(text));

    // ---- 同送 ----

    [Theory]
    [InlineData("2027年度の契約書をPDFで同送いたします。")]
    [InlineData("請求書を同送します。")]
    [InlineData("納品書もあわせて同送いたしますので、ご確認ください。")]
    [InlineData("見積書を同送させていただきます。")]
    public void Sent_with_this_mail_is_a_promise(string text) =>
        Assert.NotNull(AttachmentPromise.Find(text));

    [Theory]
    [InlineData("原本は郵送で同送いたします。")]
    [InlineData("契約書の原本は別便で同送します。")]
    [InlineData("同送する書類の一覧をお知らせください。")]
    [InlineData("請求書は同送いたしません。")]
    public void Sent_with_paper_mail_or_not_at_all_is_not(string text) =>
        Assert.Null(AttachmentPromise.Find(text));

    // ---- a document's points set out in the body ----

    [Theory]
    [InlineData("ご提出いただく書類について、次のとおりご確認いただけますでしょうか。")]
    [InlineData("契約書の変更点は以下のとおりです。ご確認ください。")]
    [InlineData("お届けする資料の内容について、下記のとおりご確認をお願いいたします。")]
    public void A_document_s_points_in_the_body_are_not(string text) =>
        Assert.Null(AttachmentPromise.Find(text));

    [Theory]
    [InlineData("見積書をお送りしますので、次のとおりご確認ください。")]
    [InlineData("添付資料の内容を、次のとおりご確認ください。")]
    public void A_document_sent_with_points_in_the_body_still_is(string text) =>
        Assert.NotNull(AttachmentPromise.Find(text));
}
