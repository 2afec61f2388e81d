using System.Text.RegularExpressions;

namespace SendGate.Core.Policies.Detectors;

/// <summary>
/// Finds the sentence in which the sender says this mail carries a file — 見積書を添付いたします,
/// 資料をお送りします, ご査収ください, please find attached, enclosed is — and not one that only
/// talks about a file: a negation (添付は不要です, no attachment), an earlier mail (前回お送りした
/// 資料, attached to my previous email), the recipient's file (添付にてお送りください, please
/// attach), one that follows later or another way (別途お送りします, 郵送, a download link), or
/// one already received (添付いただいた資料). Reads the sender's new text (<see cref="MailText"/>),
/// so a quoted reply or a signature says nothing. Compared after NFKC, case-insensitively.
/// </summary>
public static partial class AttachmentPromise
{
    /// <summary>The sentence that promises a file, or null when none does.</summary>
    public static string? Find(string newText)
    {
        var text = Fold(newText);
        // Most mail says nothing of the kind: one scan of the whole text spares the sentence checks.
        if (!Trigger().IsMatch(text))
        {
            return null;
        }

        foreach (var sentence in Sentences(text))
        {
            if (Trigger().IsMatch(sentence) && Promises(sentence))
            {
                return sentence.Length > 200 ? sentence[..200] + "…" : sentence;
            }
        }

        return null;
    }

    /// <summary>
    /// The attachment line of a forwarded or quoted mail's header (添付: 計画書.pdf, Attachments:
    /// plan.pdf): the mail it came with had files, which a forward carries unless they were lost.
    /// </summary>
    public static string? ForwardedAttachment(string quoted)
    {
        foreach (var line in quoted.Split('\n').Take(40))
        {
            var text = line.TrimStart('>', ' ', '\t');
            if (AttachmentHeader().IsMatch(text))
            {
                return text.Trim();
            }
        }

        return null;
    }

    internal static bool Promises(string sentence)
    {
        var japanese = JapanesePromise().IsMatch(sentence) || (SendVerb().IsMatch(sentence) && DocumentNoun().IsMatch(sentence));
        var english = EnglishPromise().IsMatch(sentence);
        if (!japanese && !english)
        {
            return false;
        }

        return !(Negation().IsMatch(sentence) || Earlier().IsMatch(sentence) || Request().IsMatch(sentence)
            || Received().IsMatch(sentence) || OtherWay().IsMatch(sentence) || Offer().IsMatch(sentence));
    }

    /// <summary>NFKC (full-width letters and digits, half-width kana folded) but case kept: an English sentence starts with a capital.</summary>
    internal static string Fold(string text)
    {
        try
        {
            return text.Normalize(System.Text.NormalizationForm.FormKC);
        }
        catch (ArgumentException)
        {
            return text;
        }
    }

    /// <summary>
    /// Sentences: split at 。！？ and line ends, and at ". " / "! " / "? " for English. A line that
    /// ends inside a sentence — after 、 or a particle (資料は社外秘の扱いとなっており、 / ご提供は控えます),
    /// or an English word before a line in lower case — as mail wrapped by hand does, goes on into the next.
    /// </summary>
    internal static IEnumerable<string> Sentences(string text)
    {
        text = EnglishWrapped().Replace(Wrapped().Replace(text, ""), " ");
        foreach (var piece in SentenceBreak().Split(text))
        {
            var sentence = piece.Trim();
            if (sentence.Length > 1)
            {
                yield return sentence;
            }
        }
    }

    // Every promise below contains one of these.
    [GeneratedRegex(@"(?i)(添付|別添|同封|同梱|メール(で|に|にて)|査収|お送り|送付|転送|共有|お届け|お渡し|送らせ|確認|目通し|一読|別紙|付け|attach|enclos|includ|please find|sending|here is|here's|see the|with this)")]
    private static partial Regex Trigger();

    [GeneratedRegex(@"^(添付|添付ファイル|\*?attachments?\*?)\s*[:：]\s*\S", RegexOptions.IgnoreCase)]
    private static partial Regex AttachmentHeader();

    [GeneratedRegex(@"(?<=[、，をにがはでとのもやへて])[ \t　]*\r?\n[ \t　]*(?=[^\s>＞])")]
    private static partial Regex Wrapped();

    // An English line wrapped by hand mid-sentence: a word or a comma, then a line that starts in lower case.
    [GeneratedRegex(@"(?<=[a-z,])[ \t]*\r?\n[ \t]*(?=[a-z])")]
    private static partial Regex EnglishWrapped();

    [GeneratedRegex(@"(?<=[。！？!?])|\n|(?<=\.)\s+(?=[A-Z(""'])")]
    private static partial Regex SentenceBreak();

    // Words that on their own say a file is with this mail.
    [GeneratedRegex(@"(?i)(添付(いた|致)?し(ます|ました|ております|ています)|添付させて(いただき|頂き)|添付(の|した)(ファイル|資料|書類|データ|とおり|通り|もの)|添付ファイル|添付資料|添付にて(失礼|お送り(いた|致)?します|送付|ご確認|ご送付いたします)|添付(を|も)?ご(確認|査収|参照|覧)|添付(いたします|致します|します)|ご査収|別添|同封(いた|致)?し|添付いたしますので|添付のPDF|添付のExcel|添付しましたので|別紙(を|の|に|にて)?(ご確認|ご参照|参照|ご覧|とおり|通り|記載|のように|の内容)|お付け(いた|致)?し(ます|ました)|お付けして(おります|います)|(?<!(気|番号|名前|名|印|丸|点数|順位|条件|注釈|説明|理由|見出し|日付|優先順位))(を|も)(お)?付け(して|て)?(おります|います|おきます|おきました|あります|いたします|いたしました|しました|します)|(PDF|pdf|Excel|エクセル|Word|ワード|CSV|csv|zip|ZIP|データ|ファイル)(で|にて|にして)(お)?付け(て|させて)(おきます|おきました|おります|います|いただきます)|(本|この)メール(で|にて|に)[^。]{0,20}(お送り|送付|お届け|添付|共有|お付け|同梱|送り|送ら)|まとめて(お)?付け(まし|て|ておき))")]
    private static partial Regex JapanesePromise();

    // Sending verbs that say so only with a document noun (資料をお送りします, not メールをお送りします).
    [GeneratedRegex(@"(?i)(お送り(いた|致)?します|転送(いた|致)?します|お送りさせて(いただき|頂き)ます|お送り(いた|致)?しました|送付(いた|致)?します|送付(いた|致)?しました|送付させて(いただき|頂き)ます|お届け(いた|致)?し(ます|ました)|お送りいたしますので|送ります|送りました|お送りして(おります|います)|送付して(おります|います)|お届けして(おります|います)|共有して(おります|います)|送らせて(いただき|頂き)ます|共有(いた|致)?します|お渡しします|ご確認ください|ご確認下さい|ご確認をお願い|ご確認のほど|ご確認いただけ|ご確認いただきたく|(PDF|pdf|Excel|データ)(に|化)(して|し)(おきました|ました|おります)|お目通し|ご一読)")]
    private static partial Regex SendVerb();

    [GeneratedRegex(@"(?i)(資料|見積書|見積り書|お見積書|お見積り|見積|請求書|契約書|覚書|ファイル|データ|書類|図面|報告書|議事録|提案書|企画書|仕様書|申込書|注文書|発注書|納品書|明細書|明細|カタログ|パンフレット|写真|画像|PDF|Excel|エクセル|Word|ワード|PowerPoint|パワーポイント|スライド|一覧表|リスト|原稿|ドラフト|案内状|名簿|スケジュール表|日程表|工程表|計画書|手順書|マニュアル|CSV|csv|zip|ZIP|添付|一式|別紙|シート)")]
    private static partial Regex DocumentNoun();

    [GeneratedRegex(@"(?i)(\battached\b|\battachment(s)?\b|\benclosed\b|\bplease find\b(?!\s+(below|hereunder|here under|the (details|schedule|information|summary|figures|list) below))|\bi('ve| have) (attached|included)\b|\b(i'm|i am|we're|we are) (attaching|enclosing|including)\b|\battaching\b|\bsending (over|across|you) (the|a|our|my)\b|\b(here's|here are) (the|our|my)\b|\bincluded (is|are|with this|here)\b|\b(sending|send|enclosing|including|forwarding|attaching)\b.{0,80}\bwith this (e-?mail|mail|message)\b|\bsee the (file|document)\b|\bi am sending you (the|a|our) (file|document|quote|invoice|report)|\bhere is the (file|document|quote|quotation|invoice|report|presentation|spreadsheet)\b|\bfind the .{0,40}\b(attached|enclosed)\b)")]
    private static partial Regex EnglishPromise();

    [GeneratedRegex(@"(?i)((梱包|箱|現品|製品|荷物|伝票|段ボール|パレット|納品書|品物|商品)(に|へ|の中に|内に)(同梱|添付)|添付(は|も)?(不要|なし|無し|ありません|ございません|いたしません|しておりません|していません|できません|できない|省略|せず|しない)|添付不要|添付なし|添付(ファイル)?(が|は|を)?(開け|ひらけ)(ない|ません)|添付(ファイル)?(が|は)(付いて|ついて)(いない|いません|おりません|いなかった)|ファイル(は|も)?(不要|ありません|ございません)|資料(は|も)?(不要|ありません|ございません|ご用意しておりません)|\bno attachments?\b|\bnot attached\b|\bwithout (an |any )?attachments?\b|\bnothing (is )?attached\b|\bno (file|document)s? (is |are )?(attached|needed|required)\b|\bdo not need to attach\b|\bdon't need to attach\b|\bnot (include|including) (the|any) (file|attachment))")]
    private static partial Regex Negation();

    [GeneratedRegex(@"(?i)((前回|先日|先ほど|先程|昨日|一昨日|以前|先週|先月|先般|過日|前の|前便|既に|すでに|以前に|これまでに)[^。]{0,30}(お送りした|お送りしました|送った|送りました|お付けした|添付した|添付しました|添付されて|送付した|送付しました|送付済|お渡しした|共有した|共有しました|ご送付した|差し上げた)|送付済み|送付済の|添付済み|\b(my|our|the) (previous|earlier|last|prior) (e-?mail|mail|message)\b|\bi sent (you )?(earlier|yesterday|last week|before|previously)\b|\balready sent\b|\bsent (you )?(earlier|yesterday|last week|previously)\b|\bin my (previous|earlier|last) (e-?mail|mail|message)\b)")]
    private static partial Regex Earlier();

    [GeneratedRegex(@"(?i)((添付|送付|提出|返送|お送り|ご返信|返信|共有|アップロード)(して|にて|の上|のうえ|を)?(お送り|ご送付|送付|ご返送|ご返信|ご提出)?(ください|下さい|いただけ|頂け|願います|願えます|お願い|いただきたく|頂きたく|いただければ|頂ければ|くださいます|下さいます|くださる|下さる)|添付をお願い|ご添付(ください|下さい|願います|いただ)|\bplease (attach|send|forward|upload|return|provide|share)\b|\bcould you (please )?(attach|send|forward|share|provide)\b|\bcan you (please )?(attach|send|forward|share)\b|\bkindly (attach|send|forward|return)\b|\bsend (me|us) (the|your|a)\b|\bwould you (mind )?(attach|send)ing?\b)")]
    private static partial Regex Request();

    [GeneratedRegex(@"(?i)((添付|送付|ご送付|お送り)(いただいた|頂いた|いただきました|頂きました|くださった|下さった|いただき|頂き)|拝受|受領(いた|致)?し|拝見(いた|致)?し|受け取りました|\b(thank you|thanks) for (sending|the attached|your attached|the file|the document)\b|\breceived (your|the) (file|document|attachment)\b|\byour attached\b)")]
    private static partial Regex Received();

    // An offer, not a file: ご希望でしたらPDFでお送りいたします, "happy to send it if you need it".
    [GeneratedRegex(@"(?i)((ご希望|ご必要|必要|ご入用|ご要望)(でしたら|であれば|とあれば|の場合|の際|なら|がございましたら|がありましたら|とのことでしたら)|お申し付けください|お申し付け下さい|お声がけください|\bif you (would like|'d like|need|want|wish)\b|\bshould you (need|wish|require|want)\b|\b(happy|glad) to (send|share|provide)\b|\blet me know if you (would like|need|want)\b)")]
    private static partial Regex Offer();

    // Later (別途お送りします, but not 明日の会議資料を添付します), by post, or as a link instead of an attachment.
    [GeneratedRegex(@"(?i)((別途|後ほど|後程|追って|後日|準備(が)?でき次第|完成次第|でき次第)[^。]{0,12}(お送り|送付|ご送付|共有|お届け|ご連絡|送ら|送り|送る)|(来週|明日|明後日|週明け)(中|以降|まで)?(に|には|にでも|、)?[^。の]{0,6}(お送り|送付|ご送付|共有|お届け|送ら|送り|送る)|本文(に|中に|へ|内に)(直接)?(記載|記し|書|貼り付け|貼付|載せ|まとめ)|郵送|宅配|別送|郵便|持参|手渡し|ダウンロード|URL|リンク|共有フォルダ|Box|Google ?Drive|OneDrive|SharePoint|Dropbox|ファイル便|ギガファイル|クラウド|ポータル|\b(will|'ll|shall) (send|share|forward|email|provide)\b.{0,60}\b(later|tomorrow|next week|shortly|separately|soon|once)\b|\bseparately\b|\bby (post|courier|mail)\b|\bdownload\b|\blink\b|\bshared (folder|drive)\b|https?://)")]
    private static partial Regex OtherWay();
}
