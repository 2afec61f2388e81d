using System.Globalization;
using System.Text;

namespace SendGate.IntegrationTests.Infrastructure;

/// <summary>What the intake must do with an edge case.</summary>
public enum EdgeCaseExpectation
{
    /// <summary>A valid message: accepted (202) and delivered unchanged.</summary>
    Accepted,

    /// <summary>Not a message that can be sent: refused with a 4xx problem.</summary>
    Refused,

    /// <summary>Broken or dubious: either accepted and delivered unchanged, or refused with a 4xx problem.</summary>
    AcceptedOrRefused,
}

/// <summary>One generated message: its name says which structure it exercises.</summary>
public sealed record EdgeCase(string Name, EdgeCaseExpectation Expectation, byte[] Raw);

/// <summary>
/// The repository's own set of MIME structures the intake must survive, generated in memory so
/// that it runs everywhere: deep and broken multiparts, odd charsets, encoded-word tricks, huge and
/// dirty headers, dirty bodies, transfer-encoding junk, attached messages, TNEF and long lines.
/// </summary>
internal static class EdgeCaseMime
{
    private const string Crlf = "\r\n";
    private const string Envelope = "From: Sender <sender@example.co.jp>\r\nTo: to@example.com\r\n";

    public static readonly IReadOnlyList<EdgeCase> All = Build();

    public static EdgeCase Get(string name) => All.Single(c => c.Name == name);

    private static List<EdgeCase> Build()
    {
        var cases = new List<EdgeCase>();
        void Add(string name, EdgeCaseExpectation expectation, byte[] raw) => cases.Add(new EdgeCase(name, expectation, raw));
        const EdgeCaseExpectation ok = EdgeCaseExpectation.Accepted;
        const EdgeCaseExpectation either = EdgeCaseExpectation.AcceptedOrRefused;
        const EdgeCaseExpectation refused = EdgeCaseExpectation.Refused;

        // --- multipart structure
        Add("multipart nested 60 levels deep", ok, Nested(60));
        Add("multipart nested 1100 levels, past MimeKit's limit", either, Nested(1100));
        Add("multipart with 500 sibling parts", ok, Ascii(Headers("500 parts", "Content-Type: multipart/mixed; boundary=\"many\"")
            + string.Concat(Enumerable.Range(1, 500).Select(i => $"--many{Crlf}Content-Type: text/plain; charset=us-ascii{Crlf}{Crlf}part {i}{Crlf}"))
            + $"--many--{Crlf}"));
        Add("multipart with preamble and epilogue", ok, Ascii(Headers("preamble", "Content-Type: multipart/mixed; boundary=\"b\"")
            + $"This is the preamble; MIME readers ignore it.{Crlf}--b{Crlf}Content-Type: text/plain{Crlf}{Crlf}body{Crlf}--b--{Crlf}This is the epilogue.{Crlf}"));
        Add("multipart with a 70-character odd boundary", ok, Ascii(Headers("long boundary",
                "Content-Type: multipart/alternative; boundary=\"'()+_,-./:=? 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW\"")
            + $"--'()+_,-./:=? 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW{Crlf}Content-Type: text/plain{Crlf}{Crlf}plain{Crlf}"
            + $"--'()+_,-./:=? 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW{Crlf}Content-Type: text/html{Crlf}{Crlf}<p>html</p>{Crlf}"
            + $"--'()+_,-./:=? 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW--{Crlf}"));
        Add("multipart whose boundary never occurs", either, Ascii(Headers("absent boundary", "Content-Type: multipart/mixed; boundary=\"nowhere\"")
            + $"--elsewhere{Crlf}Content-Type: text/plain{Crlf}{Crlf}text{Crlf}--elsewhere--{Crlf}"));
        Add("multipart without a boundary parameter", either, Ascii(Headers("no boundary", "Content-Type: multipart/mixed")
            + $"--b{Crlf}Content-Type: text/plain{Crlf}{Crlf}text{Crlf}--b--{Crlf}"));
        Add("multipart with two boundary parameters", either, Ascii(Headers("two boundaries", "Content-Type: multipart/mixed; boundary=\"one\"; boundary=\"two\"")
            + $"--one{Crlf}Content-Type: text/plain{Crlf}{Crlf}first{Crlf}--two{Crlf}Content-Type: text/plain{Crlf}{Crlf}second{Crlf}--one--{Crlf}--two--{Crlf}"));
        Add("nested multipart reusing the outer boundary", either, Ascii(Headers("same boundary", "Content-Type: multipart/mixed; boundary=\"same\"")
            + $"--same{Crlf}Content-Type: multipart/alternative; boundary=\"same\"{Crlf}{Crlf}--same{Crlf}Content-Type: text/plain{Crlf}{Crlf}inner{Crlf}--same--{Crlf}"
            + $"--same{Crlf}Content-Type: text/plain{Crlf}{Crlf}outer{Crlf}--same--{Crlf}"));
        Add("multipart without its closing boundary", either, Ascii(Headers("unterminated", "Content-Type: multipart/mixed; boundary=\"open\"")
            + $"--open{Crlf}Content-Type: text/plain{Crlf}{Crlf}first{Crlf}--open{Crlf}Content-Type: text/plain{Crlf}{Crlf}the message ends here{Crlf}"));
        Add("inner multipart unterminated, outer one closed", either, Ascii(Headers("inner open", "Content-Type: multipart/mixed; boundary=\"outer\"")
            + $"--outer{Crlf}Content-Type: multipart/alternative; boundary=\"inner\"{Crlf}{Crlf}--inner{Crlf}Content-Type: text/plain{Crlf}{Crlf}inner text{Crlf}"
            + $"--outer{Crlf}Content-Type: text/plain{Crlf}{Crlf}outer text{Crlf}--outer--{Crlf}"));
        Add("multipart with no parts, only the closing boundary", either, Ascii(Headers("no parts", "Content-Type: multipart/mixed; boundary=\"b\"")
            + $"--b--{Crlf}"));
        Add("multipart with an empty boundary parameter", either, Ascii(Headers("empty boundary", "Content-Type: multipart/mixed; boundary=\"\"")
            + $"--{Crlf}Content-Type: text/plain{Crlf}{Crlf}text{Crlf}----{Crlf}"));

        // --- charsets
        var iso2022 = Encoding.GetEncoding("iso-2022-jp");
        Add("ISO-2022-JP body and encoded-word subject", ok, Bytes(
            Ascii($"{Envelope}Subject: =?ISO-2022-JP?B?{Convert.ToBase64String(iso2022.GetBytes("見積書の送付"))}?={Crlf}MIME-Version: 1.0{Crlf}"
                + $"Content-Type: text/plain; charset=ISO-2022-JP{Crlf}Content-Transfer-Encoding: 7bit{Crlf}{Crlf}"),
            iso2022.GetBytes("お世話になっております。\r\n見積書を送付いたします。\r\n")));
        var shiftJis = Encoding.GetEncoding("shift_jis");
        Add("Shift_JIS 8bit body", ok, Bytes(
            Ascii(Headers("Shift_JIS", $"Content-Type: text/plain; charset=Shift_JIS{Crlf}Content-Transfer-Encoding: 8bit")),
            shiftJis.GetBytes("表示・ソース・十・能（ダメ文字を含む本文）\r\n")));
        var eucJp = Encoding.GetEncoding("euc-jp");
        Add("EUC-JP quoted-printable body and subject", ok, Bytes(
            Ascii($"{Envelope}Subject: =?EUC-JP?Q?{QEncode(eucJp.GetBytes("会議の件"))}?={Crlf}MIME-Version: 1.0{Crlf}"
                + $"Content-Type: text/plain; charset=EUC-JP{Crlf}Content-Transfer-Encoding: quoted-printable{Crlf}{Crlf}"),
            Ascii(QuotedPrintable(eucJp.GetBytes("明日の会議は十時からです。")) + Crlf)));
        // UTF-7 by hand (RFC 2152 examples): .NET's UTF-7 encoder is obsolete.
        Add("UTF-7 body and encoded-word subject", ok, Ascii($"{Envelope}Subject: =?UTF-7?Q?+ZeVnLIqe-?={Crlf}MIME-Version: 1.0{Crlf}"
            + $"Content-Type: text/plain; charset=UTF-7{Crlf}{Crlf}Hi Mom -+Jjo--! +ZeVnLIqe- text{Crlf}"));
        Add("unknown charset x-unknown in body and encoded-word", ok, Bytes(
            Ascii($"{Envelope}Subject: =?x-unknown?B?{Convert.ToBase64String([0x82, 0xA0, 0xFF, 0x41])}?= tail{Crlf}MIME-Version: 1.0{Crlf}"
                + $"Content-Type: text/plain; charset=x-unknown{Crlf}Content-Transfer-Encoding: 8bit{Crlf}{Crlf}"),
            [0x82, 0xA0, 0xE3, 0x81, 0x82, 0xFF, 0x41, 0x0D, 0x0A]));

        // --- encoded-words
        Add("adjacent encoded-words, also across a folded line", ok, Ascii($"{Envelope}"
            + $"Subject: =?UTF-8?B?{B64("日本")}?= =?UTF-8?B?{B64("語")}?=\r\n =?ISO-2022-JP?B?{Convert.ToBase64String(iso2022.GetBytes("件名"))}?={Crlf}{Crlf}body{Crlf}"));
        Add("multibyte character split across two encoded-words", either, Ascii($"{Envelope}"
            + $"Subject: =?UTF-8?B?{Convert.ToBase64String(Encoding.UTF8.GetBytes("日本")[..4])}?= =?UTF-8?B?{Convert.ToBase64String(Encoding.UTF8.GetBytes("日本")[4..])}?={Crlf}{Crlf}body{Crlf}"));
        Add("malformed encoded-words", either, Ascii($"{Envelope}"
            + $"Subject: =?UTF-8?B?not*base64?= =?UTF-8?X?unknown-encoding?= =?UTF-8?Q?no-end =?UTF-8??= =??B?AA==?={Crlf}"
            + $"X-Broken: =?utf-8?q?=E3=81?= =?utf-8?b?4g==?={Crlf}{Crlf}body{Crlf}"));
        Add("over-long encoded-word of 2000 characters", either, Ascii($"{Envelope}"
            + $"Subject: =?UTF-8?B?{B64(string.Concat(Enumerable.Repeat("長い件名", 125)))}?={Crlf}{Crlf}body{Crlf}"));
        Add("encoded-word display names in From/To/Cc/Reply-To", ok, Ascii(
            $"From: =?UTF-8?B?{B64("営業部, 山田")}?= <sender@example.co.jp>{Crlf}"
            + $"To: =?ISO-2022-JP?B?{Convert.ToBase64String(iso2022.GetBytes("お客様"))}?= <to@example.com>, \"=?UTF-8?Q?quoted_=E5=90=8D?=\" <two@example.com>{Crlf}"
            + $"Cc: =?UTF-8?Q?Group_=E7=B5=84?=: cc@example.com;{Crlf}"
            + $"Reply-To: =?UTF-8?B?{B64("返信先")}?= <reply@example.co.jp>{Crlf}Subject: addresses{Crlf}{Crlf}body{Crlf}"));
        Add("encoded-word as an address's local part", either, Ascii(
            $"From: sender@example.co.jp{Crlf}To: =?UTF-8?B?{B64("宛先")}?=@example.com, to@example.com{Crlf}Subject: local part{Crlf}{Crlf}body{Crlf}"));

        // --- headers
        Add("subject of 100 KB on one line", either, Ascii(Headers(new string('x', 100 * 1024), null) + $"body{Crlf}"));
        Add("header folded over 5000 lines", either, Ascii($"{Envelope}Subject: folded{Crlf}X-Folded: start"
            + string.Concat(Enumerable.Range(1, 5000).Select(i => $"{Crlf}\tline {i}")) + $"{Crlf}{Crlf}body{Crlf}"));
        Add("2000 header fields", either, Ascii($"{Envelope}Subject: many fields{Crlf}"
            + string.Concat(Enumerable.Range(1, 2000).Select(i => $"X-Field-{i}: value {i}{Crlf}")) + $"{Crlf}body{Crlf}"));
        Add("raw UTF-8 in subject and display names (RFC 6532)", ok, Utf8(
            $"From: 山田 太郎 <sender@example.co.jp>{Crlf}To: お客様 <to@example.com>{Crlf}Subject: 御見積書の送付について{Crlf}MIME-Version: 1.0{Crlf}"
            + $"Content-Type: text/plain; charset=utf-8{Crlf}Content-Transfer-Encoding: 8bit{Crlf}{Crlf}本文{Crlf}"));
        Add("raw Shift_JIS subject with no charset declared", either, Bytes(Ascii($"{Envelope}Subject: "), shiftJis.GetBytes("件名です"),
            Ascii($"{Crlf}{Crlf}body{Crlf}")));
        Add("NUL in a header value", either, Ascii($"{Envelope}Subject: before\0after{Crlf}X-Nul: \0{Crlf}{Crlf}body{Crlf}"));
        Add("bare CR in a header value", either, Ascii($"{Envelope}Subject: before\rafter{Crlf}X-Cr: a\rBcc: hidden@example.com{Crlf}{Crlf}body{Crlf}"));
        Add("bare LF inside a CRLF header section", either, Ascii($"{Envelope}Subject: bare lf\nX-After: lf{Crlf}{Crlf}body{Crlf}"));
        Add("garbage lines without a colon among the headers", either, Ascii(
            $"{Envelope}Subject: garbage{Crlf}this line is no header{Crlf}>From the mbox{Crlf}: no name{Crlf}X-Ok: fine{Crlf}{Crlf}body{Crlf}"));
        Add("duplicate Subject, To and Content-Type fields", either, Ascii(
            $"{Envelope}To: second@example.com{Crlf}Subject: one{Crlf}Subject: two{Crlf}MIME-Version: 1.0{Crlf}"
            + $"Content-Type: text/plain; charset=us-ascii{Crlf}Content-Type: text/html; charset=utf-8{Crlf}{Crlf}body{Crlf}"));
        Add("field names with white space before the colon", either, Ascii(
            $"From : sender@example.co.jp{Crlf}To\t: to@example.com{Crlf}Subject  : spaced{Crlf}{Crlf}body{Crlf}"));

        // --- whole messages
        Add("empty message", refused, []);
        Add("headers only, without the empty line or a body", either, Ascii($"{Envelope}Subject: headers only{Crlf}"));
        Add("headers and the empty line, empty body", ok, Ascii($"{Envelope}Subject: empty body{Crlf}{Crlf}"));
        Add("no From field", refused, Ascii($"To: to@example.com{Crlf}Subject: no sender{Crlf}{Crlf}body{Crlf}"));
        Add("From field with a display name and no address", refused, Ascii($"From: Sender Only{Crlf}To: to@example.com{Crlf}Subject: no address{Crlf}{Crlf}body{Crlf}"));
        Add("LF line endings throughout", ok, Ascii($"{Envelope}Subject: unix{Crlf}MIME-Version: 1.0{Crlf}Content-Type: multipart/mixed; boundary=\"u\"{Crlf}{Crlf}"
            + $"--u{Crlf}Content-Type: text/plain{Crlf}{Crlf}line one{Crlf}line two{Crlf}--u--{Crlf}").Where(b => b != '\r').ToArray());

        // --- bodies and transfer encodings
        Add("NUL bytes in a text body", either, Ascii($"{Envelope}Subject: nul body{Crlf}{Crlf}before\0after\0\0{Crlf}"));
        Add("bare CR in a text body", either, Ascii($"{Envelope}Subject: cr body{Crlf}{Crlf}line\rstill the line{Crlf}.\r{Crlf}"));
        Add("bare LF in a CRLF body", either, Ascii($"{Envelope}Subject: lf body{Crlf}{Crlf}one\ntwo{Crlf}.\nthree{Crlf}"));
        Add("body line of 100 000 characters", either, Ascii($"{Envelope}Subject: long line{Crlf}{Crlf}{new string('a', 100_000)}{Crlf}"));
        Add("base64 with junk, bad padding and white space", either, Ascii(Headers("base64 junk",
                $"Content-Type: application/octet-stream; name=\"junk.bin\"{Crlf}Content-Disposition: attachment; filename=\"junk.bin\"{Crlf}Content-Transfer-Encoding: base64")
            + $"SGVsbG8s!IHdv*cmxk  IQ=={Crlf}\tAAEC{Crlf}====Aw{Crlf}é{Crlf}"));
        Add("quoted-printable soft line breaks and escapes", ok, Ascii(Headers("qp",
                $"Content-Type: text/plain; charset=utf-8{Crlf}Content-Transfer-Encoding: quoted-printable")
            + $"A soft=\r\n break, a trailing space=20{Crlf}=E6=97=A5=E6=9C=AC=\r\n=E8=AA=9E and =3D signs={Crlf}"
            + string.Concat(Enumerable.Repeat("abcdefghij", 20).Select((s, i) => i % 7 == 6 ? s + $"={Crlf}" : s)) + Crlf));
        Add("quoted-printable with invalid escapes", either, Ascii(Headers("qp junk",
                $"Content-Type: text/plain; charset=utf-8{Crlf}Content-Transfer-Encoding: quoted-printable")
            + $"=ZZ =4 =\t= {Crlf}lower =e6=97=a5 and a lone = at the end ={Crlf}"));
        Add("8-bit bytes in a part that says 7bit", either, Bytes(Ascii(Headers("8bit in 7bit",
                $"Content-Type: text/plain; charset=utf-8{Crlf}Content-Transfer-Encoding: 7bit")),
            Encoding.UTF8.GetBytes("これは 7bit ではない\r\n")));

        // --- attachments
        Add("message/rfc822 nested three deep, Bcc inside", ok, Ascii(Headers("forwarded",
            $"Content-Type: multipart/mixed; boundary=\"o\"") + $"--o{Crlf}Content-Type: text/plain{Crlf}{Crlf}see attached{Crlf}--o{Crlf}"
            + $"Content-Type: message/rfc822{Crlf}Content-Disposition: attachment; filename=\"first.eml\"{Crlf}{Crlf}"
            + $"From: one@example.com{Crlf}To: two@example.com{Crlf}Bcc: secret-inside@example.com{Crlf}Subject: level 1{Crlf}MIME-Version: 1.0{Crlf}"
            + $"Content-Type: message/rfc822{Crlf}{Crlf}"
            + $"From: three@example.com{Crlf}Subject: level 2{Crlf}Content-Type: message/rfc822{Crlf}{Crlf}"
            + $"From: four@example.com{Crlf}Subject: =?UTF-8?B?{B64("第三階層")}?={Crlf}Content-Type: text/plain; charset=utf-8{Crlf}Content-Transfer-Encoding: base64{Crlf}{Crlf}"
            + $"{B64("一番内側の本文")}{Crlf}--o--{Crlf}"));
        Add("message/rfc822 attachment that is itself broken", either, Ascii(Headers("broken inside",
            $"Content-Type: multipart/mixed; boundary=\"o\"") + $"--o{Crlf}Content-Type: message/rfc822{Crlf}{Crlf}"
            + $"Subject: inner{Crlf}Content-Type: multipart/mixed; boundary=\"i\"{Crlf}{Crlf}--i{Crlf}Content-Type: text/plain{Crlf}{Crlf}never closed{Crlf}"
            + $"--o--{Crlf}"));
        Add("application/ms-tnef winmail.dat", ok, Ascii(Headers("tnef", $"Content-Type: multipart/mixed; boundary=\"t\"")
            + $"--t{Crlf}Content-Type: text/plain{Crlf}{Crlf}Outlook sent this{Crlf}--t{Crlf}"
            + $"Content-Type: application/ms-tnef; name=\"winmail.dat\"{Crlf}Content-Disposition: attachment; filename=\"winmail.dat\"{Crlf}Content-Transfer-Encoding: base64{Crlf}{Crlf}"
            + $"{Wrap(Convert.ToBase64String(Tnef()))}{Crlf}--t--{Crlf}"));
        Add("RFC 2231 continued and encoded Japanese filename", ok, Ascii(Headers("rfc2231", $"Content-Type: multipart/mixed; boundary=\"f\"")
            + $"--f{Crlf}Content-Type: application/pdf; name*=UTF-8''{Pct("見積書.pdf")}{Crlf}"
            + $"Content-Disposition: attachment;{Crlf} filename*0*=UTF-8''{Pct("御見積")};{Crlf} filename*1*={Pct("書（改訂版）")};{Crlf} filename*2=\".pdf\"{Crlf}"
            + $"Content-Transfer-Encoding: base64{Crlf}{Crlf}JVBERi0xLjQK{Crlf}--f--{Crlf}"));
        Add("Content-Type with no subtype and broken parameters", either, Ascii(Headers("bad type",
            "Content-Type: text; charset=\"utf-8; name==x; ;;") + $"body{Crlf}"));

        return cases;
    }

    /// <summary>Multiparts nested <paramref name="depth"/> levels, the innermost holding a text part.</summary>
    private static byte[] Nested(int depth)
    {
        var text = new StringBuilder(Headers($"nested {depth}", $"Content-Type: multipart/mixed; boundary=\"level1\""));
        for (var level = 2; level <= depth; level++)
        {
            text.Append(CultureInfo.InvariantCulture, $"--level{level - 1}{Crlf}Content-Type: multipart/mixed; boundary=\"level{level}\"{Crlf}{Crlf}");
        }

        text.Append(CultureInfo.InvariantCulture, $"--level{depth}{Crlf}Content-Type: text/plain{Crlf}{Crlf}the innermost part{Crlf}");
        for (var level = depth; level >= 1; level--)
        {
            text.Append(CultureInfo.InvariantCulture, $"--level{level}--{Crlf}");
        }

        return Ascii(text.ToString());
    }

    /// <summary>The envelope fields, a subject, and the given content fields (MIME-Version with them), then the empty line.</summary>
    private static string Headers(string subject, string? content) =>
        $"{Envelope}Subject: {subject}{Crlf}" + (content is null ? "" : $"MIME-Version: 1.0{Crlf}{content}{Crlf}") + Crlf;

    /// <summary>A TNEF stream's start (signature, key, a version attribute) followed by filler: what Outlook's winmail.dat looks like to a gateway.</summary>
    private static byte[] Tnef()
    {
        var bytes = new List<byte> { 0x78, 0x9F, 0x3E, 0x22, 0x01, 0x00, 0x01, 0x06, 0x90, 0x08, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00 };
        bytes.AddRange(Enumerable.Range(0, 600).Select(i => (byte)(i * 7 % 256)));
        return [.. bytes];
    }

    private static byte[] Ascii(string text) => Encoding.Latin1.GetBytes(text);

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] Bytes(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static string Wrap(string base64) => string.Join(Crlf, base64.Chunk(76).Select(c => new string(c)));

    private static string Pct(string text) => string.Concat(Encoding.UTF8.GetBytes(text).Select(b => $"%{b:X2}"));

    private static string QEncode(byte[] bytes) => string.Concat(bytes.Select(b => $"={b:X2}"));

    /// <summary>Quoted-printable of every byte, with soft line breaks every 25 bytes.</summary>
    private static string QuotedPrintable(byte[] bytes) =>
        string.Join("=" + Crlf, bytes.Chunk(25).Select(chunk => string.Concat(chunk.Select(b => $"={b:X2}"))));
}
