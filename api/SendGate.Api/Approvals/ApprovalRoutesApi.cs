using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using SendGate.Api.Auth;
using SendGate.Api.Infrastructure;
using SendGate.Core.Approvals;
using SendGate.Core.Policies;

namespace SendGate.Api.Approvals;

public sealed record ApprovalRouteList(IReadOnlyList<ApprovalRouteSpec> Items);

/// <summary><c>/v1/approval-routes</c> (admin): who approves whose mail, by route name (the name a rule's requireApproval gives).</summary>
internal static class ApprovalRoutesApi
{
    public static RouteGroupBuilder MapApprovalRoutes(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/approval-routes").WithTags("Approval routes").RequireAuthorization(Access.Admin)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status500InternalServerError);
        group.MapGet("/", List).WithName("ListApprovalRoutes").WithSummary("Every approval route of the tenant")
            .Produces<ApprovalRouteList>();
        group.MapGet("/{name}", Get).WithName("GetApprovalRoute").WithSummary("One approval route")
            .Produces<ApprovalRouteSpec>().ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPut("/{name}", Put).WithName("PutApprovalRoute").WithSummary("Create or replace an approval route")
            .Accepts<ApprovalRouteSpec>("application/json").Produces<ApprovalRouteSpec>().Produces<ApprovalRouteSpec>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        group.MapDelete("/{name}", Delete).WithName("DeleteApprovalRoute").WithSummary("Delete an approval route (requests already made keep their copy)")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return group;
    }

    // Written like one route (members not set are left out), so an item reads the same as GET /{name}.
    private static async Task<JsonHttpResult<ApprovalRouteList>> List(ClaimsPrincipal user, ApprovalStore store, CancellationToken cancellationToken) =>
        TypedResults.Json(new ApprovalRouteList(await store.GetRoutesAsync(user.TenantId(), cancellationToken)), ApprovalStore.Json);

    private static async Task<Results<JsonHttpResult<ApprovalRouteSpec>, ProblemHttpResult>> Get(string name, ClaimsPrincipal user, ApprovalStore store, CancellationToken cancellationToken) =>
        await store.GetRouteAsync(user.TenantId(), name, cancellationToken) is { } route ? TypedResults.Json(route, ApprovalStore.Json) : NotFound(name);

    private static async Task<Results<JsonHttpResult<ApprovalRouteSpec>, ProblemHttpResult>> Put(
        string name, HttpContext context, ClaimsPrincipal user, ApprovalStore store, PolicyService policies, TimeProvider time, CancellationToken cancellationToken)
    {
        var (route, problem) = await JsonBody.ReadAsync<ApprovalRouteSpec>(context, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (route!.Name is not null && route.Name != name)
        {
            return Problems.Invalid("name", SendGate.Core.Mime.ViolationCode.InvalidField, $"The body names route '{route.Name}' but the URL '{name}'; leave name out or make them equal.");
        }

        var tenantId = user.TenantId();
        var settings = (await policies.GetSnapshotAsync(tenantId, cancellationToken)).Settings;
        var named = route with { Name = name, UpdatedAt = null };
        var violations = ApprovalRoutes.Validate(named, settings.SenderGroups);
        if (violations.Count > 0)
        {
            return Problems.Invalid(violations);
        }

        var created = await store.SaveRouteAsync(tenantId, named, time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken);
        var saved = await store.GetRouteAsync(tenantId, name, cancellationToken);
        return TypedResults.Json(saved!, ApprovalStore.Json, statusCode: created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string name, ClaimsPrincipal user, ApprovalStore store, CancellationToken cancellationToken) =>
        await store.DeleteRouteAsync(user.TenantId(), name, cancellationToken) ? TypedResults.NoContent() : NotFound(name);

    private static ProblemHttpResult NotFound(string name) =>
        Problems.Of(StatusCodes.Status404NotFound, Problems.NotFound, "Not found", $"No approval route '{name}' exists for this tenant.");
}
