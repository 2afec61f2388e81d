using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using SendGate.Api.Audit;
using SendGate.Api.Auth;
using SendGate.Api.Infrastructure;
using SendGate.Core;
using SendGate.Core.Audit;
using SendGate.Core.Mime;
using SendGate.Core.Policies;
using SendGate.Core.Tenants;

namespace SendGate.Api.Operator;

/// <summary>A tenant's own quotas (null: the host's default; 0: no limit).</summary>
public sealed record QuotasRequest
{
    public long? MessagesPerDay { get; init; }
    public long? StoredBytes { get; init; }
    public long? ApiKeys { get; init; }
    public long? WebhookEndpoints { get; init; }
}

public sealed record CreateTenantRequest
{
    public string? Name { get; init; }
    public IReadOnlyList<string>? InternalDomains { get; init; }

    /// <summary><c>ja</c> (default) or <c>en</c>.</summary>
    public string? Language { get; init; }

    /// <summary>IANA time zone (default <c>Asia/Tokyo</c>): the tenant's calendar day for its daily quota too.</summary>
    public string? TimeZone { get; init; }

    /// <summary><c>recommended</c> or <c>empty</c>; absent: the host's initial policy (<c>SendGate:Policy:InitialPolicy</c>).</summary>
    public string? InitialPolicy { get; init; }

    public QuotasRequest? Quotas { get; init; }
}

public sealed record OperatorTenantDto(
    string Id,
    string Name,
    IReadOnlyList<string> InternalDomains,
    string Language,
    string TimeZone,
    string Status,
    DateTimeOffset? SuspendedAt,
    TenantQuotas OwnQuotas,
    TenantQuotas Quotas,
    TenantUsage Usage,
    DateTimeOffset CreatedAt);

public sealed record OperatorTenantList(IReadOnlyList<OperatorTenantDto> Items, string? NextCursor);

/// <summary>The tenant's first admin key; <c>key</c> is its secret, shown only in this answer (as for <c>POST /v1/api-keys</c>).</summary>
public sealed record CreatedAdminKey(string Id, string Name, string Prefix, string Key);

public sealed record CreatedTenant(OperatorTenantDto Tenant, CreatedAdminKey AdminKey);

/// <summary>A tenant being deleted: refused everywhere now, purged by the worker shortly.</summary>
public sealed record DeletingTenant(string Id, string Status, long MessagesUnderLegalHold);

/// <summary>
/// <c>/v1/operator</c>: the operator of a SendGate host for many companies creates tenants (with
/// their first admin key, shown once), lists them with their usage, suspends and resumes them and
/// sets their quotas; every change is in the operator's own keyed trail. Operator keys only: a
/// tenant's key, even an admin's, is refused here, and an operator key reaches no tenant's data.
/// </summary>
internal static class OperatorApi
{
    public const string Active = "active";
    public const string SuspendedStatus = "suspended";

    public static RouteGroupBuilder MapOperator(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/operator").WithTags("Operator").RequireAuthorization(Access.Operator)
            .AddEndpointFilter<OperatorAuditRecorder>()
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status500InternalServerError);
        group.MapPost("/tenants", Create).WithName("CreateTenant").WithSummary("Create a tenant with its first admin key (the secret is shown once)")
            .Accepts<CreateTenantRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        group.MapGet("/tenants", List).WithName("ListTenants").WithSummary("The tenants, oldest first, with their quotas and usage")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        group.MapGet("/tenants/{id}", Get).WithName("GetOperatorTenant").WithSummary("One tenant with its quotas and usage")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/tenants/{id}/suspend", Suspend).WithName("SuspendTenant")
            .WithSummary("Suspend a tenant: its keys, SMTP and console are refused; its mail is kept and waits")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/tenants/{id}/resume", Resume).WithName("ResumeTenant").WithSummary("Resume a suspended tenant; its waiting mail goes on")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPut("/tenants/{id}/quotas", SetQuotas).WithName("SetTenantQuotas").WithSummary("Set a tenant's own quotas (null: the host's default, 0: no limit)")
            .Accepts<QuotasRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        group.MapDelete("/tenants/{id}", Delete).WithName("DeleteTenant")
            .WithSummary("Delete a tenant: refused everywhere at once, its mail, keys, settings and trail purged by the worker")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("/audit", ListAudit).WithName("ListOperatorAudit").WithSummary("The operator's trail, newest first").ProducesProblem(StatusCodes.Status400BadRequest);
        group.MapGet("/audit/verify", VerifyAudit).WithName("VerifyOperatorAudit").WithSummary("Check the operator trail's keyed chain and signed head");
        return group;
    }

    private static async Task<Results<Created<CreatedTenant>, ProblemHttpResult>> Create(HttpContext context, TenantStore tenants, TenantAccess access,
        PolicyService policies, CancellationToken cancellationToken)
    {
        var (request, problem) = await JsonBody.ReadAsync<CreateTenantRequest>(context, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var violations = new List<Violation>();
        var name = request!.Name?.Trim() ?? "";
        if (name.Length is 0 or > 200 || name.Any(char.IsControl))
        {
            violations.Add(new("name", ViolationCode.InvalidField, "name is required: 1 to 200 characters without control characters."));
        }

        var domains = (request.InternalDomains ?? []).Select(d => d.Trim().TrimStart('@').TrimEnd('.').ToLowerInvariant()).Distinct(StringComparer.Ordinal).ToList();
        if (domains.Count > 100)
        {
            violations.Add(new("internalDomains", ViolationCode.InvalidField, "At most 100 internal domains."));
        }

        for (var i = 0; i < domains.Count && i < 100; i++)
        {
            if (!PolicyCompiler.IsDomain(domains[i]))
            {
                violations.Add(new($"internalDomains[{i}]", ViolationCode.InvalidField, $"'{domains[i]}' is not a domain name."));
            }
        }

        var language = request.Language ?? "ja";
        if (language is not ("ja" or "en"))
        {
            violations.Add(new("language", ViolationCode.InvalidField, "language is ja or en."));
        }

        var timeZone = request.TimeZone?.Trim() ?? "Asia/Tokyo";
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out _))
        {
            violations.Add(new("timeZone", ViolationCode.InvalidField, $"'{timeZone}' is not a time zone this host knows (use an IANA name such as Asia/Tokyo)."));
        }

        PolicyDocument? policy = null;
        if (request.InitialPolicy is { } initial && (policy = InitialPolicy.Named(initial)) is null)
        {
            violations.Add(new("initialPolicy", ViolationCode.InvalidField, "initialPolicy is recommended or empty (absent: the host's initial policy)."));
        }

        var quotas = request.Quotas ?? new QuotasRequest();
        CheckQuotas(quotas, "quotas.", violations);
        if (violations.Count > 0)
        {
            return Problems.Invalid(violations);
        }

        var (tenantId, key, secret) = await tenants.CreateTenantAsync(new NewTenant(name, domains, language, timeZone, policy,
            quotas.MessagesPerDay, quotas.StoredBytes, quotas.ApiKeys, quotas.WebhookEndpoints), cancellationToken);
        OperatorAuditRecorder.Resource(context, $"tenant={tenantId}");
        var dto = await DtoAsync(tenantId, tenants, access, policies, cancellationToken);
        return TypedResults.Created($"/v1/operator/tenants/{tenantId}", new CreatedTenant(dto!, new CreatedAdminKey(key.Id, key.Name, key.Prefix, secret)));
    }

    private static async Task<Results<Ok<OperatorTenantList>, ProblemHttpResult>> List(TenantStore tenants, TenantAccess access, PolicyService policies,
        [FromQuery(Name = "cursor")] string? cursor, [FromQuery(Name = "limit")] string? limit, CancellationToken cancellationToken)
    {
        var violations = new List<Violation>();
        var size = QueryValues.PageSize(limit, violations);
        if (cursor is not null && (cursor.Length > 64 || !cursor.StartsWith("tnt_", StringComparison.Ordinal)))
        {
            violations.Add(new("cursor", ViolationCode.InvalidField, "cursor is not one this API returned."));
        }

        if (violations.Count > 0)
        {
            return Problems.Invalid(violations);
        }

        var rows = await tenants.ListTenantsAsync(cursor, size + 1, cancellationToken);
        var items = new List<OperatorTenantDto>();
        foreach (var row in rows.Take(size))
        {
            if (await DtoAsync(row.Id, tenants, access, policies, cancellationToken) is { } dto)
            {
                items.Add(dto);
            }
        }

        return TypedResults.Ok(new OperatorTenantList(items, rows.Count > size ? rows[size - 1].Id : null));
    }

    private static async Task<Results<Ok<OperatorTenantDto>, ProblemHttpResult>> Get(string id, TenantStore tenants, TenantAccess access, PolicyService policies,
        CancellationToken cancellationToken) =>
        await DtoAsync(id, tenants, access, policies, cancellationToken) is { } dto ? TypedResults.Ok(dto) : TenantNotFound(id);

    private static Task<Results<Ok<OperatorTenantDto>, ProblemHttpResult>> Suspend(string id, TenantStore tenants, TenantAccess access, PolicyService policies,
        CancellationToken cancellationToken) =>
        SwitchAsync(id, () => access.SuspendAsync(id, cancellationToken), tenants, access, policies, cancellationToken);

    private static Task<Results<Ok<OperatorTenantDto>, ProblemHttpResult>> Resume(string id, TenantStore tenants, TenantAccess access, PolicyService policies,
        CancellationToken cancellationToken) =>
        SwitchAsync(id, () => access.ResumeAsync(id, cancellationToken), tenants, access, policies, cancellationToken);

    /// <summary>Suspends or resumes: the same answer whether it changed anything or was so already.</summary>
    private static async Task<Results<Ok<OperatorTenantDto>, ProblemHttpResult>> SwitchAsync(string id, Func<Task<bool>> change, TenantStore tenants, TenantAccess access,
        PolicyService policies, CancellationToken cancellationToken)
    {
        if (!await access.ExistsAsync(id, cancellationToken))
        {
            return TenantNotFound(id);
        }

        await change();
        return TypedResults.Ok((await DtoAsync(id, tenants, access, policies, cancellationToken))!);
    }

    private static async Task<Results<Ok<OperatorTenantDto>, ProblemHttpResult>> SetQuotas(string id, HttpContext context, TenantStore tenants, TenantAccess access,
        PolicyService policies, CancellationToken cancellationToken)
    {
        var (request, problem) = await JsonBody.ReadAsync<QuotasRequest>(context, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var violations = new List<Violation>();
        CheckQuotas(request!, "", violations);
        if (violations.Count > 0)
        {
            return Problems.Invalid(violations);
        }

        if (!await access.ExistsAsync(id, cancellationToken))
        {
            return TenantNotFound(id);
        }

        await access.SetQuotasAsync(id, request!.MessagesPerDay, request.StoredBytes, request.ApiKeys, request.WebhookEndpoints, cancellationToken);
        OperatorAuditRecorder.Detail(context,
            $"messagesPerDay={request.MessagesPerDay?.ToString() ?? "default"} storedBytes={request.StoredBytes?.ToString() ?? "default"} apiKeys={request.ApiKeys?.ToString() ?? "default"} webhookEndpoints={request.WebhookEndpoints?.ToString() ?? "default"}");
        return TypedResults.Ok((await DtoAsync(id, tenants, access, policies, cancellationToken))!);
    }

    private static async Task<Results<Accepted<DeletingTenant>, ProblemHttpResult>> Delete(string id, HttpContext context, TenantDeletion deletion, TenantAccess access,
        [FromQuery(Name = "force")] string? force, CancellationToken cancellationToken)
    {
        if (force is not (null or "true" or "false"))
        {
            return Problems.Invalid("force", ViolationCode.InvalidField, "force is true or false.");
        }

        if (!await access.ExistsAsync(id, cancellationToken))
        {
            return TenantNotFound(id);
        }

        var (outcome, holds) = await deletion.RequestAsync(id, force == "true", cancellationToken);
        switch (outcome)
        {
            case DeletionOutcome.NotFound:
                return TenantNotFound(id);
            case DeletionOutcome.LegalHold:
                return Problems.Of(StatusCodes.Status409Conflict, Problems.LegalHold, "Messages under legal hold",
                    $"{holds} message(s) of the tenant are under legal hold; release the holds, or delete with force=true to purge them too.",
                    new Dictionary<string, object?> { ["messagesUnderLegalHold"] = holds });
            default:
                OperatorAuditRecorder.Detail(context, holds > 0 ? $"forced: {holds} message(s) under legal hold purged too" : "no legal hold");
                return TypedResults.Accepted($"/v1/operator/tenants/{id}", new DeletingTenant(id, "deleting", holds));
        }
    }

    private static Task<Results<Ok<AuditList>, ProblemHttpResult>> ListAudit(OperatorTrail trail, [AsParameters] AuditApi.AuditListQuery query, CancellationToken cancellationToken) =>
        AuditApi.PageAsync(query, filter => trail.ListAsync(filter, cancellationToken));

    private static async Task<Ok<AuditVerificationDto>> VerifyAudit(OperatorTrail trail, CancellationToken cancellationToken) =>
        TypedResults.Ok(AuditApi.ToDto(await trail.VerifyAsync(cancellationToken)));

    private static void CheckQuotas(QuotasRequest quotas, string prefix, List<Violation> violations)
    {
        foreach (var (field, value, max) in new[]
                 {
                     ("messagesPerDay", quotas.MessagesPerDay, 1_000_000_000L), ("storedBytes", quotas.StoredBytes, long.MaxValue / 2),
                     ("apiKeys", quotas.ApiKeys, 100_000L), ("webhookEndpoints", quotas.WebhookEndpoints, 10_000L),
                 })
        {
            if (value is < 0 || value > max)
            {
                violations.Add(new(prefix + field, ViolationCode.InvalidField, $"{field} is 0 (no limit) to {max}, or null for the host's default."));
            }
        }
    }

    private static async Task<OperatorTenantDto?> DtoAsync(string id, TenantStore tenants, TenantAccess access, PolicyService policies, CancellationToken cancellationToken)
    {
        if (!await access.ExistsAsync(id, cancellationToken) || await policies.GetTenantAsync(id, cancellationToken) is not { } tenant)
        {
            return null;
        }

        var suspended = await access.SuspendedAtAsync(id, cancellationToken);
        return new OperatorTenantDto(id, tenant.Tenant.Name, tenant.Settings.InternalDomains, tenant.Settings.Language, tenant.Settings.TimeZone,
            suspended is null ? Active : SuspendedStatus, suspended, await access.OwnQuotasAsync(id, cancellationToken), await access.QuotasAsync(id, cancellationToken),
            await access.UsageAsync(id, cancellationToken), Clock.FromMs(tenant.Tenant.CreatedAt));
    }

    private static ProblemHttpResult TenantNotFound(string id) =>
        Problems.Of(StatusCodes.Status404NotFound, Problems.TenantNotFound, "Tenant not found", $"No tenant '{id}' exists on this host.");
}

/// <summary>
/// Records every successful change made through the operator API in the operator's trail: which
/// operator key, what (method and route), which tenant, what was set, from where.
/// </summary>
internal sealed class OperatorAuditRecorder(OperatorTrail trail) : IEndpointFilter
{
    private static readonly object DetailKey = new();
    private static readonly object ResourceKey = new();

    public static void Detail(HttpContext context, string detail) => context.Items[DetailKey] = detail;

    /// <summary>The resource a handler made (the new tenant), when the route does not name it.</summary>
    public static void Resource(HttpContext context, string resource) => context.Items[ResourceKey] = resource;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var result = await next(context);
        var http = context.HttpContext;
        if (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method))
        {
            return result;
        }

        var inner = result is INestedHttpResult nested ? nested.Result : result;
        var status = (inner as IStatusCodeHttpResult)?.StatusCode ?? http.Response.StatusCode;
        if (status >= 400)
        {
            return result;
        }

        var route = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? http.Request.Path.Value;
        var resource = http.Items.TryGetValue(ResourceKey, out var made) ? made as string
            : string.Join(" ", http.Request.RouteValues.Where(v => v.Value is not null).Select(v => $"{(v.Key == "id" ? "tenant" : v.Key)}={v.Value}"));
        await trail.RecordAsync(http.User.OperatorActor(), $"{http.Request.Method} {route}", string.IsNullOrEmpty(resource) ? null : resource,
            http.Items.TryGetValue(DetailKey, out var detail) ? detail as string : null, http.Connection.RemoteIpAddress?.ToString(), status, http.RequestAborted);
        return result;
    }
}
