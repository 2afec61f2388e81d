using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using SendGate.Api.Auth;
using SendGate.Api.Infrastructure;
using SendGate.Api.Messages;
using SendGate.Core;
using SendGate.Core.Messages;
using SendGate.Core.Mime;
using SendGate.Core.Policies;

namespace SendGate.Api.Policies;

/// <summary>
/// <c>/v1/policies</c>: the tenant's rules as data. <c>GET /</c> exports the whole policy and
/// <c>PUT /</c> imports one; the rule endpoints edit one rule. Every change is a new version.
/// </summary>
internal static class PoliciesApi
{
    public static RouteGroupBuilder MapPolicies(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/policies").WithTags("Policies")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status500InternalServerError);

        // Reading and editing the rules is the admins'; reviewers may only try a body against them.
        var admin = group.MapGroup("").RequireAuthorization(Access.Admin);
        admin.MapGet("/", GetPolicy).WithName("GetPolicy").WithSummary("The current policy (export: the JSON PUT accepts)")
            .Produces<PolicyDocument>().ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapPut("/", ImportPolicy).WithName("ImportPolicy").WithSummary("Replace the whole policy (import); creates a new version")
            .Accepts<PolicyDocument>("application/json").Produces<PolicyDocument>()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        admin.MapGet("/versions", ListVersions).WithName("ListPolicyVersions").WithSummary("Every version of the policy, newest first");
        admin.MapGet("/versions/{version:int}", GetVersion).WithName("GetPolicyVersion").WithSummary("One earlier version of the policy")
            .Produces<PolicyDocument>().ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapPost("/rules", AddRule).WithName("AddPolicyRule").WithSummary("Add a rule (at the end, or at position)")
            .Accepts<RuleSpec>("application/json").Produces<RuleSpec>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        admin.MapGet("/rules/{ruleId}", GetRule).WithName("GetPolicyRule").WithSummary("One rule of the current policy")
            .Produces<RuleSpec>().ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapPut("/rules/{ruleId}", UpdateRule).WithName("UpdatePolicyRule").WithSummary("Replace a rule (optionally moving it to position)")
            .Accepts<RuleSpec>("application/json").Produces<RuleSpec>()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        admin.MapDelete("/rules/{ruleId}", DeleteRule).WithName("DeletePolicyRule").WithSummary("Delete a rule")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/evaluate", Evaluate).WithName("EvaluatePolicy")
            .WithSummary("Dry run: the decision a submission of this body would get, without storing or sending anything")
            .Accepts<MessageRequest>(SubmissionRequest.Json, SubmissionRequest.Mime)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .RequireSubmissionLimits()
            .RequireAuthorization(Access.Review);
        admin.MapPost("/evaluate-candidate", EvaluateCandidate).WithName("EvaluateCandidatePolicy")
            .WithSummary("Dry run with a policy not saved yet: the decision a message would get under it")
            .Accepts<CandidateEvaluationRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .RequireSubmissionLimits();
        return group;
    }

    private static async Task<Results<JsonHttpResult<PolicyDocument>, ProblemHttpResult>> GetPolicy(ClaimsPrincipal user, PolicyService policies, CancellationToken cancellationToken)
    {
        var (document, _) = await policies.GetDocumentAsync(user.TenantId(), null, cancellationToken);
        return document is null ? NoPolicy() : Json(document);
    }

    private static async Task<Results<JsonHttpResult<PolicyDocument>, ProblemHttpResult>> ImportPolicy(HttpContext context, ClaimsPrincipal user, PolicyService policies, CancellationToken cancellationToken)
    {
        var (document, problem) = await JsonBody.ReadAsync<PolicyDocument>(context, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        return await policies.ReplaceAsync(user.TenantId(), document!, user.Actor().Name, cancellationToken) switch
        {
            PolicyChange.Saved saved => Json(saved.Document),
            PolicyChange.Invalid invalid => Problems.Invalid(invalid.Violations),
            _ => throw new InvalidOperationException("Unexpected outcome."),
        };
    }

    private static async Task<Ok<PolicyVersionList>> ListVersions(ClaimsPrincipal user, PolicyService policies, CancellationToken cancellationToken) =>
        TypedResults.Ok(new PolicyVersionList((await policies.ListVersionsAsync(user.TenantId(), cancellationToken))
            .Select(v => new PolicyVersionSummary(v.Version, v.Change, v.CreatedBy, Clock.FromMs(v.CreatedAt))).ToList()));

    private static async Task<Results<JsonHttpResult<PolicyDocument>, ProblemHttpResult>> GetVersion(int version, ClaimsPrincipal user, PolicyService policies, CancellationToken cancellationToken)
    {
        var (document, _) = await policies.GetDocumentAsync(user.TenantId(), version, cancellationToken);
        return document is null
            ? Problems.Of(StatusCodes.Status404NotFound, Problems.NotFound, "Not found", $"Policy version {version} does not exist for this tenant.")
            : Json(document);
    }

    private static async Task<Results<JsonHttpResult<RuleSpec>, ProblemHttpResult>> AddRule(
        HttpContext context, ClaimsPrincipal user, [FromQuery] int? position, PolicyService policies, CancellationToken cancellationToken)
    {
        var (rule, problem) = await ReadRuleAsync(context, position, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (rule!.Id is not null && (await policies.GetDocumentAsync(user.TenantId(), null, cancellationToken)).Document?.Rules?.Any(r => r.Id == rule.Id) == true)
        {
            return Problems.Invalid("id", PolicyViolation.InvalidRule, $"A rule with id '{rule.Id}' exists; update it with PUT /v1/policies/rules/{rule.Id}.");
        }

        return Answer(await policies.AddRuleAsync(user.TenantId(), rule, position, user.Actor().Name, cancellationToken), created: true);
    }

    private static async Task<Results<JsonHttpResult<RuleSpec>, ProblemHttpResult>> GetRule(string ruleId, ClaimsPrincipal user, PolicyService policies, CancellationToken cancellationToken)
    {
        var (document, _) = await policies.GetDocumentAsync(user.TenantId(), null, cancellationToken);
        return document?.Rules?.FirstOrDefault(r => r.Id == ruleId) is { } rule ? Json(rule) : RuleNotFound(ruleId);
    }

    private static async Task<Results<JsonHttpResult<RuleSpec>, ProblemHttpResult>> UpdateRule(
        string ruleId, HttpContext context, ClaimsPrincipal user, [FromQuery] int? position, PolicyService policies, CancellationToken cancellationToken)
    {
        var (rule, problem) = await ReadRuleAsync(context, position, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (rule!.Id is not null && rule.Id != ruleId)
        {
            return Problems.Invalid("id", PolicyViolation.InvalidRule, $"The body's id '{rule.Id}' differs from the rule addressed ('{ruleId}'); leave id out or make them equal.");
        }

        return Answer(await policies.UpdateRuleAsync(user.TenantId(), ruleId, rule, position, user.Actor().Name, cancellationToken), created: false);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteRule(string ruleId, ClaimsPrincipal user, PolicyService policies, CancellationToken cancellationToken) =>
        await policies.DeleteRuleAsync(user.TenantId(), ruleId, user.Actor().Name, cancellationToken) switch
        {
            PolicyChange.Saved => TypedResults.NoContent(),
            PolicyChange.Invalid invalid => Problems.Invalid(invalid.Violations),
            _ => RuleNotFound(ruleId),
        };

    /// <summary>The services and request of a dry run of a submission.</summary>
    private readonly record struct EvaluatePolicyRequest(
        HttpContext Context,
        ClaimsPrincipal User,
        [FromQuery(Name = "sendAt")] string? SendAt,
        MessageIntake Intake,
        SubmissionService Submissions,
        PolicyService Policies,
        IOptions<LimitsOptions> Limits,
        CancellationToken CancellationToken);

    private static async Task<Results<Ok<PolicyEvaluation>, ProblemHttpResult>> Evaluate([AsParameters] EvaluatePolicyRequest request)
    {
        var read = await SubmissionRequest.ReadSubmissionAsync(request.Context, request.Limits.Value, request.CancellationToken);
        if (read.Problem is { } unreadable)
        {
            return unreadable;
        }

        // The same validation and preparation as a submission, so the answer is the one it would get.
        var prepared = SubmissionRequest.Prepare(read.Body!, SubmissionService.NewMessageId(), request.SendAt, request.Intake, request.Submissions);
        if (prepared.Problem is { } invalid)
        {
            return invalid;
        }

        using var message = prepared.Message!;
        var tenantId = request.User.TenantId();
        var decision = await request.Policies.DecideAsync(tenantId, message, prepared.SendAt, request.CancellationToken);
        return TypedResults.Ok(await EvaluationAsync(decision, message, tenantId, request.Policies, request.CancellationToken));
    }

    /// <summary>
    /// The dry run with a policy that is not saved: body <c>{ "policy": …, "message": … }</c>, the policy
    /// validated as <c>PUT /v1/policies</c> validates it and the message as <c>POST /v1/messages</c> does.
    /// </summary>
    private static async Task<Results<Ok<PolicyEvaluation>, ProblemHttpResult>> EvaluateCandidate(
        HttpContext context, ClaimsPrincipal user, MessageIntake intake, SubmissionService submissions, PolicyService policies, CancellationToken cancellationToken)
    {
        var (request, problem) = await JsonBody.ReadAsync<CandidateEvaluationRequest>(context, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var violations = new List<Violation>();
        if (request!.Policy is null)
        {
            violations.Add(new("policy", ViolationCode.InvalidField, "policy is required: the policy to try, as for PUT /v1/policies."));
        }

        PreparedMessage? message = null;
        DateTimeOffset? sendAt = null;
        if (request.Message is null)
        {
            violations.Add(new("message", ViolationCode.InvalidField, "message is required: the message to try it on, as for POST /v1/messages (JSON)."));
        }
        else
        {
            (message, sendAt, var messageViolations) = SubmissionRequest.PrepareJson(request.Message, SubmissionService.NewMessageId(), intake, submissions);
            violations.AddRange(messageViolations.Select(v => v with { Field = $"message.{v.Field}" }));
        }

        using var owned = message;
        if (violations.Count > 0)
        {
            return Problems.Invalid(violations);
        }

        var tenantId = user.TenantId();
        var (decision, policyViolations) = await policies.DecideWithCandidateAsync(tenantId, request.Policy!, message!, sendAt, cancellationToken);
        return decision is null
            ? Problems.Invalid(policyViolations.Select(v => v with { Field = $"policy.{v.Field}" }).ToList())
            : TypedResults.Ok(await EvaluationAsync(decision, message!, tenantId, policies, cancellationToken));
    }

    private static async Task<PolicyEvaluation> EvaluationAsync(
        PolicyDecision decision, PreparedMessage message, string tenantId, PolicyService policies, CancellationToken cancellationToken)
    {
        var settings = (await policies.GetSnapshotAsync(tenantId, cancellationToken)).Settings;
        var facts = new MessageFacts(message);
        return new PolicyEvaluation(
            decision,
            message.EnvelopeFrom,
            message.Subject,
            facts.Recipients.Select(r => new EvaluatedRecipient(r.Address, r.Kind, !DomainMatch.Covers(settings.InternalDomains, r.Domain))).ToList(),
            facts.Attachments.Select(a => new EvaluatedAttachment(a.FileName, a.ContentType, a.Size, a.EncryptedZip)).ToList());
    }

    private static async Task<(RuleSpec? Rule, ProblemHttpResult? Problem)> ReadRuleAsync(HttpContext context, int? position, CancellationToken cancellationToken)
    {
        if (position is < 0)
        {
            return (null, Problems.Invalid("position", PolicyViolation.InvalidRule, "position is the rule's 0-based place in the policy (0 = first)."));
        }

        var (rule, problem) = await JsonBody.ReadAsync<RuleSpec>(context, cancellationToken);
        if (problem is not null)
        {
            return (null, problem);
        }

        // Field paths are reported relative to the rule (e.g. "conditions.all[0].pattern").
        var violations = PolicyCompiler.Validate(rule!, "");
        return violations.Count > 0 ? (null, Problems.Invalid(violations)) : (rule, null);
    }

    private static Results<JsonHttpResult<RuleSpec>, ProblemHttpResult> Answer(PolicyChange change, bool created)
    {
        switch (change)
        {
            case PolicyChange.Saved { Rule: { } rule }:
                return TypedResults.Json(rule, PolicyStore.Json, statusCode: created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
            case PolicyChange.Invalid invalid:
                return Problems.Invalid(invalid.Violations);
            case PolicyChange.RuleNotFound missing:
                return RuleNotFound(missing.RuleId);
            default:
                throw new InvalidOperationException("Unexpected outcome.");
        }
    }

    private static JsonHttpResult<T> Json<T>(T value) => TypedResults.Json(value, PolicyStore.Json);

    private static ProblemHttpResult RuleNotFound(string ruleId) =>
        Problems.Of(StatusCodes.Status404NotFound, Problems.NotFound, "Not found", $"No rule '{ruleId}' exists in this tenant's current policy.");

    private static ProblemHttpResult NoPolicy() =>
        Problems.Of(StatusCodes.Status404NotFound, Problems.NotFound, "Not found", "This tenant has no policy yet.");
}
