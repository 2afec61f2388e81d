using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using SendGate.Api.Auth;
using SendGate.Api.Infrastructure;
using SendGate.Core;
using SendGate.Core.Audit;
using SendGate.Core.Mime;

namespace SendGate.Api.Audit;

public sealed record AuditEntryDto(long Seq, DateTimeOffset At, string Actor, string Action, string? Resource, string? Detail, string? Ip, int StatusCode,
    string PrevHash, string Hash);

public sealed record AuditList(IReadOnlyList<AuditEntryDto> Items, string? NextCursor);

public sealed record AuditVerificationDto(bool Intact, long Entries, long? ExpectedEntries, long? FirstBrokenSeq, string? Reason, string? Problem);

/// <summary><c>/v1/audit</c> (admin): the tenant's tamper-evident audit trail, and its verification.</summary>
internal static class AuditApi
{
    public static RouteGroupBuilder MapAudit(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/audit").WithTags("Audit").RequireAuthorization(Access.Admin)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status500InternalServerError);
        group.MapGet("/", List).WithName("ListAudit").WithSummary("Audit entries, newest first").ProducesProblem(StatusCodes.Status400BadRequest);
        group.MapGet("/verify", Verify).WithName("VerifyAudit").WithSummary("Check the keyed chain and the signed head: intact, or the first entry affected and what was found");
        return group;
    }

    /// <summary>The query values of the audit list: its filters and the page wanted.</summary>
    internal sealed record AuditListQuery(
        [FromQuery(Name = "actor")] string? Actor,
        [FromQuery(Name = "action")] string? Action,
        [FromQuery(Name = "from")] string? From,
        [FromQuery(Name = "to")] string? To,
        [FromQuery(Name = "cursor")] string? Cursor,
        [FromQuery(Name = "limit")] string? Limit);

    private static Task<Results<Ok<AuditList>, ProblemHttpResult>> List(ClaimsPrincipal user, AuditTrail trail, [AsParameters] AuditListQuery query,
        CancellationToken cancellationToken) =>
        PageAsync(query, filter => trail.ListAsync(user.TenantId(), filter, cancellationToken));

    /// <summary>A page of a trail (a tenant's or the operator's) for the query's filters and cursor.</summary>
    internal static async Task<Results<Ok<AuditList>, ProblemHttpResult>> PageAsync(AuditListQuery query, Func<AuditFilter, Task<IReadOnlyList<AuditRow>>> list)
    {
        var violations = new List<Violation>();
        var fromMs = QueryValues.Instant("from", query.From, violations);
        var toMs = QueryValues.Instant("to", query.To, violations);
        var size = QueryValues.PageSize(query.Limit, violations);

        long? before = null;
        if (query.Cursor is not null)
        {
            if (long.TryParse(query.Cursor, CultureInfo.InvariantCulture, out var seq) && seq > 0)
            {
                before = seq;
            }
            else
            {
                violations.Add(new("cursor", ViolationCode.InvalidField, "cursor is not one this API returned."));
            }
        }

        if (violations.Count > 0)
        {
            return Problems.Invalid(violations);
        }

        var rows = await list(new AuditFilter(query.Actor, query.Action, fromMs, toMs, before, size + 1));
        var page = rows.Take(size).ToList();
        return TypedResults.Ok(new AuditList(
            page.Select(r => new AuditEntryDto(r.Seq, Clock.FromMs(r.At), r.Actor, r.Action, r.Resource, r.Detail, r.Ip, r.StatusCode, r.PrevHash, r.Hash)).ToList(),
            rows.Count > size ? page[^1].Seq.ToString(CultureInfo.InvariantCulture) : null));
    }

    private static async Task<Ok<AuditVerificationDto>> Verify(ClaimsPrincipal user, AuditTrail trail, CancellationToken cancellationToken)
    {
        var result = await trail.VerifyAsync(user.TenantId(), cancellationToken);
        return TypedResults.Ok(ToDto(result));
    }

    internal static AuditVerificationDto ToDto(AuditVerification result) =>
        new(result.Intact, result.Entries, result.ExpectedEntries, result.FirstBrokenSeq, Reason(result.Finding), result.Problem);

    private static string? Reason(AuditFinding? finding) => finding switch
    {
        null => null,
        AuditFinding.Altered => "altered",
        AuditFinding.Removed => "removed",
        AuditFinding.Inserted => "inserted",
        AuditFinding.Truncated => "truncated",
        AuditFinding.HeadMissing => "head-missing",
        AuditFinding.HeadMismatch => "head-mismatch",
        _ => throw new ArgumentOutOfRangeException(nameof(finding), finding, null),
    };
}
