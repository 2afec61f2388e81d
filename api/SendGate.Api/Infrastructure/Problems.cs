using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using SendGate.Core.Mime;

namespace SendGate.Api.Infrastructure;

/// <summary>
/// Every error is an RFC 9457 problem with a stable <c>type</c>. Input errors list each field;
/// the <c>type</c> then names the first violation found, and <c>violations</c> has them all.
/// </summary>
internal static class Problems
{
    public const string TypePrefix = "urn:sendgate:problem:";

    public const string Validation = "validation";
    public const string PayloadTooLarge = "payload-too-large";
    public const string UnsupportedMediaType = "unsupported-media-type";
    public const string Unauthorized = "unauthorized";
    public const string Forbidden = "forbidden";
    public const string NotFound = "not-found";
    public const string InvalidTransition = "invalid-transition";
    public const string IdempotencyKeyReused = "idempotency-key-reused";
    public const string IdempotencyKeyInFlight = "idempotency-key-in-flight";
    public const string LastAdminKey = "last-admin-key";
    public const string AlreadyRevoked = "already-revoked";
    public const string PolicyRejected = "policy-rejected";
    public const string ApprovalDecided = "approval-already-decided";
    public const string SelfApproval = "self-approval";
    public const string ContentPurged = "content-purged";
    public const string Internal = "internal";
    public const string StorageFull = "storage-full";
    public const string NetworkOverlap = "network-overlap";
    public const string DkimSelectorTaken = "dkim-selector-taken";
    public const string DkimKeyActive = "dkim-key-active";
    public const string DkimKeyLimit = "dkim-key-limit";
    public const string QuotaExceeded = "quota-exceeded";
    public const string TenantSuspended = "tenant-suspended";
    public const string TenantNotFound = "tenant-not-found";
    public const string LegalHold = "legal-hold";
    public const string LinkNotFound = "link-not-found";
    public const string LinkEnded = "link-ended";

    /// <summary>Retry-After of a storage-full answer: long enough for an operator or a sweep to free space.</summary>
    public const int StorageFullRetryAfterSeconds = 60;

    private static readonly Dictionary<string, string> Titles = new()
    {
        [ViolationCode.InvalidAddress] = "Invalid e-mail address",
        [ViolationCode.NoRecipient] = "No recipient",
        [ViolationCode.TooManyRecipients] = "Too many recipients",
        [ViolationCode.HeaderInjection] = "Line break in a header field",
        [ViolationCode.HeaderLimit] = "Header beyond a limit",
        [ViolationCode.InvalidHeader] = "Invalid header",
        [ViolationCode.InvalidBase64] = "Invalid base64 content",
        [ViolationCode.InvalidAttachment] = "Invalid attachment",
        [ViolationCode.MalformedMime] = "Malformed MIME message",
        [ViolationCode.MalformedJson] = "Malformed JSON",
        [ViolationCode.SendAtInPast] = "sendAt lies in the past",
        [ViolationCode.InvalidField] = "Invalid field",
        [SendGate.Core.Policies.PolicyViolation.InvalidRule] = "Invalid rule",
        [SendGate.Core.Policies.PolicyViolation.InvalidCondition] = "Invalid condition",
        [SendGate.Core.Policies.PolicyViolation.UnknownCondition] = "Unknown condition type",
        [SendGate.Core.Policies.PolicyViolation.InvalidAction] = "Invalid action",
        [SendGate.Core.Policies.PolicyViolation.UnknownAction] = "Unknown action type",
        [SendGate.Core.Policies.PolicyViolation.InvalidPattern] = "Invalid pattern",
        [SendGate.Core.Policies.PolicyViolation.InvalidDuration] = "Invalid duration",
    };

    public static string Type(string code) => TypePrefix + code;

    public static ProblemHttpResult Invalid(IReadOnlyList<Violation> violations)
    {
        var first = violations[0];
        var problem = new HttpValidationProblemDetails(
            violations.GroupBy(v => v.Field).ToDictionary(g => g.Key, g => g.Select(v => v.Message).ToArray()))
        {
            Status = StatusCodes.Status400BadRequest,
            Type = Type(first.Code),
            Title = Titles.GetValueOrDefault(first.Code, "Invalid request"),
            Detail = violations.Count == 1 ? first.Message : $"{first.Message} (and {violations.Count - 1} more problem(s), see errors)",
        };
        problem.Extensions["violations"] = violations.Select(v => new { field = v.Field, code = v.Code, type = Type(v.Code), message = v.Message }).ToArray();
        return TypedResults.Problem(problem);
    }

    public static ProblemHttpResult Invalid(string field, string code, string message) => Invalid([new Violation(field, code, message)]);

    public static ProblemHttpResult Of(int status, string code, string title, string detail, IDictionary<string, object?>? extensions = null)
    {
        var problem = new ProblemDetails { Status = status, Type = Type(code), Title = title, Detail = detail };
        foreach (var (key, value) in extensions ?? new Dictionary<string, object?>())
        {
            problem.Extensions[key] = value;
        }

        return TypedResults.Problem(problem);
    }

    /// <summary>
    /// A quota met: 429 with Retry-After when it resets (messages per day), 403 when only removing
    /// something frees it (stored bytes, keys, endpoints); the quota, its limit, use and reset named.
    /// </summary>
    public static ProblemHttpResult Quota(HttpContext context, SendGate.Core.Tenants.QuotaRefusal refusal, TimeProvider time)
    {
        var status = refusal.ResetsAt is null ? StatusCodes.Status403Forbidden : StatusCodes.Status429TooManyRequests;
        if (refusal.ResetsAt is { } resets)
        {
            var seconds = Math.Max(1, (long)Math.Ceiling((resets - time.GetUtcNow()).TotalSeconds));
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return Of(status, QuotaExceeded, "Quota exceeded", refusal.Describe(), new Dictionary<string, object?>
        {
            ["quota"] = refusal.Quota,
            ["limit"] = refusal.Limit,
            ["used"] = refusal.Used,
            ["resetsAt"] = refusal.ResetsAt,
        });
    }

    public static ProblemHttpResult MessageNotFound(string id) =>
        Of(StatusCodes.Status404NotFound, NotFound, "Not found", $"No message '{id}' exists for this tenant.");

    public static ProblemHttpResult TooLarge(long limit) =>
        Of(StatusCodes.Status413PayloadTooLarge, PayloadTooLarge, "Request body too large",
            $"The request body exceeds the limit of {limit} bytes (SendGate:Limits:MaxRequestBytes).", new Dictionary<string, object?> { ["limit"] = limit });

    public static ProblemHttpResult Unsupported(string? contentType, params string[] accepted) =>
        Of(StatusCodes.Status415UnsupportedMediaType, UnsupportedMediaType, "Unsupported media type",
            $"Content-Type '{contentType ?? "(none)"}' is not accepted here; send {string.Join(" or ", accepted)}.",
            new Dictionary<string, object?> { ["accepted"] = accepted });
}
