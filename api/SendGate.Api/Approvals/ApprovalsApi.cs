using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using SendGate.Api.Audit;
using SendGate.Api.Auth;
using SendGate.Api.Infrastructure;
using SendGate.Core;
using SendGate.Core.Approvals;
using SendGate.Core.Messages;
using SendGate.Core.Mime;
using SendGate.Core.Policies;
using SendGate.Core.Tenants;

namespace SendGate.Api.Approvals;

/// <summary>One decision; <c>OwnMail</c>: an admin decided a mail they sent themselves.</summary>
public sealed record ApprovalDecisionDto(int Level, string Approver, string Actor, string ActingAs, string Decision, string? Comment, string Channel,
    string? KeyId, string? Ip, DateTimeOffset At, bool OwnMail);

public sealed record ApprovalRecipientDto(string Address, string Kind, bool External);

public sealed record ApprovalAttachmentDto(string Name, string ContentType, long Size);

public sealed record ApprovalRuleDto(string RuleId, string Name, IReadOnlyList<string> Conditions);

/// <summary>What an approver needs to decide: who sends what to whom, and why it needs approval.</summary>
public sealed record ApprovalMessageDto(
    string Id,
    string Status,
    string From,
    string Subject,
    IReadOnlyList<ApprovalRecipientDto> Recipients,
    IReadOnlyList<ApprovalAttachmentDto> Attachments,
    IReadOnlyList<ApprovalRuleDto> Rules,
    IReadOnlyList<string> Reasons,
    string? BodyPreview);

public sealed record ApprovalDto(
    string Id,
    string Status,
    string Route,
    int Level,
    IReadOnlyList<ApprovalLevel> Levels,
    IReadOnlyList<string> FallbackApprovers,
    IReadOnlyList<ApprovalProxy> Proxies,
    IReadOnlyList<string> CurrentApprovers,
    DateTimeOffset DueAt,
    string OnTimeout,
    string? DecidedBy,
    DateTimeOffset? DecidedAt,
    string? Comment,
    IReadOnlyList<ApprovalDecisionDto> Decisions,
    ApprovalMessageDto Message,
    DateTimeOffset CreatedAt);

public sealed record ApprovalList(IReadOnlyList<ApprovalDto> Items, string? NextCursor);

/// <summary>Optional body of approve and reject.</summary>
public sealed record ApprovalDecisionRequest(string? Comment);

/// <summary>
/// <c>/v1/approvals</c>: requests for supervisor approval. Approver keys decide as the person they
/// are bound to (or for whom they are an active proxy); admins may decide anything in the tenant.
/// </summary>
internal static class ApprovalsApi
{
    public static RouteGroupBuilder MapApprovals(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/approvals").WithTags("Approvals").RequireAuthorization(Access.Approve)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status500InternalServerError);
        group.MapGet("/", List).WithName("ListApprovals").WithSummary("Approval requests: by default the pending ones the caller may decide now")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        group.MapGet("/{id}", Get).WithName("GetApproval").WithSummary("One approval request with the message summary and every decision")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/{id}/approve", Approve).WithName("ApproveApproval").WithSummary("Approve (the message continues once every level has approved)")
            .Accepts<ApprovalDecisionRequest>(isOptional: true, "application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        group.MapPost("/{id}/reject", Reject).WithName("RejectApproval").WithSummary("Reject (the message is rejected and not sent)")
            .Accepts<ApprovalDecisionRequest>(isOptional: true, "application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        return group;
    }

    private static readonly string[] Statuses = [ApprovalStatus.Pending, ApprovalStatus.Approved, ApprovalStatus.Rejected, ApprovalStatus.Expired, ApprovalStatus.Cancelled];

    // Rows read per query, and at most per page: an approver involved in few of many requests gets a
    // shorter page with a cursor to go on from, rather than a request that reads the whole history.
    private const int ScanBatch = 200;
    private const int MaxScanned = 2000;

    /// <summary>The caller, query values and services of the approval list.</summary>
    private readonly record struct ListApprovalsRequest(
        ClaimsPrincipal User,
        [FromQuery(Name = "status")] string? Status,
        [FromQuery(Name = "cursor")] string? Cursor,
        [FromQuery(Name = "limit")] string? Limit,
        ApprovalStore Store,
        MessageStore Messages,
        PolicyService Policies,
        TimeProvider Time,
        CancellationToken CancellationToken);

    private static async Task<Results<Ok<ApprovalList>, ProblemHttpResult>> List([AsParameters] ListApprovalsRequest request)
    {
        var violations = new List<Violation>();
        var status = request.Status ?? ApprovalStatus.Pending;
        if (!Statuses.Contains(status))
        {
            violations.Add(new("status", ViolationCode.InvalidField, $"status must be one of {string.Join(", ", Statuses)}."));
        }

        var size = QueryValues.PageSize(request.Limit, violations);
        var position = QueryValues.Cursor(request.Cursor, violations);

        if (violations.Count > 0)
        {
            return Problems.Invalid(violations);
        }

        var who = Identity(request.User, null);
        var now = request.Time.GetUtcNow();
        bool Visible(ApprovalRequestRow r) =>
            who.IsAdmin || (status == ApprovalStatus.Pending ? ApprovalService.Standing(r, who, now) is not null : ApprovalRoutes.Involves(r, who.Address));

        // One more than a page tells whether there is a next one; the cursor is where this page ends.
        var page = new List<ApprovalRequestRow>();
        var scanned = 0;
        string? next = null;
        while (true)
        {
            var rows = await request.Store.ListAsync(request.User.TenantId(), status, position, ScanBatch, request.CancellationToken);
            foreach (var row in rows)
            {
                if (!Visible(row))
                {
                    position = (row.CreatedAt, row.Id);
                    continue;
                }

                if (page.Count == size)
                {
                    next = KeysetCursor.Encode(page[^1].CreatedAt, page[^1].Id);
                    break;
                }

                page.Add(row);
                position = (row.CreatedAt, row.Id);
            }

            scanned += rows.Count;
            if (next is not null || rows.Count < ScanBatch)
            {
                break;
            }

            if (scanned >= MaxScanned)
            {
                next = KeysetCursor.Encode(position!.Value.Item1, position.Value.Item2);
                break;
            }
        }

        var items = new List<ApprovalDto>();
        foreach (var row in page)
        {
            items.Add(await ToDtoAsync(row, request.Store, request.Messages, request.Policies, withAttachments: false, request.CancellationToken));
        }

        return TypedResults.Ok(new ApprovalList(items, next));
    }

    private static async Task<Results<Ok<ApprovalDto>, ProblemHttpResult>> Get(
        string id, ClaimsPrincipal user, ApprovalStore store, MessageStore messages, PolicyService policies, CancellationToken cancellationToken)
    {
        var row = await store.GetAsync(user.TenantId(), id, cancellationToken);
        var who = Identity(user, null);
        if (row is null || !(who.IsAdmin || ApprovalRoutes.Involves(row, who.Address)))
        {
            // Not involved reads as absent: approvers see only what they approve.
            return NotFound(id);
        }

        return TypedResults.Ok(await ToDtoAsync(row, store, messages, policies, withAttachments: true, cancellationToken));
    }

    /// <summary>The services and request of an approve or a reject.</summary>
    private readonly record struct DecideRequest([FromRoute(Name = "id")] string Id, HttpContext Context, ClaimsPrincipal User, ApprovalService Approvals,
        ApprovalStore Store, MessageStore Messages, PolicyService Policies, CancellationToken CancellationToken);

    private static Task<Results<Ok<ApprovalDto>, ProblemHttpResult>> Approve([AsParameters] DecideRequest request) =>
        DecideAsync(request, approve: true);

    private static Task<Results<Ok<ApprovalDto>, ProblemHttpResult>> Reject([AsParameters] DecideRequest request) =>
        DecideAsync(request, approve: false);

    private static async Task<Results<Ok<ApprovalDto>, ProblemHttpResult>> DecideAsync(DecideRequest r, bool approve)
    {
        // A misspelt "coment" must not lose the comment silently.
        var (body, problem) = await JsonBody.ReadOptionalAsync<ApprovalDecisionRequest>(r.Context, r.CancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var comment = body?.Comment?.Trim() is { } given ? SendGate.Core.Policies.Detectors.SensitiveNumbers.Mask(given) : null;
        AuditRecorder.Detail(r.Context, comment);
        if (comment is { Length: > 2000 })
        {
            return Problems.Invalid("comment", ViolationCode.InvalidField, "comment is at most 2000 characters.");
        }

        // An approver not on this request is refused without learning anything about it, not even whether it was decided.
        var who = Identity(r.User, r.Context);
        if (await r.Store.GetAsync(r.User.TenantId(), r.Id, r.CancellationToken) is not { } existing)
        {
            return NotFound(r.Id);
        }

        // Her own mail is no secret to the sender, so she learns exactly why she cannot decide it.
        if (!who.IsAdmin && who.Address is { } address && await r.Messages.GetByIdAsync(existing.MessageId, r.CancellationToken) is { } own
            && ApprovalRoutes.SendersOf(own.EnvelopeFrom, own.HeaderFrom).Contains(address.ToLowerInvariant()))
        {
            return SelfApproval(address);
        }

        if (!(who.IsAdmin || ApprovalRoutes.Involves(existing, who.Address)))
        {
            return Problems.Of(StatusCodes.Status403Forbidden, Problems.Forbidden, "Not yours to decide",
                $"{who.Address ?? who.Actor} is not an approver of approval request '{r.Id}'.");
        }

        var outcome = await r.Approvals.DecideAsync(r.User.TenantId(), r.Id, who, approve, string.IsNullOrEmpty(comment) ? null : comment, r.CancellationToken);
        if (outcome is DecideOutcome.Done { OwnMail: true })
        {
            AuditRecorder.Detail(r.Context, string.IsNullOrEmpty(comment) ? "the sender's own mail, decided as admin" : $"the sender's own mail, decided as admin: {comment}");
        }

        return outcome switch
        {
            DecideOutcome.Done done => TypedResults.Ok(await ToDtoAsync(done.Request, r.Store, r.Messages, r.Policies, withAttachments: false, r.CancellationToken)),
            DecideOutcome.SelfApproval => SelfApproval(who.Address ?? who.Actor),
            DecideOutcome.Forbidden forbidden => Problems.Of(StatusCodes.Status403Forbidden, Problems.Forbidden, "Not yours to decide now", forbidden.Reason),
            DecideOutcome.AlreadyDecided decided => Problems.Of(StatusCodes.Status409Conflict, Problems.ApprovalDecided, "Already decided",
                $"Approval '{r.Id}' is already {decided.Status}{(decided.By is null ? "" : $" by {decided.By}")}{(decided.At is { } at ? $" at {Rfc3339.Format(at)}" : "")}; a decision is final.",
                new Dictionary<string, object?> { ["approvalStatus"] = decided.Status, ["decidedBy"] = decided.By, ["decidedAt"] = decided.At }),
            _ => NotFound(r.Id),
        };
    }

    internal static ApproverIdentity Identity(ClaimsPrincipal user, HttpContext? context) => new(
        user.ApproverAddress(), user.IsInRole(Roles.Admin), user.Actor().Name, user.KeyId(), "api", context?.Connection.RemoteIpAddress?.ToString());

    internal static async Task<ApprovalDto> ToDtoAsync(ApprovalRequestRow row, ApprovalStore store, MessageStore messages, PolicyService policies,
        bool withAttachments, CancellationToken cancellationToken)
    {
        var route = row.Route;
        var message = (await messages.GetByIdAsync(row.MessageId, cancellationToken))!;
        var decision = PolicyDecisions.Read(message.Decisions);
        var settings = (await policies.GetSnapshotAsync(row.TenantId, cancellationToken)).Settings;
        var recipients = (await messages.GetRecipientsAsync(message.Id, cancellationToken))
            .Select(r => new ApprovalRecipientDto(r.Address, r.Kind, !DomainMatch.Covers(settings.InternalDomains, MessageFacts.DomainOf(r.Address)))).ToList();
        var attachments = new List<ApprovalAttachmentDto>();
        string? preview = null;
        if (withAttachments && await messages.GetOriginalAsync(row.TenantId, message.Id, cancellationToken) is { } raw)
        {
            using var stream = new MemoryStream(raw, writable: false);
            var mime = MimeKit.MimeMessage.Load(stream, persistent: true);
            attachments.AddRange(mime.Attachments.OfType<MimeKit.MimePart>().Select(p => new AttachmentFact(p))
                .Select(a => new ApprovalAttachmentDto(a.FileName, a.ContentType, a.Size)));
            preview = SendGate.Core.Approvals.BodyPreview.Of(mime, 4000);
        }

        var decisions = await store.GetDecisionsAsync(row.Id, cancellationToken);
        return new ApprovalDto(
            row.Id, row.Status, row.RouteName, row.Level + 1, route.Levels, route.Fallback, route.Proxies,
            row.Status == ApprovalStatus.Pending ? ApprovalService.LevelAt(route, row.Level)?.Approvers ?? [] : [],
            Clock.FromMs(row.DueAt), row.OnTimeout, row.DecidedBy, Clock.FromMs(row.DecidedAt), row.Comment,
            decisions.Select(d => new ApprovalDecisionDto(d.Level + 1, d.Approver, d.Actor, d.ActingAs, d.Decision, d.Comment, d.Channel, d.KeyId, d.Ip, Clock.FromMs(d.At), d.OwnMail)).ToList(),
            new ApprovalMessageDto(message.Id, message.Status, message.HeaderFrom, SendGate.Core.Policies.Detectors.SensitiveNumbers.Mask(message.Subject), recipients, attachments,
                (decision?.Rules ?? []).Select(r => new ApprovalRuleDto(r.RuleId, r.Name, r.Conditions.Select(c => c.Detail).ToList())).ToList(),
                decision?.Reasons ?? [], preview),
            Clock.FromMs(row.CreatedAt));
    }

    private static ProblemHttpResult SelfApproval(string address) =>
        Problems.Of(StatusCodes.Status403Forbidden, Problems.SelfApproval, "You cannot decide your own mail",
            $"{address} sent this mail and cannot approve or reject it (segregation of duties); another approver of the route decides it. Nothing was changed.");

    private static ProblemHttpResult NotFound(string id) =>
        Problems.Of(StatusCodes.Status404NotFound, Problems.NotFound, "Not found", $"No approval request '{id}' exists for you in this tenant.");
}
