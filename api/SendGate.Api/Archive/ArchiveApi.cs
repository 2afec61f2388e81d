using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using SendGate.Api.Audit;
using SendGate.Api.Auth;
using SendGate.Api.Infrastructure;
using SendGate.Api.Messages;
using SendGate.Core;
using SendGate.Core.Archive;
using SendGate.Core.Audit;
using SendGate.Core.Encryption;
using SendGate.Core.Messages;
using SendGate.Core.Mime;

namespace SendGate.Api.Archive;

/// <summary>
/// The archive under <c>/v1/messages</c>: search, the mbox export, a message's original and sent
/// MIME, and legal holds. Search and export read the same filters (<see cref="MessageSearchQuery"/>).
/// </summary>
internal static class ArchiveApi
{
    private const string Mime = SubmissionRequest.Mime;

    public static RouteGroupBuilder MapArchive(this IEndpointRouteBuilder routes)
    {
        // Every problem an endpoint can answer is declared (the contract test compares them with
        // openapi.yaml): those of every endpoint once on the group, the rest on each.
        var group = routes.MapGroup("/v1/messages").WithTags("Messages")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status500InternalServerError);

        group.MapGet("/", List).WithName("ListMessages").WithSummary("List messages, newest first")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .RequireAuthorization(Access.Review);
        group.MapGet("/{id}/mime", OriginalMime).WithName("GetMessageMime").WithSummary("The original MIME as submitted")
            .Produces<Stream>(StatusCodes.Status200OK, Mime)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status410Gone)
            .RequireAuthorization(Access.Review);
        group.MapGet("/{id}/sent", SentMime).WithName("GetSentMime").WithSummary("Exactly what was sent (after Bcc conversion and encryption)")
            .Produces<Stream>(StatusCodes.Status200OK, Mime)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status410Gone)
            .RequireAuthorization(Access.Review);
        group.MapGet("/export", Export).WithName("ExportMessages").WithSummary("The messages a search finds, as one mbox file (streamed)")
            .Produces<Stream>(StatusCodes.Status200OK, "application/mbox")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .RequireAuthorization(Access.Admin);
        group.MapPut("/{id}/legal-hold", SetLegalHold).WithName("SetLegalHold").WithSummary("Keep the message whatever the retention says")
            .Accepts<MessageActionRequest>(isOptional: true, "application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .RequireAuthorization(Access.Admin);
        group.MapDelete("/{id}/legal-hold", LiftLegalHold).WithName("LiftLegalHold").WithSummary("Let retention apply to the message again")
            .Accepts<MessageActionRequest>(isOptional: true, "application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .RequireAuthorization(Access.Admin);
        return group;
    }

    private static async Task<Results<Ok<MessageList>, ProblemHttpResult>> List(
        ClaimsPrincipal user, MessageSearch search, [AsParameters] MessageSearchQuery query, [FromQuery] string? cursor, [FromQuery] string? limit,
        CancellationToken cancellationToken)
    {
        var violations = new List<Violation>();
        var size = QueryValues.PageSize(limit, violations);
        var before = QueryValues.Cursor(cursor, violations);
        var filter = query.ToFilter(violations);
        if (violations.Count > 0)
        {
            return Problems.Invalid(violations);
        }

        var rows = await search.ListAsync(user.TenantId(), filter with { Before = before, Limit = size + 1 }, cancellationToken);
        var page = rows.Take(size).ToList();
        var next = rows.Count > size ? KeysetCursor.Encode(page[^1].CreatedAt, page[^1].Id) : null;
        return TypedResults.Ok(new MessageList(page.Select(m => m.ToSummary()).ToList(), next));
    }

    /// <summary>
    /// Streams every message the filters find (newest first) as mboxrd: each one after a
    /// <c>From </c> separator line, lines starting with <c>From </c> (or <c>&gt;From </c>) quoted with
    /// one more <c>&gt;</c>. One page at a time and each message line by line, so memory stays flat
    /// whatever the size. <paramref name="content"/> <c>sent</c> exports the copies relays received.
    /// </summary>
    private static async Task<Results<PushStreamHttpResult, ProblemHttpResult>> Export(
        ClaimsPrincipal user, MboxExport export, AuditTrail audit, HttpContext context, [AsParameters] MessageSearchQuery query, [FromQuery] string? content,
        CancellationToken cancellationToken)
    {
        var violations = new List<Violation>();
        var sent = content switch
        {
            null or "" or "original" => false,
            "sent" => true,
            _ => AddViolation(violations, new("content", ViolationCode.InvalidField, "content is 'original' (as submitted, the default) or 'sent' (what relays received).")),
        };

        var filter = query.ToFilter(violations) with { Limit = 200 };
        if (violations.Count > 0)
        {
            return Problems.Invalid(violations);
        }

        var tenantId = user.TenantId();
        await audit.RecordAsync(new AuditEntry(tenantId, user.Actor().Name, "GET /v1/messages/export", null, context.Request.QueryString.HasValue ? context.Request.QueryString.Value : null,
            context.Connection.RemoteIpAddress?.ToString(), 200), cancellationToken);
        return TypedResults.Stream(output => export.WriteAsync(output, tenantId, filter, sent, context.RequestAborted), "application/mbox", "sendgate-export.mbox");
    }

    private static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> OriginalMime(string id, ClaimsPrincipal user, MessageStore store, CancellationToken cancellationToken)
    {
        var original = await store.OpenOriginalAsync(user.TenantId(), id, cancellationToken);
        if (original is null)
        {
            return await store.GetAsync(user.TenantId(), id, cancellationToken) is { ContentPurgedAt: { } purged }
                ? Purged(id, purged)
                : Problems.MessageNotFound(id);
        }

        return TypedResults.Stream(original, Mime, $"{id}.eml");
    }

    /// <summary>One archived copy of what was sent (part 1 unless <paramref name="part"/> says; split delivery and partial retries make several).</summary>
    private static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> SentMime(
        string id, [FromQuery] string? part, ClaimsPrincipal user, MessageStore store, SentCopies sentCopies, IBlobStore blobs, CancellationToken cancellationToken)
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

        var copy = (await sentCopies.ForMessageAsync(tenantId, id, cancellationToken)).FirstOrDefault(c => c.Part == number);
        if (copy is null)
        {
            return message.ContentPurgedAt is { } purged
                ? Purged(id, purged)
                : Problems.Of(StatusCodes.Status404NotFound, Problems.NotFound, "Not sent",
                    $"Message '{id}' has no sent copy {number}: it is {message.Status}, and a copy is kept for each transaction a relay accepted.");
        }

        var stream = await blobs.OpenAsync(copy.BlobKey, cancellationToken);
        return stream is null
            ? Problems.Of(StatusCodes.Status404NotFound, Problems.NotFound, "Not found", $"The sent copy {number} of message '{id}' is missing from the blob store.")
            : TypedResults.Stream(stream, Mime, $"{id}-sent-{number}.eml");
    }

    private static ProblemHttpResult Purged(string id, long purgedAt) =>
        Problems.Of(StatusCodes.Status410Gone, Problems.ContentPurged, "Content purged",
            $"The content of message '{id}' was deleted by the tenant's retention at {Rfc3339.Format(Clock.FromMs(purgedAt))}; its record remains.");

    /// <summary>The services and request of a legal-hold change.</summary>
    private readonly record struct LegalHoldRequest(string Id, HttpContext Context, ClaimsPrincipal User, MessageStore Store, PasswordMailStore Passwords,
        TimeProvider Time, CancellationToken CancellationToken);

    private static Task<Results<Ok<MessageDetails>, ProblemHttpResult>> SetLegalHold([AsParameters] LegalHoldRequest request) =>
        LegalHoldAsync(request, hold: true);

    private static Task<Results<Ok<MessageDetails>, ProblemHttpResult>> LiftLegalHold([AsParameters] LegalHoldRequest request) =>
        LegalHoldAsync(request, hold: false);

    private static async Task<Results<Ok<MessageDetails>, ProblemHttpResult>> LegalHoldAsync(LegalHoldRequest r, bool hold)
    {
        var (body, problem) = await JsonBody.ReadOptionalAsync<MessageActionRequest>(r.Context, r.CancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        AuditRecorder.Detail(r.Context, body?.Reason);
        var tenantId = r.User.TenantId();
        await r.Store.SetLegalHoldAsync(tenantId, r.Id, hold, r.User.Actor().Name, body?.Reason, r.Time.NowMs(), r.CancellationToken);
        var message = await r.Store.GetAsync(tenantId, r.Id, r.CancellationToken);
        return message is null
            ? Problems.MessageNotFound(r.Id)
            : TypedResults.Ok(await r.Store.DetailsAsync(r.Passwords, message, r.CancellationToken));
    }

    private static bool AddViolation(List<Violation> violations, Violation violation)
    {
        violations.Add(violation);
        return false;
    }
}
