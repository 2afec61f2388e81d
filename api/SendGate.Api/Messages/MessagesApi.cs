using System.Net.Http.Headers;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using SendGate.Api.Audit;
using SendGate.Api.Auth;
using SendGate.Api.Infrastructure;
using SendGate.Core;
using SendGate.Core.Encryption;
using SendGate.Core.Messages;
using SendGate.Core.Mime;

namespace SendGate.Api.Messages;

/// <summary><c>/v1/messages</c>: submit mail, read it, follow its lifecycle, release or cancel it.</summary>
internal static class MessagesApi
{
    public const string Json = "application/json";
    public const string Mime = "message/rfc822";

    private static readonly JsonSerializerOptions RequestJson = new(JsonSerializerDefaults.Web)
    {
        // A misspelt field would otherwise be dropped silently, e.g. a Bcc list that never applies.
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    public static RouteGroupBuilder MapMessages(this IEndpointRouteBuilder routes)
    {
        // A ProblemHttpResult reports no status code to the generated document, so every problem an
        // endpoint can answer is declared here; the contract test compares them with openapi.yaml.
        var group = routes.MapGroup("/v1/messages").WithTags("Messages")
            .ProducesProblem(StatusCodes.Status500InternalServerError);

        group.MapPost("/", Submit).WithName("SubmitMessage")
            .WithSummary("Submit a message (JSON or raw MIME)")
            .WithDescription("Stores the message durably, applies the tenant's policy and answers 202 once it is committed.")
            .Accepts<MessageRequest>(Json, Mime)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status507InsufficientStorage)
            .RequireSubmissionLimits()
            .RequireAuthorization(Access.Send);

        group.MapGet("/", List).WithName("ListMessages").WithSummary("List messages, newest first")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Access.Review);
        group.MapGet("/{id}", Get).WithName("GetMessage").WithSummary("Get a message with its recipients and decisions")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Access.Review);
        group.MapGet("/{id}/events", Events).WithName("GetMessageEvents").WithSummary("The message's lifecycle events, in order")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Access.Review);
        group.MapGet("/{id}/mime", OriginalMime).WithName("GetMessageMime").WithSummary("The original MIME as submitted")
            .Produces<Stream>(StatusCodes.Status200OK, Mime)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status410Gone)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Access.Review);
        group.MapGet("/{id}/sent", SentMime).WithName("GetSentMime").WithSummary("Exactly what was sent (after Bcc conversion and encryption)")
            .Produces<Stream>(StatusCodes.Status200OK, Mime)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status410Gone)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Access.Review);
        group.MapGet("/export", Export).WithName("ExportMessages").WithSummary("The messages a search finds, as one mbox file (streamed)")
            .Produces<Stream>(StatusCodes.Status200OK, "application/mbox")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Access.Admin);
        group.MapPut("/{id}/legal-hold", SetLegalHold).WithName("SetLegalHold").WithSummary("Keep the message whatever the retention says")
            .Accepts<MessageActionRequest>(isOptional: true, "application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Access.Admin);
        group.MapDelete("/{id}/legal-hold", LiftLegalHold).WithName("LiftLegalHold").WithSummary("Let retention apply to the message again")
            .Accepts<MessageActionRequest>(isOptional: true, "application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Access.Admin);
        group.MapPost("/{id}/release", Release).WithName("ReleaseMessage").WithSummary("Release a held message now")
            .Accepts<MessageActionRequest>(isOptional: true, "application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Access.Review);
        group.MapPost("/{id}/cancel", Cancel).WithName("CancelMessage").WithSummary("Cancel a message that has not been sent")
            .Accepts<MessageActionRequest>(isOptional: true, "application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Access.Review);
        return group;
    }

    private static async Task<Results<Accepted<SubmitMessageResponse>, ProblemHttpResult>> Submit(
        HttpContext context,
        ClaimsPrincipal user,
        [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey,
        [FromQuery] string? sendAt,
        MessageIntake intake,
        SubmissionService submissions,
        IOptions<LimitsOptions> limits,
        CancellationToken cancellationToken)
    {
        if (idempotencyKey is not null && (idempotencyKey.Length is 0 or > 200 || idempotencyKey.Any(c => c is < '!' or > '~')))
        {
            return Problems.Invalid("Idempotency-Key", ViolationCode.InvalidField, "Idempotency-Key must be 1 to 200 visible ASCII characters.");
        }

        // Claimed before the body is read: a request is in flight from its first byte.
        using var claim = idempotencyKey is null ? null : submissions.TryClaimIdempotencyKey(user.TenantId(), idempotencyKey);
        if (idempotencyKey is not null && claim is null)
        {
            context.Response.Headers.RetryAfter = "1";
            return Problems.Of(StatusCodes.Status409Conflict, Problems.IdempotencyKeyInFlight, "Request with this Idempotency-Key in progress",
                $"A request with Idempotency-Key '{idempotencyKey}' is still being processed; retry once it has been answered.");
        }

        var read = await ReadSubmissionAsync(context, limits.Value, cancellationToken);
        if (read.Problem is { } unreadable)
        {
            return unreadable;
        }

        var body = read.Body!;
        var idempotency = idempotencyKey is null ? null : new IdempotencyRequest(idempotencyKey, RequestHash(context.Request.ContentType!, sendAt, body.Bytes));
        if (idempotency is not null && await submissions.FindPreviousAsync(user.TenantId(), idempotency, cancellationToken) is { } previous)
        {
            return Answer(context, previous);
        }

        var messageId = SubmissionService.NewMessageId();
        var prepared = Prepare(body, messageId, sendAt, intake, submissions);
        if (prepared.Problem is { } invalid)
        {
            return invalid;
        }

        var outcome = await submissions.SubmitAsync(user.Actor(), messageId, prepared.Message!, prepared.SendAt, idempotency, cancellationToken);
        return Answer(context, outcome);
    }

    /// <summary>A submission's body as received: JSON, or MIME with an optional header charset.</summary>
    internal sealed record SubmissionBody(bool IsJson, Encoding? Charset, byte[] Bytes);

    internal sealed record ReadResult(SubmissionBody? Body, ProblemHttpResult? Problem);

    internal sealed record PrepareResult(PreparedMessage? Message, DateTimeOffset? SendAt, ProblemHttpResult? Problem);

    /// <summary>Checks the media type and reads the body; shared by submission and the policy dry run.</summary>
    internal static async Task<ReadResult> ReadSubmissionAsync(HttpContext context, LimitsOptions limits, CancellationToken cancellationToken)
    {
        var limit = limits.MaxRequestBytes;
        var request = context.Request;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || mediaType.MediaType?.ToLowerInvariant() is not (Json or Mime))
        {
            return new(null, Problems.Unsupported(request.ContentType, Json, Mime));
        }

        var isJson = mediaType.MediaType!.Equals(Json, StringComparison.OrdinalIgnoreCase);
        var charset = isJson ? null : HeaderCharset(mediaType);
        if (!isJson && charset is null && mediaType.CharSet is { Length: > 0 })
        {
            return new(null, Problems.Invalid("Content-Type", ViolationCode.InvalidField, $"charset '{mediaType.CharSet}' is not a known character set."));
        }

        // MIME's header section is checked as it arrives; a JSON body's fields once deserialised.
        var headers = isJson ? null : new HeaderScanner(limits);
        var body = await RequestBody.ReadAsync(context, limit, cancellationToken, headers);
        if (headers?.Violation is { } hostile)
        {
            return new(null, Problems.Invalid([hostile]));
        }

        return body is null ? new(null, Problems.TooLarge(limit)) : new(new SubmissionBody(isJson, charset, body), null);
    }

    /// <summary>Validates the body and builds the message to store (or to evaluate); every violation is reported.</summary>
    internal static PrepareResult Prepare(SubmissionBody body, string messageId, string? sendAtQuery, MessageIntake intake, SubmissionService submissions)
    {
        MessageIntake.Result prepared;
        string? sendAtText;
        if (body.IsJson)
        {
            MessageRequest? message;
            try
            {
                message = JsonSerializer.Deserialize<MessageRequest>(body.Bytes, RequestJson);
            }
            catch (JsonException ex)
            {
                var (field, problem) = JsonErrors.Describe(ex, typeof(MessageRequest), RequestJson);
                return new(null, null, Problems.Invalid(field, ViolationCode.MalformedJson, problem));
            }

            if (message is null)
            {
                return new(null, null, Problems.Invalid("body", ViolationCode.MalformedJson, "The body must be a JSON object."));
            }

            if (sendAtQuery is not null)
            {
                return new(null, null, Problems.Invalid("sendAt", ViolationCode.InvalidField, "With JSON, give sendAt in the body, not in the query."));
            }

            prepared = intake.FromJson(message, messageId);
            sendAtText = message.SendAt;
        }
        else
        {
            prepared = intake.FromMime(body.Bytes, messageId, body.Charset);
            sendAtText = sendAtQuery;
        }

        var violations = prepared.Violations.ToList();
        var sendAtValue = SendAt(sendAtText, submissions, violations);
        return violations.Count > 0 || prepared.Message is null
            ? new(null, null, Problems.Invalid(violations))
            : new(prepared.Message, sendAtValue, null);
    }

    /// <summary>A JSON message validated and built as a submission's; the violations instead of a message when invalid.</summary>
    internal static (PreparedMessage? Message, DateTimeOffset? SendAt, List<Violation> Violations) PrepareJson(
        MessageRequest message, string messageId, MessageIntake intake, SubmissionService submissions)
    {
        var prepared = intake.FromJson(message, messageId);
        var violations = prepared.Violations.ToList();
        var sendAt = SendAt(message.SendAt, submissions, violations);
        return (violations.Count == 0 ? prepared.Message : null, sendAt, violations);
    }

    private static DateTimeOffset? SendAt(string? sendAtText, SubmissionService submissions, List<Violation> violations)
    {
        DateTimeOffset? sendAtValue = null;
        if (sendAtText is not null)
        {
            if (Rfc3339.TryParse(sendAtText, out var parsed))
            {
                sendAtValue = parsed;
                if (submissions.CheckSendAt(parsed, "sendAt") is { } late)
                {
                    violations.Add(late);
                }
            }
            else
            {
                violations.Add(new Violation("sendAt", ViolationCode.InvalidField, $"'{sendAtText}' is not an RFC 3339 date-time with offset, e.g. 2026-12-01T09:00:00+09:00."));
            }
        }

        return sendAtValue;
    }

    private static Results<Accepted<SubmitMessageResponse>, ProblemHttpResult> Answer(HttpContext context, SubmitOutcome outcome)
    {
        switch (outcome)
        {
            case SubmitOutcome.Accepted accepted:
                if (accepted.Replayed)
                {
                    context.Response.Headers["Idempotent-Replayed"] = "true";
                }

                if (accepted.Receipt.Decision.Rejection is { } rejection)
                {
                    // Stored for audit, but nothing will be sent: the caller must hear it as a refusal.
                    return Problems.Of(StatusCodes.Status422UnprocessableEntity, Problems.PolicyRejected, "Rejected by policy",
                        $"Rule '{rejection.RuleName}' rejected the message: {rejection.Reason}",
                        new Dictionary<string, object?>
                        {
                            ["messageId"] = accepted.Receipt.Id,
                            ["ruleId"] = rejection.RuleId,
                            ["ruleName"] = rejection.RuleName,
                            ["reason"] = rejection.Reason,
                            ["decision"] = accepted.Receipt.Decision,
                        });
                }

                return TypedResults.Accepted($"/v1/messages/{accepted.Receipt.Id}", accepted.Receipt.ToResponse());
            case SubmitOutcome.IdempotencyConflict conflict:
                return Problems.Of(StatusCodes.Status422UnprocessableEntity, Problems.IdempotencyKeyReused, "Idempotency-Key reused",
                    $"Idempotency-Key '{conflict.Key}' was already used with a different request (message {conflict.MessageId}).",
                    new Dictionary<string, object?> { ["messageId"] = conflict.MessageId });
            default:
                throw new InvalidOperationException($"Unexpected outcome {outcome}.");
        }
    }

    private static async Task<Results<Ok<MessageList>, ProblemHttpResult>> List(
        ClaimsPrincipal user,
        MessageStore store,
        [FromQuery] string? status,
        [FromQuery] string? from,
        [FromQuery] string? to,
        [FromQuery] string? subject,
        [FromQuery] string? tag,
        [FromQuery] string? hasAttachments,
        [FromQuery] string? attachment,
        [FromQuery] string? rule,
        [FromQuery] string? createdFrom,
        [FromQuery] string? createdTo,
        [FromQuery] string? cursor,
        [FromQuery] string? limit,
        CancellationToken cancellationToken)
    {
        var violations = new List<Violation>();
        var withAttachments = Flag("hasAttachments", hasAttachments, violations);
        if (status is not null && !MessageStatus.All.Contains(status))
        {
            violations.Add(new("status", ViolationCode.InvalidField, $"status must be one of {string.Join(", ", MessageStatus.All)}."));
        }

        var fromInstant = Instant("createdFrom", createdFrom, violations);
        var toInstant = Instant("createdTo", createdTo, violations);
        var size = 50;
        if (limit is not null && (!int.TryParse(limit, out size) || size is < 1 or > 200))
        {
            violations.Add(new("limit", ViolationCode.InvalidField, "limit must be a whole number from 1 to 200."));
        }

        (long, string)? before = null;
        if (cursor is not null)
        {
            before = KeysetCursor.Decode(cursor);
            if (before is null)
            {
                violations.Add(new("cursor", ViolationCode.InvalidField, "cursor is not one this API returned."));
            }
        }

        if (violations.Count > 0)
        {
            return Problems.Invalid(violations);
        }

        var rows = await store.ListAsync(user.TenantId(), new MessageFilter
        {
            Status = status,
            From = Address(from),
            To = Address(to),
            SubjectContains = string.IsNullOrEmpty(subject) ? null : subject,
            Tag = string.IsNullOrEmpty(tag) ? null : tag,
            HasAttachments = withAttachments,
            AttachmentName = string.IsNullOrEmpty(attachment) ? null : attachment,
            RuleId = string.IsNullOrEmpty(rule) ? null : rule,
            CreatedFrom = fromInstant,
            CreatedTo = toInstant,
            Before = before,
            Limit = size + 1,
        }, cancellationToken);
        var page = rows.Take(size).ToList();
        var next = rows.Count > size ? KeysetCursor.Encode(page[^1].CreatedAt, page[^1].Id) : null;
        return TypedResults.Ok(new MessageList(page.Select(m => m.ToSummary()).ToList(), next));
    }

    private static async Task<Results<Ok<MessageDetails>, ProblemHttpResult>> Get(
        string id, ClaimsPrincipal user, MessageStore store, PasswordMailStore passwords, CancellationToken cancellationToken)
    {
        var message = await store.GetAsync(user.TenantId(), id, cancellationToken);
        if (message is null)
        {
            return Problems.MessageNotFound(id);
        }

        return TypedResults.Ok(message.ToDetails(await store.GetRecipientsAsync(id, cancellationToken), await passwords.GetByMessageAsync(id, cancellationToken)));
    }

    private static async Task<Results<Ok<MessageEventList>, ProblemHttpResult>> Events(string id, ClaimsPrincipal user, MessageStore store, CancellationToken cancellationToken)
    {
        var events = await store.GetEventsAsync(user.TenantId(), id, cancellationToken);
        if (events.Count == 0)
        {
            // Every message has at least its acceptance event; none means no such message here.
            return Problems.MessageNotFound(id);
        }

        return TypedResults.Ok(new MessageEventList(id, events.Select(e => e.ToDto()).ToList()));
    }

    private static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> OriginalMime(string id, ClaimsPrincipal user, MessageStore store, CancellationToken cancellationToken)
    {
        var original = await store.OpenOriginalAsync(user.TenantId(), id, cancellationToken);
        if (original is null)
        {
            return await store.GetAsync(user.TenantId(), id, cancellationToken) is { ContentPurgedAt: { } purged }
                ? Problems.Of(StatusCodes.Status410Gone, Problems.ContentPurged, "Content purged",
                    $"The content of message '{id}' was deleted by the tenant's retention at {Rfc3339.Format(Clock.FromMs(purged))}; its record remains.")
                : Problems.MessageNotFound(id);
        }

        return TypedResults.Stream(original, Mime, $"{id}.eml");
    }

    /// <summary>One archived copy of what was sent (part 1 unless <paramref name="part"/> says; split delivery and partial retries make several).</summary>
    private static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> SentMime(
        string id, [FromQuery] string? part, ClaimsPrincipal user, MessageStore store, SendGate.Core.Archive.IBlobStore blobs, CancellationToken cancellationToken)
    {
        var number = 1;
        if (part is not null && (!int.TryParse(part, out number) || number < 1))
        {
            return Problems.Invalid("part", ViolationCode.InvalidField, "part is a whole number from 1.");
        }

        var tenantId = user.TenantId();
        var message = await store.GetAsync(tenantId, id, cancellationToken);
        if (message is null)
        {
            return Problems.MessageNotFound(id);
        }

        var copy = (await store.GetSentCopiesAsync(tenantId, id, cancellationToken)).FirstOrDefault(c => c.Part == number);
        if (copy is null)
        {
            return message.ContentPurgedAt is { } purged
                ? Problems.Of(StatusCodes.Status410Gone, Problems.ContentPurged, "Content purged",
                    $"The content of message '{id}' was deleted by the tenant's retention at {Rfc3339.Format(Clock.FromMs(purged))}; its record remains.")
                : Problems.Of(StatusCodes.Status404NotFound, Problems.NotFound, "Not sent",
                    $"Message '{id}' has no sent copy {number}: it is {message.Status}, and a copy is kept for each transaction a relay accepted.");
        }

        var stream = await blobs.OpenAsync(copy.BlobKey, cancellationToken);
        return stream is null
            ? Problems.Of(StatusCodes.Status404NotFound, Problems.NotFound, "Not found", $"The sent copy {number} of message '{id}' is missing from the blob store.")
            : TypedResults.Stream(stream, Mime, $"{id}-sent-{number}.eml");
    }

    private static Task<Results<Ok<MessageDetails>, ProblemHttpResult>> SetLegalHold(
        string id, HttpContext context, ClaimsPrincipal user, MessageStore store, PasswordMailStore passwords, TimeProvider time, CancellationToken cancellationToken) =>
        LegalHoldAsync(id, context, user, hold: true, store, passwords, time, cancellationToken);

    private static Task<Results<Ok<MessageDetails>, ProblemHttpResult>> LiftLegalHold(
        string id, HttpContext context, ClaimsPrincipal user, MessageStore store, PasswordMailStore passwords, TimeProvider time, CancellationToken cancellationToken) =>
        LegalHoldAsync(id, context, user, hold: false, store, passwords, time, cancellationToken);

    private static async Task<Results<Ok<MessageDetails>, ProblemHttpResult>> LegalHoldAsync(
        string id, HttpContext context, ClaimsPrincipal user, bool hold, MessageStore store, PasswordMailStore passwords, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadOptionalAsync<MessageActionRequest>(context, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        AuditRecorder.Detail(context, body?.Reason);
        var tenantId = user.TenantId();
        await store.SetLegalHoldAsync(tenantId, id, hold, user.Actor().Name, body?.Reason, time.NowMs(), cancellationToken);
        var message = await store.GetAsync(tenantId, id, cancellationToken);
        return message is null
            ? Problems.MessageNotFound(id)
            : TypedResults.Ok(message.ToDetails(await store.GetRecipientsAsync(id, cancellationToken), await passwords.GetByMessageAsync(id, cancellationToken)));
    }

    /// <summary>
    /// Streams every message the filters find (newest first) as mboxrd: each one after a
    /// <c>From </c> separator line, lines starting with <c>From </c> (or <c>&gt;From </c>) quoted with
    /// one more <c>&gt;</c>. One page at a time and each message line by line, so memory stays flat
    /// whatever the size. <paramref name="content"/> <c>sent</c> exports the copies relays received.
    /// </summary>
    private static async Task<Results<PushStreamHttpResult, ProblemHttpResult>> Export(
        ClaimsPrincipal user, SendGate.Core.Archive.MboxExport export, SendGate.Core.Audit.AuditTrail audit, HttpContext context,
        [FromQuery] string? content, [FromQuery] string? status, [FromQuery] string? from, [FromQuery] string? to, [FromQuery] string? subject, [FromQuery] string? tag,
        [FromQuery] string? hasAttachments, [FromQuery] string? attachment, [FromQuery] string? rule,
        [FromQuery] string? createdFrom, [FromQuery] string? createdTo, CancellationToken cancellationToken)
    {
        var violations = new List<Violation>();
        var withAttachments = Flag("hasAttachments", hasAttachments, violations);
        if (status is not null && !MessageStatus.All.Contains(status))
        {
            violations.Add(new("status", ViolationCode.InvalidField, $"status must be one of {string.Join(", ", MessageStatus.All)}."));
        }

        var sent = content switch
        {
            null or "" or "original" => false,
            "sent" => true,
            _ => AddViolation(violations, new("content", ViolationCode.InvalidField, "content is 'original' (as submitted, the default) or 'sent' (what relays received).")),
        };

        var filter = new MessageFilter
        {
            Status = status, From = Address(from), To = Address(to), SubjectContains = string.IsNullOrEmpty(subject) ? null : subject, Tag = string.IsNullOrEmpty(tag) ? null : tag,
            HasAttachments = withAttachments, AttachmentName = string.IsNullOrEmpty(attachment) ? null : attachment, RuleId = string.IsNullOrEmpty(rule) ? null : rule,
            CreatedFrom = Instant("createdFrom", createdFrom, violations), CreatedTo = Instant("createdTo", createdTo, violations), Limit = 200,
        };
        if (violations.Count > 0)
        {
            return Problems.Invalid(violations);
        }

        var tenantId = user.TenantId();
        await audit.RecordAsync(new SendGate.Core.Audit.AuditEntry(tenantId, user.Actor().Name, "GET /v1/messages/export", null, context.Request.QueryString.HasValue ? context.Request.QueryString.Value : null,
            context.Connection.RemoteIpAddress?.ToString(), 200), cancellationToken);
        return TypedResults.Stream(output => export.WriteAsync(output, tenantId, filter, sent, context.RequestAborted), "application/mbox", "sendgate-export.mbox");
    }

    private static Task<Results<Ok<MessageDetails>, ProblemHttpResult>> Release(
        string id, HttpContext context, ClaimsPrincipal user, MessageActions actions, MessageStore store, PasswordMailStore passwords,
        CancellationToken cancellationToken) =>
        Act(id, context, reason => actions.ReleaseAsync(user.Actor(), id, reason, cancellationToken), "release", "held", store, passwords, cancellationToken);

    private static Task<Results<Ok<MessageDetails>, ProblemHttpResult>> Cancel(
        string id, HttpContext context, ClaimsPrincipal user, MessageActions actions, MessageStore store, PasswordMailStore passwords,
        CancellationToken cancellationToken) =>
        Act(id, context, reason => actions.CancelAsync(user.Actor(), id, reason, cancellationToken), "cancel", "held, awaiting_approval or queued",
            store, passwords, cancellationToken);

    private static async Task<Results<Ok<MessageDetails>, ProblemHttpResult>> Act(string id, HttpContext context, Func<string?, Task<ActionOutcome>> action,
        string verb, string allowed, MessageStore store, PasswordMailStore passwords, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadOptionalAsync<MessageActionRequest>(context, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        AuditRecorder.Detail(context, body?.Reason);
        switch (await action(body?.Reason))
        {
            case ActionOutcome.Done done:
                return TypedResults.Ok(done.Message.ToDetails(await store.GetRecipientsAsync(id, cancellationToken), await passwords.GetByMessageAsync(id, cancellationToken)));
            case ActionOutcome.Conflict conflict:
                return Problems.Of(StatusCodes.Status409Conflict, Problems.InvalidTransition, "Not possible in this status",
                    $"Cannot {verb} message '{id}': it is {conflict.CurrentStatus}, and only a message that is {allowed} can be {(verb == "cancel" ? "cancelled" : "released")}.",
                    new Dictionary<string, object?> { ["currentStatus"] = conflict.CurrentStatus });
            default:
                return Problems.MessageNotFound(id);
        }
    }

    /// <summary>
    /// The address in a filter value, so that a whole mailbox copied from a message
    /// (<c>"山田 太郎" &lt;taro@example.co.jp&gt;</c>) finds what its address finds.
    /// </summary>
    private static string? Address(string? value) =>
        value is not null && value.Contains('<', StringComparison.Ordinal) && MimeKit.MailboxAddress.TryParse(value, out var mailbox) ? mailbox.Address : value;

    private static Encoding? HeaderCharset(MediaTypeHeaderValue mediaType)
    {
        if (string.IsNullOrEmpty(mediaType.CharSet))
        {
            return null;
        }

        try
        {
            return Encoding.GetEncoding(mediaType.CharSet.Trim('"'));
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static bool AddViolation(List<Violation> violations, Violation violation)
    {
        violations.Add(violation);
        return false;
    }

    private static bool? Flag(string field, string? value, List<Violation> violations)
    {
        switch (value?.ToLowerInvariant())
        {
            case null:
                return null;
            case "true":
                return true;
            case "false":
                return false;
            default:
                violations.Add(new(field, ViolationCode.InvalidField, $"{field} is true or false."));
                return null;
        }
    }

    private static long? Instant(string field, string? value, List<Violation> violations)
    {
        if (value is null)
        {
            return null;
        }

        if (Rfc3339.TryParse(value, out var instant))
        {
            return instant.ToUnixTimeMilliseconds();
        }

        violations.Add(new(field, ViolationCode.InvalidField, $"{field} must be an RFC 3339 date-time with offset."));
        return null;
    }

    // The whole Content-Type counts (a charset changes what the bytes mean), compared case-insensitively.
    private static string RequestHash(string contentType, string? sendAt, byte[] body)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{contentType.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant()}\n{sendAt}\n"));
        hash.AppendData(body);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
