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

/// <summary>
/// <c>/v1/messages</c>: submit mail, read one message, follow its lifecycle, release or cancel it.
/// The archive (search, export, content, legal hold) is <see cref="Archive.ArchiveApi"/>.
/// </summary>
internal static class MessagesApi
{
    private const string Json = SubmissionRequest.Json;
    private const string Mime = SubmissionRequest.Mime;

    public static RouteGroupBuilder MapMessages(this IEndpointRouteBuilder routes)
    {
        // A ProblemHttpResult reports no status code to the generated document, so every problem an
        // endpoint can answer is declared: those of every endpoint once on the group, the rest on
        // each; the contract test compares them with openapi.yaml.
        var group = routes.MapGroup("/v1/messages").WithTags("Messages")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status500InternalServerError);

        group.MapPost("/", Submit).WithName("SubmitMessage")
            .WithSummary("Submit a message (JSON or raw MIME)")
            .WithDescription("Stores the message durably, applies the tenant's policy and answers 202 once it is committed.")
            .Accepts<MessageRequest>(Json, Mime)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status507InsufficientStorage)
            .RequireSubmissionLimits()
            .RequireAuthorization(Access.Send);

        group.MapGet("/{id}", Get).WithName("GetMessage").WithSummary("Get a message with its recipients and decisions")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Access.Review);
        group.MapGet("/{id}/events", Events).WithName("GetMessageEvents").WithSummary("The message's lifecycle events, in order")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Access.Review);
        group.MapPost("/{id}/release", Release).WithName("ReleaseMessage").WithSummary("Release a held message now")
            .Accepts<MessageActionRequest>(isOptional: true, Json)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .RequireAuthorization(Access.Review);
        group.MapPost("/{id}/cancel", Cancel).WithName("CancelMessage").WithSummary("Cancel a message that has not been sent")
            .Accepts<MessageActionRequest>(isOptional: true, Json)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .RequireAuthorization(Access.Review);
        return group;
    }

    /// <summary>The services and request of a submission.</summary>
    private readonly record struct SubmitMessageRequest(
        HttpContext Context,
        ClaimsPrincipal User,
        [FromHeader(Name = "Idempotency-Key")] string? IdempotencyKey,
        [FromQuery(Name = "sendAt")] string? SendAt,
        MessageIntake Intake,
        SubmissionService Submissions,
        IOptions<LimitsOptions> Limits,
        CancellationToken CancellationToken);

    private static async Task<Results<Accepted<SubmitMessageResponse>, ProblemHttpResult>> Submit([AsParameters] SubmitMessageRequest request)
    {
        var key = request.IdempotencyKey;
        if (key is not null && (key.Length is 0 or > 200 || key.Any(c => c is < '!' or > '~')))
        {
            return Problems.Invalid("Idempotency-Key", ViolationCode.InvalidField, "Idempotency-Key must be 1 to 200 visible ASCII characters.");
        }

        // Claimed before the body is read: a request is in flight from its first byte.
        using var claim = key is null ? null : request.Submissions.TryClaimIdempotencyKey(request.User.TenantId(), key);
        if (key is not null && claim is null)
        {
            request.Context.Response.Headers.RetryAfter = "1";
            return Problems.Of(StatusCodes.Status409Conflict, Problems.IdempotencyKeyInFlight, "Request with this Idempotency-Key in progress",
                $"A request with Idempotency-Key '{key}' is still being processed; retry once it has been answered.");
        }

        var read = await SubmissionRequest.ReadSubmissionAsync(request.Context, request.Limits.Value, request.CancellationToken);
        if (read.Problem is { } unreadable)
        {
            return unreadable;
        }

        var body = read.Body!;
        var idempotency = key is null ? null : new IdempotencyRequest(key, SubmissionRequest.RequestHash(request.Context.Request.ContentType!, request.SendAt, body.Bytes));
        if (idempotency is not null && await request.Submissions.FindPreviousAsync(request.User.TenantId(), idempotency, request.CancellationToken) is { } previous)
        {
            return Answer(request.Context, previous);
        }

        var messageId = SubmissionService.NewMessageId();
        var prepared = SubmissionRequest.Prepare(body, messageId, request.SendAt, request.Intake, request.Submissions);
        if (prepared.Problem is { } invalid)
        {
            return invalid;
        }

        using var message = prepared.Message!;
        var outcome = await request.Submissions.SubmitAsync(request.User.Actor(), messageId, message, prepared.SendAt, idempotency, request.CancellationToken);
        return Answer(request.Context, outcome);
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
            case SubmitOutcome.QuotaExceeded quota:
                return Problems.Quota(context, quota.Refusal, context.RequestServices.GetRequiredService<TimeProvider>());
            default:
                throw new InvalidOperationException($"Unexpected outcome {outcome}.");
        }
    }

    private static async Task<Results<Ok<MessageDetails>, ProblemHttpResult>> Get(
        string id, ClaimsPrincipal user, MessageStore store, PasswordMailStore passwords, CancellationToken cancellationToken)
    {
        var message = await store.GetAsync(user.TenantId(), id, cancellationToken);
        if (message is null)
        {
            return Problems.MessageNotFound(id);
        }

        return TypedResults.Ok(await store.DetailsAsync(passwords, message, cancellationToken));
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

    /// <summary>The services and request of a release or a cancel.</summary>
    private readonly record struct StatusChangeRequest([FromRoute(Name = "id")] string Id, HttpContext Context, ClaimsPrincipal User, MessageActions Actions,
        MessageStore Store, PasswordMailStore Passwords, CancellationToken CancellationToken);

    private static Task<Results<Ok<MessageDetails>, ProblemHttpResult>> Release([AsParameters] StatusChangeRequest request) =>
        Act(request, reason => request.Actions.ReleaseAsync(request.User.Actor(), request.Id, reason, request.CancellationToken), "release", "held");

    private static Task<Results<Ok<MessageDetails>, ProblemHttpResult>> Cancel([AsParameters] StatusChangeRequest request) =>
        Act(request, reason => request.Actions.CancelAsync(request.User.Actor(), request.Id, reason, request.CancellationToken), "cancel",
            "held, awaiting_approval or queued");

    private static async Task<Results<Ok<MessageDetails>, ProblemHttpResult>> Act(StatusChangeRequest r, Func<string?, Task<ActionOutcome>> action,
        string verb, string allowed)
    {
        var (body, problem) = await JsonBody.ReadOptionalAsync<MessageActionRequest>(r.Context, r.CancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        AuditRecorder.Detail(r.Context, body?.Reason);
        switch (await action(body?.Reason))
        {
            case ActionOutcome.Done done:
                return TypedResults.Ok(await r.Store.DetailsAsync(r.Passwords, done.Message, r.CancellationToken));
            case ActionOutcome.Conflict conflict:
                return Problems.Of(StatusCodes.Status409Conflict, Problems.InvalidTransition, "Not possible in this status",
                    $"Cannot {verb} message '{r.Id}': it is {conflict.CurrentStatus}, and only a message that is {allowed} can be {(verb == "cancel" ? "cancelled" : "released")}.",
                    new Dictionary<string, object?> { ["currentStatus"] = conflict.CurrentStatus });
            default:
                return Problems.MessageNotFound(r.Id);
        }
    }
}
