using System.Text.RegularExpressions;

namespace SendGate.Core.Policies.Detectors;

/// <summary>
/// Finds the sentence in which the sender says this mail carries a file — 見積書を添付いたします,
/// 資料をお送りします, ご査収ください, please find attached, enclosed is — or shows one: the attached
/// document the reader is to act on (添付の検収書にご捺印のうえ…, please sign the attached form), a
/// photo or document presented as the message (納品書の写真です, 更新後のお見積り、こちらになります,
/// here is the photo), an edited file handed back (直したエクセル、お戻しします, here it is), a file
/// name given as this mail's (ファイル名：請求書.pdf, see report.pdf) and a letter's enclosure list
/// (送付書類 followed by numbered documents); a list, a sample or a copy sent (単価の一覧、お送りします,
/// 見本をお届けします), a file put into this mail (本メールに見本を入れております), the attached file by its
/// type (添付のExcelをご参照ください, 添付PDFの3ページ目), a file in this email ("you'll find the scan in
/// this email") and 同送いたします. Not one that only talks about a file: a negation
/// (添付は不要です, no attachment), an earlier mail (前回お送りした資料, 先日の添付, attached to my
/// previous email), the recipient's file (添付にてお送りください, please attach, ご添付の図面, the
/// drawing you attached), one that follows later or another way (別途お送りします, 郵送, a download
/// link, LINEで送りました), one already received (添付いただいた資料), content that follows in the body
/// (本日の議事録です followed by its items, 下記の一覧をお送りします, here is our forecast:,
/// 書類について、次のとおりご確認ください), paper mail (郵送で同送) or "enclosed" as a plain adjective
/// (an enclosed cabinet). Reads the sender's new text (<see cref="MailText"/>), so a quoted reply or a
/// signature says nothing. Compared after NFKC, case-insensitively.
/// </summary>
public static partial class AttachmentPromise
{
    /// <summary>The sentence that promises a file, or null when none does.</summary>
    public static string? Find(string newText)
    {
        var text = Fold(newText);
        // Most mail says nothing of the kind: one scan of the whole text spares the sentence checks. A
        // document presented (…の写真です, こちらになります) ends in です or になります, found by a literal scan.
        if (!Trigger().IsMatch(text) && !Predicate().IsMatch(text))
        {
            return null;
        }

        var pieces = Pieces(text);
        for (var i = 0; i < pieces.Count; i++)
        {
            var sentence = pieces[i].Trim();
            var found = Trigger().IsMatch(sentence)
                ? Promises(sentence) || Shows(sentence, pieces, i, text)
                : Predicate().IsMatch(sentence) && Presents(sentence, pieces, i);
            if (found)
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
        var says = JapanesePromise().IsMatch(sentence) || (SendVerb().IsMatch(sentence) && DocumentNoun().IsMatch(sentence) && !PointsInBody(sentence))
            || EnglishPromise().IsMatch(sentence) || EnglishEnclosed().IsMatch(sentence) || EnglishSending().IsMatch(sentence)
            || AttachedReference().IsMatch(sentence) || AttachedByType().IsMatch(sentence) || HandedBack(sentence)
            || (SentWith().IsMatch(sentence) && !ByPost().IsMatch(sentence));
        return (says && !Excluded(sentence)) || InThisEmail(sentence);
    }

    /// <summary>
    /// A document's points asked to be checked in the body (書類について、次のとおりご確認ください): the
    /// confirmation is of what follows, unless a file is sent too.
    /// </summary>
    private static bool PointsInBody(string sentence) =>
        FollowingPoints().IsMatch(sentence) && !SendOnly().IsMatch(sentence);

    /// <summary>
    /// A file said to be in this message — "you'll find the scan in this email", "the quote is included in
    /// this message" — read by its own clause, so "; the originals go by courier" after it does not undo it.
    /// </summary>
    private static bool InThisEmail(string sentence)
    {
        var m = EnglishInThisEmail().Match(sentence);
        if (!m.Success)
        {
            return false;
        }

        var start = sentence.LastIndexOf(';', m.Index) + 1;
        var end = sentence.IndexOf(';', m.Index + m.Length);
        var clause = sentence[start..(end < 0 ? sentence.Length : end)].Trim();
        return FileWord().IsMatch(clause) && !clause.EndsWith(':') && !InThisEmailNot().IsMatch(clause) && !Excluded(clause);
    }

    /// <summary>
    /// Whether a sentence that speaks of a file is about another one: negated, offered, sent later or
    /// another way, an earlier mail's (unless the sender then attaches one now), the recipient's (the
    /// same), or a request for theirs (but 添付の申込書にご記入のうえご返送ください asks them to act on ours).
    /// </summary>
    private static bool Excluded(string sentence)
    {
        if (Negation().IsMatch(sentence) || OtherWay().IsMatch(sentence) || OtherChannel().IsMatch(sentence) || Offer().IsMatch(sentence))
        {
            return true;
        }

        var earlier = Earlier().Match(sentence);
        if (earlier.Success && !OwnAct().IsMatch(sentence, earlier.Index + earlier.Length))
        {
            return true;
        }

        var received = Received().Match(sentence);
        if (!received.Success)
        {
            received = TheirsJa().Match(sentence);
        }

        if (!received.Success)
        {
            received = TheirsEn().Match(sentence);
        }

        if (received.Success && !OwnAct().Matches(sentence).Any(m => m.Index + m.Length <= received.Index || m.Index >= received.Index + received.Length))
        {
            return true;
        }

        return Request().IsMatch(sentence) && !AttachedReference().IsMatch(sentence) && !AttachedByType().IsMatch(sentence);
    }

    /// <summary>An edited file handed back: 直したエクセル、お戻しします, 修正版をお返しします, "I've updated the spreadsheet, here it is".</summary>
    private static bool HandedBack(string sentence) =>
        (ReturnVerb().IsMatch(sentence) && ReturnedFile().IsMatch(sentence) && !PhysicalThing().IsMatch(sentence))
        || (HereItIs().IsMatch(sentence) && FileWord().IsMatch(sentence)) || Returning().IsMatch(sentence);

    /// <summary>
    /// What a sentence shows with the lines around it: a document or photo presented as the message
    /// (…の写真です, お見積り、こちらになります, here is the photo) unless its content follows in the body
    /// or a link does; a file name given as this mail's (ファイル名：請求書.pdf, see report.pdf) unless
    /// the lines around it put the file somewhere else; a letter's enclosure list (送付書類 followed by
    /// numbered documents) unless the letter sends them by post.
    /// </summary>
    private static bool Shows(string sentence, List<string> pieces, int at, string text)
    {
        if (Presents(sentence, pieces, at) || ListSent(sentence, pieces, at))
        {
            return true;
        }

        if (Extension().IsMatch(sentence) && FileName().IsMatch(sentence)
            && (FileNameLabel().IsMatch(sentence) || FileIssued().IsMatch(sentence) || EnglishSeeFile().IsMatch(sentence)))
        {
            var around = string.Join('\n', pieces.Skip(Math.Max(0, at - 2)).Take(Math.Min(at, 2)).Concat(pieces.Skip(at + 1).Take(2)));
            return !Excluded(sentence) && !EarlierFile().IsMatch(sentence) && !Naming().IsMatch(sentence)
                && !OtherWay().IsMatch(around) && !OtherChannel().IsMatch(around) && !Request().IsMatch(around);
        }

        if (EnclosureLine().IsMatch(sentence))
        {
            return !Negation().IsMatch(sentence) && !OtherWay().IsMatch(sentence);
        }

        return EnclosureHeading().IsMatch(sentence) && at + 1 < pieces.Count && ListItem().IsMatch(pieces[at + 1].Trim())
            && !ByPost().IsMatch(text);
    }

    /// <summary>
    /// A list, a table, a sample or a copy sent (新単価の一覧、お送りします, 見本をお届けします, 免許証のコピーを送ります)
    /// unless the list is the body's (下記/以下, a colon, list lines after it) or goes later or by post.
    /// </summary>
    private static bool ListSent(string sentence, List<string> pieces, int at) =>
        ListNoun().IsMatch(sentence) && ListSendVerb().IsMatch(sentence) && !BodyList().IsMatch(sentence)
        && !Excluded(sentence) && !ContentFollows(sentence, pieces, at);

    /// <summary>A document or photo presented as the message, its content not in the body and no link after it.</summary>
    private static bool Presents(string sentence, List<string> pieces, int at) =>
        Presented(sentence) && !Excluded(sentence) && !ContentFollows(sentence, pieces, at)
        && !LinkLine().IsMatch(string.Join('\n', pieces.Skip(at + 1).Take(2)));

    private static bool Presented(string sentence)
    {
        // The document is the sentence's predicate: only its end is read.
        var end = sentence.Length > 60 ? sentence[^60..] : sentence;
        return (PresentedDoc().IsMatch(end) && !Topic().IsMatch(sentence))
            || (Pointing().IsMatch(sentence) && PointedDoc().IsMatch(sentence))
            || (sentence.Contains("here", StringComparison.OrdinalIgnoreCase) && HereIs().IsMatch(sentence));
    }

    /// <summary>The document's content in the body: the sentence ends in a colon, or the next lines are a list, a table, key: value lines, indented, or say 以下/下記.</summary>
    private static bool ContentFollows(string sentence, List<string> pieces, int at)
    {
        if (sentence.EndsWith(':') || sentence.EndsWith('：'))
        {
            return true;
        }

        foreach (var piece in pieces.Skip(at + 1).Take(2))
        {
            if ((piece.Length > 0 && piece[0] is ' ' or '\t') || ContentLine().IsMatch(piece.Trim()))
            {
                return true;
            }
        }

        return false;
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
    internal static IEnumerable<string> Sentences(string text) => Pieces(text).Select(p => p.Trim());

    /// <summary>The sentences as split, not trimmed: a list's indentation tells a body's content.</summary>
    private static List<string> Pieces(string text)
    {
        text = EnglishWrapped().Replace(Wrapped().Replace(text, ""), " ");
        var pieces = new List<string>();
        foreach (var piece in SentenceBreak().Split(text))
        {
            if (piece.Trim().Length > 1)
            {
                pieces.Add(piece.TrimEnd());
            }
        }

        return pieces;
    }

    // Documents a sentence can present (…の写真です, お見積り、こちらになります); the edited ones (修正版) too.
    private const string DocJa = @"(資料|書類|ファイル|データ|PDF|Excel|エクセル|Word|ワード|CSV|写真|画像|スクショ|スクリーンショット|キャプチャ|写メ|スキャン|図面|見積書|見積り書|お?見積り?|請求書|納品書|検収書|契約書|覚書|報告書|議事録|提案書|企画書|仕様書|申込書|注文書|発注書|注文請書|明細書|計画書|手順書|証明書|確認書|承諾書|同意書|依頼書|申請書|送り状|一覧表|工程表|日程表|予定表|集計表|明細|控え|カタログ|パンフレット|スライド|シート|原稿|ドラフト|マニュアル|様式|書式|フォーム|用紙|テンプレート|ひな形|雛形|(修正|改訂|更新|最新|訂正|差し?替え|差替|完成|確定|最終|第\d+)版|(修正し|訂正し|更新し|手直しし|反映し|差し?替え|差替え|作り直し|直し|作成し|まとめ)たもの)";

    // Files in English, for "here is the photo", "the enclosed form", "sending the screenshot".
    private const string FileEn = @"(files?|documents?|docs?|forms?|invoices?|quotes?|quotations?|estimates?|cop(y|ies)|contracts?|agreements?|reports?|statements?|certificates?|drawings?|spreadsheets?|sheets?|workbooks?|pdfs?|photos?|pictures?|pics?|images?|screenshots?|screen shots?|scans?|price ?lists?|brochures?|catalogu?es?|proposals?|presentations?|slides|decks?|minutes|specifications?|specs?|manuals?|drafts?|versions?|revisions?|letters?|receipts?|packing lists?|purchase orders?)";

    // A file's name: report_march.pdf, 2027年3月度_ご請求書.pdf.
    private const string FileNameEn = @"(?<![\w\-+#&\[\]【】~・()])[\w\-+#&\[\]【】~・()]{1,80}\.(pdf|xlsx|xlsm|xls|docx|doc|pptx|ppt|csv|zip|txt|jpe?g|png|gif|heic|tiff?|dwg|dxf|msg|eml|7z|lzh)(?![A-Za-z0-9])";

    // Every promise below contains one of these.
    [GeneratedRegex(@"(?i)(添付|別添|同封|同梱|メール(で|に|にて)|査収|お送り|送付|転送|共有|お届け|お渡し|送らせ|確認|目通し|一読|別紙|付け|書類|ファイル名|お戻し|お返し|返送|返却|写真|画像|スクショ|スクリーンショット|キャプチャ|写メ|(こちら|以下|下記)(になります|です|でございます|となります)|\.(pdf|xlsx|xlsm|xls|docx|doc|pptx|ppt|csv|zip|txt|jpe?g|png|gif|heic|tiff?|dwg|dxf)(?![a-z0-9])|同送|送ります|attach|enclos|includ|please find|in this (e-?mail|mail|message)|sending|send back|returning|here is|here's|here are|here it|here they|see the|with this)")]
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
    [GeneratedRegex(@"(?i)(添付(いた|致)?し(ます|ました|ております|ています)|添付させて(いただき|頂き)|添付(の|した)(ファイル|資料|書類|データ|とおり|通り|もの)|添付ファイル|添付資料|添付にて(失礼|お送り(いた|致)?します|送付|ご確認|ご送付いたします)|添付(を|も)?ご(確認|査収|参照|覧)|添付(いたします|致します|します)|ご査収|別添|同封(いた|致)?し|添付いたしますので|添付のPDF|添付のExcel|添付しましたので|別紙(を|の|に|にて)?(ご確認|ご参照|参照|ご覧|とおり|通り|記載|のように|の内容)|お付け(いた|致)?し(ます|ました)|お付けして(おります|います)|(?<!(気|番号|名前|名|印|丸|点数|順位|条件|注釈|説明|理由|見出し|日付|優先順位))(を|も)(お)?付け(して|て)?(おります|います|おきます|おきました|あります|いたします|いたしました|しました|します)|(PDF|pdf|Excel|エクセル|Word|ワード|CSV|csv|zip|ZIP|データ|ファイル)(で|にて|にして)(お)?付け(て|させて)(おきます|おきました|おります|います|いただきます)|(本|この)メール(で|にて|に)[^。]{0,20}(お送り|送付|お届け|添付|共有|お付け|同梱|同封|送り|送ら|入れ(て(おります|います|あります|おきました|おきます)|ました|ます))|まとめて(お)?付け(まし|て|ておき))")]
    private static partial Regex JapanesePromise();

    // Sending verbs that say so only with a document noun (資料をお送りします, not メールをお送りします).
    [GeneratedRegex(@"(?i)(お送り(いた|致)?します|転送(いた|致)?します|お送りさせて(いただき|頂き)ます|お送り(いた|致)?しました|送付(いた|致)?します|送付(いた|致)?しました|送付させて(いただき|頂き)ます|お届け(いた|致)?し(ます|ました)|お送りいたしますので|送ります|送りました|お送りして(おります|います)|送付して(おります|います)|お届けして(おります|います)|共有して(おります|います)|送らせて(いただき|頂き)ます|共有(いた|致)?します|お渡しします|ご確認ください|ご確認下さい|ご確認をお願い|ご確認のほど|ご確認いただけ|ご確認いただきたく|(PDF|pdf|Excel|データ)(に|化)(して|し)(おきました|ました|おります)|お目通し|ご一読)")]
    private static partial Regex SendVerb();

    [GeneratedRegex(@"(?i)(資料|見積書|見積り書|お見積書|お見積り|見積|請求書|契約書|覚書|ファイル|データ|書類|図面|報告書|議事録|提案書|企画書|仕様書|申込書|注文書|発注書|納品書|明細書|明細|カタログ|パンフレット|写真(?!撮影|館|家|展)|画像(?!処理|認識|診断)|スクショ|スクリーンショット|キャプチャ|写メ|スキャン|検収書|承諾書|同意書|確認書|証明書|依頼書|申請書|送り状|\.(xlsx|xlsm|xls|docx|pptx|jpe?g|png)(?![A-Za-z0-9])|PDF|Excel|エクセル|Word|ワード|PowerPoint|パワーポイント|スライド|一覧表|リスト|原稿|ドラフト|案内状|名簿|スケジュール表|日程表|工程表|計画書|手順書|マニュアル|CSV|csv|zip|ZIP|添付|一式|別紙|シート)")]
    private static partial Regex DocumentNoun();

    [GeneratedRegex(@"(?i)(\battached\b|\battachment(s)?\b|\bplease find\b(?!\s+(below|hereunder|here under|the (details|schedule|information|summary|figures|list) below))|\bi('ve| have) (attached|included)\b|\b(i'm|i am|we're|we are) (attaching|enclosing|including)\b|\battaching\b|\bsending (over|across|you) (the|a|our|my)\b|\bincluded (is|are|with this|here)\b|\b(sending|send|enclosing|including|forwarding|attaching)\b.{0,80}\bwith this (e-?mail|mail|message)\b|\bsee the (file|document)\b|\bi am sending you (the|a|our) (file|document|quote|invoice|report)|\bfind the .{0,40}\b(attached|enclosed)\b)")]
    private static partial Regex EnglishPromise();

    // "enclosed" promises a file only as enclosed is / please find enclosed / the enclosed form, not as an enclosed cabinet.
    [GeneratedRegex(@"(?i)(\benclosed (is|are|please find|herewith|you will find|you'll find|for your|with this)\b|\bplease find enclosed\b|\b(i|we)('ve| have) enclosed\b|\benclosed " + FileEn + @"\b|\benclosed\b(?<=\b" + FileEn + @" (is|are|has been|have been) enclosed))")]
    private static partial Regex EnglishEnclosed();

    // "Sending a photo of the label", "sending you the revised quote".
    [GeneratedRegex(@"(?i)\bsending (you |over |across |back )*(the|a|an|our|my|some|two|three|\d+)\b[\w\- ]{0,30}?\b" + FileEn + @"\b")]
    private static partial Regex EnglishSending();

    [GeneratedRegex(@"(?i)((梱包|箱|現品|製品|荷物|伝票|段ボール|パレット|納品書|品物|商品)(に|へ|の中に|内に)(同梱|添付)|添付(は|も)?(不要|なし|無し|ありません|ございません|いたしません|しておりません|していません|できません|できない|省略|せず|しない)|添付不要|添付なし|添付(の)?[^、。]{0,10}(は|も)(不要|必要ありません|必要ございません)|添付[^。]{0,8}(入れて|付けて)(おりません|いません|ない)|添付(ファイル)?(が|は|を)?(開け|ひらけ)(ない|ません)|(ファイル|添付)[^。]{0,6}(が|は)(開け|ひらけ|開か)(ない|ません|なかった)|添付(書類|ファイル)?\s*[:：]\s*(なし|無し|ありません|ございません)|添付(ファイル)?(が|は)(付いて|ついて)(いない|いません|おりません|いなかった)|ファイル(は|も)?(不要|ありません|ございません)|資料(は|も)?(不要|ありません|ございません|ご用意しておりません)|\bno attachments?\b|\bnot attached\b|\bwithout (an |any )?attachments?\b|\bnothing (is )?attached\b|\bno (file|document)s? (is |are )?(attached|needed|required)\b|\bdo not need to attach\b|\bdon't need to attach\b|\bnot (include|including) (the|any) (file|attachment))")]
    private static partial Regex Negation();

    [GeneratedRegex(@"(?i)((前回|先日|先ほど|先程|昨日|一昨日|以前|先週|先月|先般|過日|前の|前便|既に|すでに|以前に|これまでに)[^。]{0,30}(お送りした|お送りしました|送った|送りました|お付けした|添付した|添付しました|添付されて|送付した|送付しました|送付済|お渡しした|共有した|共有しました|ご送付した|差し上げた)|(前回|先日|先ほど|先程|昨日|一昨日|以前|先週|先月|先般|過日|前便|前の)(の|に|で)?(メール|便|ご連絡|お知らせ)?(の|に|で)?添付|送付済み|送付済の|添付済み|\b(my|our|the) (previous|earlier|last|prior) (e-?mail|mail|message)\b|\bi sent (you )?(earlier|yesterday|last week|before|previously)\b|\balready sent\b|\bsent (you )?(earlier|yesterday|last week|previously)\b|\bin my (previous|earlier|last) (e-?mail|mail|message)\b)")]
    private static partial Regex Earlier();

    [GeneratedRegex(@"(?i)((添付|送付|提出|返送|お送り|ご返信|返信|共有|アップロード)(して|にて|の上|のうえ|を)?(お送り|ご送付|送付|ご返送|ご返信|ご提出)?(ください|下さい|いただけ|頂け|願います|願えます|お願い|いただきたく|頂きたく|いただければ|頂ければ|くださいます|下さいます|くださる|下さる)|添付をお願い|ご添付(ください|下さい|願います|いただ)|\bplease (attach|send|forward|upload|return|provide|share)\b|\bcould you (please )?(attach|send|forward|share|provide)\b|\bcan you (please )?(attach|send|forward|share)\b|\bkindly (attach|send|forward|return)\b|\bsend (me|us) (the|your|a)\b|\bwould you (mind )?(attach|send)ing?\b)")]
    private static partial Regex Request();

    [GeneratedRegex(@"(?i)((添付|送付|ご送付|お送り)(いただいた|頂いた|いただきました|頂きました|くださった|下さった|いただき|頂き)|拝受|受領(いた|致)?し|拝見(いた|致)?し|受け取りました|\b(thank you|thanks) for (sending|returning|forwarding|sharing|the attached|your attached|the file|the document)\b|\breceived (your|the) (file|document|attachment)\b|\byour attached\b)")]
    private static partial Regex Received();

    // The recipient's file: ご添付の図面, いただいたメールの添付, the drawing you attached, your attachment.
    [GeneratedRegex(@"(?i)(ご添付(の|いただ|頂|くださ|下さ|され)|(いただいた|頂いた|いただきました|頂きました)(メール|ご連絡|便)?の?添付|ご添付|添付されて(い|おり)(た|ました)|(様|さん|御社|貴社|先方|お客様)(が|から|より|にて|の)[^。]{0,6}添付)")]
    private static partial Regex TheirsJa();

    [GeneratedRegex(@"(?i)(\byou (have |had |'ve |just |kindly |already )?(attached|sent|forwarded|shared|enclosed|provided|included|uploaded|e-?mailed)\b|\byour (attachment|attached|enclosed)s?\b|(?<=\b(attached|enclosed) )(to|in|with) (your|their|his|her) (e-?mail|mail|message|reply|letter)\b|\bthe attachment (in|to|of|from|with) (your|their)\b)")]
    private static partial Regex TheirsEn();

    // An offer, not a file: ご希望でしたらPDFでお送りいたします, "happy to send it if you need it".
    [GeneratedRegex(@"(?i)((ご希望|ご必要|必要|ご入用|ご要望)(でしたら|であれば|とあれば|の場合|の際|なら|がございましたら|がありましたら|とのことでしたら)|お申し付けください|お申し付け下さい|お声がけください|\bif you (would like|'d like|need|want|wish)\b|\bshould you (need|wish|require|want)\b|\b(happy|glad) to (send|share|provide)\b|\blet me know if you (would like|need|want)\b)")]
    private static partial Regex Offer();

    // Later (別途お送りします, but not 明日の会議資料を添付します), by post, or as a link instead of an attachment.
    [GeneratedRegex(@"(?i)((別途|後ほど|後程|追って|後日|準備(が)?でき次第|完成次第|でき次第)[^。]{0,12}(お送り|送付|ご送付|共有|お届け|ご連絡|送ら|送り|送る)|(来週|明日|明後日|週明け)(中|以降|まで)?(に|には|にでも|、)?[^。の]{0,6}(お送り|送付|ご送付|共有|お届け|送ら|送り|送る)|本文(に|中に|へ|内に)(直接)?(記載|記し|書|貼り付け|貼付|載せ|まとめ)|郵送|宅配|別送|郵便|持参|手渡し|ダウンロード|URL|リンク|共有フォルダ|Box|Google ?Drive|OneDrive|SharePoint|Dropbox|ファイル便|ギガファイル|クラウド|ポータル|\b(will|'ll|shall)( be)? (send|sending|share|sharing|forward|forwarding|email|emailing|provide|providing)\b.{0,60}\b(later|tomorrow|next week|shortly|separately|soon|once)\b|\bseparately\b|\bby (post|courier|mail)\b|\bdownload\b|\blink\b|\bshared (folder|drive)\b|https?://)")]
    private static partial Regex OtherWay();

    // By chat or fax (LINEでお送りしました, via Teams), or by a date (金曜日までにお送りします).
    [GeneratedRegex(@"(?i)((LINE( ?WORKS)?|Teams|Slack|チャット|Chatwork|チャットワーク|FAX|ファックス|ファクス)(で|にて|経由で?|から)[^。]{0,15}(お送り|送付|送り|送ら|共有|お届け|連携|投稿|アップ)|までに[^。]{0,6}(お送り|送付|ご送付|共有|お届け|送ら|送り|送る)|\b(via|through|over|by) (teams|slack|line|whatsapp|wechat|fax|the portal|our portal)\b)")]
    private static partial Regex OtherChannel();

    // The attached document as the thing the reader acts on: 添付の検収書にご捺印のうえ…, 添付の資料をご覧ください, the attached form.
    [GeneratedRegex(@"(?i)(添付(の|した|しました|しております|している)(?!件|有無|方法|仕方|際|上限|容量|サイズ|可否|漏れ|忘れ|ルール|必要|要否|お願い|ご?依頼|手順|場合|時|とき|形式|制限|禁止|取りやめ|廃止|運用|対象|ご協力|是非|可能|不要|機能|操作|エラー|不具合|つもり|はず)[^、。\sをにがはでとへやかも]{0,20}?(書|票|表|図|案|版|覧|簿|帳|控え?|資料|ファイル|データ|写真|画像|シート|フォーム|様式|書式|用紙|PDF|Excel|エクセル|Word|ワード|リスト|原稿|明細|見積り?|カタログ|パンフレット|スライド|とおり|通り|もの|内容|一式|別紙|ドキュメント|CSV|zip)|\bthe attached\b|\bthe enclosed " + FileEn + @"\b)")]
    private static partial Regex AttachedReference();

    // The attached file by its type as the thing to read: 添付のExcelをご参照ください, 添付PDFの3ページ目, 添付ファイル（Word）.
    [GeneratedRegex(@"(?i)(?<!ご)添付(の|した)?\s*(ファイル\s*\(\s*)?(Excel|エクセル|PDF|Word|ワード|CSV|zip|画像|写真|ファイル)(?!の?(添付|送付|形式|容量|サイズ|上限|名の?付け方|は(不要|送れ|添付でき)))")]
    private static partial Regex AttachedByType();

    // 同送: sent with this mail (PDFで同送いたします); with a letter by post it is paper (郵送で同送).
    [GeneratedRegex(@"同送(いた|致)?し(ます|ました|ております|ています)(?!ん)|同送させて(いただき|頂き)ます")]
    private static partial Regex SentWith();

    // A list, a table, a sample or a copy as a document.
    [GeneratedRegex(@"(?i)(一覧|リスト|明細|見本|サンプル(?!品|機|製品)|スキャン|写し|コピー)")]
    private static partial Regex ListNoun();

    [GeneratedRegex(@"(お送り(いた|致)?します|お送りさせて(いただき|頂き)ます|送ります|お届け(いた|致)?します|送付(いた|致)?します)")]
    private static partial Regex ListSendVerb();

    [GeneratedRegex(@"(下記|以下|次の|つぎの|[:：]$)")]
    private static partial Regex BodyList();

    // "You'll find the scan … in this email", "the quote is included in this message", "you will find … with this email".
    [GeneratedRegex(@"(?i)(\b(you('ll| will| can| should) find|(is|are) (also )?(included|enclosed|attached)|(i|we)('ve| have) (included|put))\b[^;]{0,80}?\b(in|with) this (e-?mail|mail|message)\b|\b(is|are) (now |also )?(in|with) this (e-?mail|mail|message)\b|\b(in|with) this (e-?mail|mail|message),? (you('ll| will| can) find|(i|we)('ve| have) (included|attached|enclosed))\b)(?!\s*(thread|chain))")]
    private static partial Regex EnglishInThisEmail();

    // …but not the body's content or a thread's talk: below, the following, as mentioned, to follow.
    [GeneratedRegex(@"(?i)\b(below|following|thread|chain|mention(ed)?|discuss(ed)?|follow|later|next week|tomorrow)\b")]
    private static partial Regex InThisEmailNot();

    [GeneratedRegex(@"(次|以下|下記)の(とおり|通り)")]
    private static partial Regex FollowingPoints();

    [GeneratedRegex(@"(お送り(いた|致)?し(ます|ました)|送付(いた|致)?し(ます|ました)|お送りさせて|送付させて|送ります|送りました|お届け(いた|致)?し(ます|ました)|共有(いた|致)?します|お渡しします)")]
    private static partial Regex SendOnly();

    // The sender attaching now, which an earlier mail or the recipient's file in the same sentence does not undo.
    [GeneratedRegex(@"(?i)(添付(いた|致)?します|添付(いた|致)?しております|添付しています|添付させて(いただき|頂き)ます|同封(いた|致)?し(ます|ております)|お付け(いた|致)?します|(お戻し|お返し)(いた|致)?します|改めて(お送り|送付|添付)|\bi('ve| have) (attached|enclosed|included)\b|\b(i'm|i am|we're|we are) (attaching|enclosing|sending back|returning)\b|\b(attached|enclosed) (is|are|please find)\b|\bplease find (attached|enclosed)\b|\b(is|are) (now )?(attached|enclosed)\b)")]
    private static partial Regex OwnAct();

    [GeneratedRegex(@"(お戻し|お返し|返送|返却)((いた|致)?し(ます|ました)|させて(いただき|頂き)ます)")]
    private static partial Regex ReturnVerb();

    // What is handed back is a file: a format, a version, or a document edited.
    [GeneratedRegex(@"(?i)(エクセル|Excel|ワード|Word|PDF|パワポ|ファイル|シート|データ|版|CSV|xlsx|docx|(修正|直し|直した|手直し|反映|加筆|赤入れ|朱入れ|更新|訂正|差し?替え|コメント)[^。]{0,20}(資料|書類|図面|見積|請求書|表|もの|原稿|案))")]
    private static partial Regex ReturnedFile();

    // Things handed back in person or by post: an original, a sample, goods.
    [GeneratedRegex(@"(原本|現物|現品|お預かり|預かり|お借り|借りて|貸与|貸出|サンプル|試作品|製品|部品|商品|見本|機器|端末|パソコン|USB|媒体|郵送|着払い|宅配)")]
    private static partial Regex PhysicalThing();

    // "…the spreadsheet, here it is."
    [GeneratedRegex(@"(?i)\bhere (it|they) (is|are)\b(?=\s*[.!,;:)]|\s*$)")]
    private static partial Regex HereItIs();

    [GeneratedRegex(@"(?i)\b" + FileEn + @"\b")]
    private static partial Regex FileWord();

    // "I'm returning the signed contract", "Sending back the marked-up drawing" (not "thank you for returning").
    [GeneratedRegex(@"(?i)(?:^|(?<=\b(?:i'm|i am|we're|we are)\s+))(returning|sending back)\b.{0,40}\b" + FileEn + @"\b")]
    private static partial Regex Returning();

    [GeneratedRegex(@"(です|になります|でございます|となります)")]
    private static partial Regex Predicate();

    [GeneratedRegex(@"(こちら|以下|下記)(になります|です|でございます|となります)")]
    private static partial Regex Pointing();

    [GeneratedRegex(@"(?i)\.(pdf|xlsx|xlsm|xls|docx|doc|pptx|ppt|csv|zip|txt|jpe?g|png|gif|heic|tiff?|dwg|dxf|msg|eml|7z|lzh)(?![a-z0-9])")]
    private static partial Regex Extension();

    // A document presented as the message: 納品書控えの写真です, 修正版です, こちらが見積書です.
    [GeneratedRegex(@"(?i)" + DocJa + @"(\s*\([^)]{0,20}\))?(です|になります|でございます|となります)[。!！]?$")]
    private static partial Regex PresentedDoc();

    // …but a topic makes it a statement about a document (必要なのは見積書です, 議題は請求書です), and 以上 sums up the body.
    [GeneratedRegex(@"(?<!こちら|これ|それ|今回|本日|今日|今度|以下|下記|添付|最新|先ほど|先程)(?<=[\p{IsCJKUnifiedIdeographs}\p{IsKatakana}ー々A-Za-z0-9)])は|のは|^以上")]
    private static partial Regex Topic();

    // A document pointed at: 更新後のお見積り、こちらになります / 資料は以下になります.
    [GeneratedRegex(@"(?i)" + DocJa + @"(\s*\([^)]{0,30}\))?\s*(は|が|も|、|,)?\s*(こちら|以下|下記)(になります|です|でございます|となります)")]
    private static partial Regex PointedDoc();

    [GeneratedRegex(@"(?i)(\b(here's|here are) (the|our|my)\b|\bhere is (the|a|an|our|my|your|some|two|three|\d+)\b[\w\- ,]{0,40}?\b" + FileEn + @"\b)")]
    private static partial Regex HereIs();

    // A body's content after the sentence: a list, a table, key: value lines, 以下/下記.
    [GeneratedRegex(@"^([・•\-*■□●○◆◇▼▽▶►※>|┃│┌├└─━=【\[〔<(]|\d+\s*[.)、:]|\d+\s|[a-zA-Z][.)]\s|第\d|以下|下記|[^。、]{1,20}[:：])")]
    private static partial Regex ContentLine();

    [GeneratedRegex(@"(?i)(https?://|www\.|URL|リンク|ダウンロード|\blink\b|\bdownload\b)")]
    private static partial Regex LinkLine();

    [GeneratedRegex(@"(?i)" + FileNameEn)]
    private static partial Regex FileName();

    // ファイル名：…, 添付ファイル：…, File name: … — a line that names this mail's file.
    [GeneratedRegex(@"(?i)^([・\-*■●◆□▼>]\s*)?((添付|送付|ご送付)?(ファイル名?)|添付|file ?names?|attachments?|attached files?|files?)\s*[:：]")]
    private static partial Regex FileNameLabel();

    [GeneratedRegex(@"(発行|作成|更新|修正|用意|準備|作り直し|差し替え|訂正)(いた|致)?し(ました|ております|ています|ます)")]
    private static partial Regex FileIssued();

    // A file name given as a rule to follow, not a file: ファイル名は「会社名_日付.pdf」としてください, save it as ….
    [GeneratedRegex(@"(?i)(として|にして|と命名|で保存|に変更|の形式|の形で|形式で|でお願い|\b(name it|save it|save as|rename|naming|format)\b)")]
    private static partial Regex Naming();


    [GeneratedRegex(@"(?i)\b(see|refer to|check|review|open|find|sending|here is|here's|attaching|please find)\s+(the\s+|a\s+|our\s+|my\s+)?((attached|enclosed|file|document)\s+)*" + FileNameEn)]
    private static partial Regex EnglishSeeFile();

    // A file name that is somewhere else: an earlier mail's, one stored or received.
    [GeneratedRegex(@"(?i)(前回|先日|先ほど|先程|昨日|以前|前便|先週|先月|過去|旧|保存|格納|置いて|置きました|アップ|受信|受け取|届いた|いただいた|頂いた|\b(previous|earlier|last|old|saved|stored|uploaded|received|got)\b)")]
    private static partial Regex EarlierFile();

    // A letter's enclosure list: 送付書類 / 同封書類 / 添付書類 as a heading, the documents numbered below it.
    [GeneratedRegex(@"^[\s■□●◆◇【\[〔<《(]*(送付|同封|添付|別添)(書類|資料|物|品|ファイル|文書)(一覧|明細|目録|の内容)?[\s】\]〕>》)]*[:：]?$")]
    private static partial Regex EnclosureHeading();

    // …or on one line: 送付書類：見積書 1部 (but 添付書類：なし).
    [GeneratedRegex(@"^[\s■□●◆◇【\[〔<《(]*(送付|同封|添付|別添)(書類|資料|物|品|ファイル|文書)[\s】\]〕>》)]*[:：]\s*(?!なし|無し|ありません|ございません|郵送|別送|-|ー|—)\S")]
    private static partial Regex EnclosureLine();

    [GeneratedRegex(@"^(\d+\s*[.)、:]|\(\d+\)|\d+\s|[・•\-*])")]
    private static partial Regex ListItem();

    // A letter whose documents go by post or by hand.
    [GeneratedRegex(@"(郵送|別送|宅配|書留|レターパック|持参|手渡し|別便)(?![^。\n]{0,6}(省略|不要|いたしません|しません|致しません|行いません|控え))")]
    private static partial Regex ByPost();
}
