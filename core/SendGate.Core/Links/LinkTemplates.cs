using System.Globalization;
using System.Text;

namespace SendGate.Core.Links;

/// <summary>One file as the notice lists it.</summary>
public sealed record NoticeFile(string FileName, long Size);

/// <summary>
/// The notice that replaces a mail's attachments, in Japanese (the default) or English: the one
/// link, the files with their sizes, and until when it works (the tenant's wall-clock time).
/// </summary>
public static class LinkTemplates
{
    public static string Notice(string language, string url, IReadOnlyList<NoticeFile> files, DateTimeOffset localExpiry, bool verifyRecipient, bool password = false)
    {
        var en = language == "en";
        var text = new StringBuilder();
        if (en)
        {
            text.Append("The attachments of this mail are not in it: download them from the page below.\n\n")
                .Append(url).Append("\n\n")
                .Append("Valid until: ").Append(localExpiry.ToString("yyyy-MM-dd HH:mm (zzz)", CultureInfo.InvariantCulture)).Append('\n')
                .Append("Files:\n");
            foreach (var file in files)
            {
                text.Append("  - ").Append(file.FileName).Append(" (").Append(Size(file.Size, en)).Append(")\n");
            }

            if (verifyRecipient)
            {
                text.Append("\nThe page sends a one-time code to your address (one of this mail's recipients) before it shows the files.\n");
            }

            if (password)
            {
                text.Append(verifyRecipient ? "\nThe page also asks for a password, which follows in a separate mail.\n" : "\nThe page asks for a password, which follows in a separate mail.\n");
            }
        }
        else
        {
            text.Append("このメールの添付ファイルは、メールから外してダウンロード用のページに置いています。\n")
                .Append("次のリンクからダウンロードしてください。\n\n")
                .Append(url).Append("\n\n")
                .Append("有効期限：").Append(localExpiry.ToString("yyyy年M月d日 HH:mm", CultureInfo.InvariantCulture)).Append('\n')
                .Append("ファイル：\n");
            foreach (var file in files)
            {
                text.Append("・").Append(file.FileName).Append("（").Append(Size(file.Size, en)).Append("）\n");
            }

            if (verifyRecipient)
            {
                text.Append("\nファイルを表示する前に、このメールの宛先のメールアドレスへ確認コードをお送りします。\n");
            }

            if (password)
            {
                text.Append("\nページではパスワードも必要です。パスワードは別途メールでお知らせします。\n");
            }
        }

        return text.ToString();
    }

    /// <summary>The mail with a one-time code, to a recipient who asked for it on the download page.</summary>
    public static (string Subject, string Body) CodeMail(string language, string mainSubject, string code) => language == "en"
        ? ($"[Code] {code} to download the attachments",
            $"""
            Enter this one-time code on the download page you opened:

            {code}

            It is for the attachments of the mail "{mainSubject}" and works for a few minutes.
            If you did not ask for it, ignore this mail: nothing happens.
            """)
        : ($"【確認コード】{code}（添付ファイルのダウンロード）",
            $"""
            開いているダウンロードページで、次の確認コードを入力してください。

            {code}

            メール「{mainSubject}」の添付ファイルのダウンロードに使います。数分間有効です。
            お心当たりのない場合は、本メールを破棄してください。
            """);

    /// <summary>To the sender: a file of their mail was downloaded for the first time (who, when, from where).</summary>
    public static (string Subject, string Body) FirstDownloadMail(string language, string mainSubject, string fileName, string? address, string? ip, DateTimeOffset localAt)
    {
        if (language == "en")
        {
            return ($"[Downloaded] {fileName} ({mainSubject})", $"""
                A file of your mail "{mainSubject}" was downloaded for the first time.

                File:    {fileName}
                By:      {address ?? "(the link needs no code: not known)"}
                When:    {localAt.ToString("yyyy-MM-dd HH:mm (zzz)", CultureInfo.InvariantCulture)}
                From IP: {ip ?? "(unknown)"}

                If you did not expect this, stop the link on the console or through the API.
                """);
        }

        return ($"【ダウンロード通知】{fileName}（{mainSubject}）", $"""
            送信したメール「{mainSubject}」の添付ファイルが初めてダウンロードされました。

            ファイル　　：{fileName}
            ダウンロード：{address ?? "（確認コード不要のリンクのため不明）"}
            日時　　　　：{localAt.ToString("yyyy年M月d日 HH:mm", CultureInfo.InvariantCulture)}
            IPアドレス　：{ip ?? "（不明）"}

            お心当たりのない場合は、コンソールまたはAPIからリンクを停止してください。
            """);
    }

    /// <summary>"980 bytes", "12.3 KB", "4.5 MB" (1 KB = 1,024 bytes).</summary>
    public static string Size(long bytes, bool en) => bytes switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes} {(en ? "bytes" : "バイト")}"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KB"),
        < 1024L * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#} MB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):0.#} GB"),
    };
}
