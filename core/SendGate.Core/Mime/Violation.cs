namespace SendGate.Core.Mime;

/// <summary>One reason a submission is refused, with the field it concerns and a stable code.</summary>
public sealed record Violation(string Field, string Code, string Message);

/// <summary>Stable codes; the API maps each to a problem <c>type</c>.</summary>
public static class ViolationCode
{
    public const string InvalidAddress = "invalid-address";
    public const string NoRecipient = "no-recipient";
    public const string TooManyRecipients = "too-many-recipients";
    public const string HeaderInjection = "header-injection";

    /// <summary>A header section, field, subject or display name beyond a configured limit (SendGate:Limits:MaxHeader…).</summary>
    public const string HeaderLimit = "header-limit";
    public const string InvalidHeader = "invalid-header";
    public const string InvalidBase64 = "invalid-base64";
    public const string InvalidAttachment = "invalid-attachment";
    public const string MalformedMime = "malformed-mime";
    public const string MalformedJson = "malformed-json";
    public const string SendAtInPast = "send-at-in-past";
    public const string InvalidField = "invalid-field";
}
