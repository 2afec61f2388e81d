using System.Globalization;

namespace SendGate.Core.Encryption;

/// <summary>
/// The texts recipients read: the password mail and the notice in the encrypted mail, in Japanese
/// (the default) or English. Dates are the tenant's wall-clock time.
/// </summary>
public static class MailTemplates
{
    public static (string Subject, string Body) PasswordMail(string language, string mainSubject, DateTimeOffset sentAt, string zipName, string password)
    {
        if (language == "en")
        {
            return ($"[Password] {mainSubject}",
                $"""
                Hello,

                Here is the password for the encrypted zip file attached to the mail we sent you a moment ago.

                Subject:   {mainSubject}
                Sent:      {sentAt.ToString("yyyy-MM-dd HH:mm (zzz)", CultureInfo.InvariantCulture)}
                File name: {zipName}
                Password:  {password}

                This mail was sent automatically. If you did not expect it, please delete it.
                """);
        }

        return ($"【パスワードのお知らせ】{mainSubject}",
            $"""
            いつもお世話になっております。

            先ほどお送りしたメールの添付ファイル（パスワード付きZIPファイル）の
            パスワードをお知らせいたします。

            件名　　　：{mainSubject}
            送信日時　：{sentAt.ToString("yyyy年M月d日 HH:mm", CultureInfo.InvariantCulture)}
            ファイル名：{zipName}
            パスワード：{password}

            本メールはシステムから自動で送信しています。
            お心当たりのない場合は、お手数ですが本メールを破棄してください。
            """);
    }

    /// <summary>The password a download link's page asks for, after the mail that carried the link.</summary>
    public static (string Subject, string Body) LinkPasswordMail(string language, string mainSubject, DateTimeOffset sentAt, string password)
    {
        if (language == "en")
        {
            return ($"[Password] {mainSubject}",
                $"""
                Hello,

                Here is the password for the download page of the attachments of the mail we sent you a moment ago.

                Subject:   {mainSubject}
                Sent:      {sentAt.ToString("yyyy-MM-dd HH:mm (zzz)", CultureInfo.InvariantCulture)}
                Password:  {password}

                Enter it on the page with the one-time code. This mail was sent automatically. If you did not expect it, please delete it.
                """);
        }

        return ($"【パスワードのお知らせ】{mainSubject}",
            $"""
            いつもお世話になっております。

            先ほどお送りしたメールの添付ファイルのダウンロードページの
            パスワードをお知らせいたします。

            件名　　　：{mainSubject}
            送信日時　：{sentAt.ToString("yyyy年M月d日 HH:mm", CultureInfo.InvariantCulture)}
            パスワード：{password}

            ダウンロードページで確認コードとともに入力してください。
            本メールはシステムから自動で送信しています。
            お心当たりのない場合は、お手数ですが本メールを破棄してください。
            """);
    }

    public static string Notice(string language, string zipName, string passwordTo) => (language, passwordTo) switch
    {
        ("en", "sender") => $"The attachments are in the encrypted zip file {zipName}. The sender will tell you its password separately.",
        ("en", _) => $"The attachments are in the encrypted zip file {zipName}. Its password follows in a separate mail.",
        (_, "sender") => $"添付ファイルはパスワード付きZIPファイル（{zipName}）にまとめています。パスワードは送信者から別途お知らせします。",
        _ => $"添付ファイルはパスワード付きZIPファイル（{zipName}）にまとめています。パスワードは別途メールでお知らせします。",
    };

    /// <summary>The zip's file name from the tenant's template: <c>{date}</c> is yyyyMMdd in the tenant's time zone.</summary>
    public static string ZipName(string template, DateTimeOffset localNow) =>
        template.Replace("{date}", localNow.ToString("yyyyMMdd", CultureInfo.InvariantCulture), StringComparison.Ordinal);
}
