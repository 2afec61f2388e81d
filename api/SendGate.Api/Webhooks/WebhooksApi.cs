using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using SendGate.Api.Auth;
using SendGate.Api.Infrastructure;
using SendGate.Core;
using SendGate.Core.Data;
using SendGate.Core.Encryption;
using SendGate.Core.Mime;
using SendGate.Core.Policies;
using SendGate.Core.Webhooks;

namespace SendGate.Api.Webhooks;

public sealed record WebhookRequest
{
    public string? Url { get; init; }
    public string? Description { get; init; }

    /// <summary>Event types to receive; empty or absent: all.</summary>
    public IReadOnlyList<string>? EventTypes { get; init; }

    public bool? Enabled { get; init; }
}

public sealed record RotateSecretRequest
{
    /// <summary>How long the previous secrets keep signing too (ISO 8601, default P1D, at most P7D).</summary>
    public string? Overlap { get; init; }
}

public sealed record WebhookDto(
    string Id, string Url, string? Description, IReadOnlyList<string> EventTypes, bool Enabled, string? DisabledReason,
    int ConsecutiveFailures, IReadOnlyList<WebhookSecretDto> Secrets, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>A signing secret without its value: which one, and until when it signs.</summary>
public sealed record WebhookSecretDto(string Id, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt);

/// <summary>The only answers that carry a secret: it is not shown again.</summary>
public sealed record CreatedWebhook(WebhookDto Webhook, string Secret);

public sealed record RotatedSecret(string Secret, DateTimeOffset PreviousSecretsExpireAt, WebhookDto Webhook);

public sealed record WebhookList(IReadOnlyList<WebhookDto> Items);

public sealed record WebhookAttemptDto(int Attempt, DateTimeOffset At, int? StatusCode, long DurationMs, string? Error);

public sealed record WebhookDeliveryDto(
    string Id, string MessageId, int EventSeq, string EventType, string Status, int Attempts, DateTimeOffset? NextAttemptAt,
    int? LastStatusCode, string? LastError, DateTimeOffset CreatedAt, DateTimeOffset? DeliveredAt, IReadOnlyList<WebhookAttemptDto> AttemptLog);

public sealed record WebhookDeliveryList(IReadOnlyList<WebhookDeliveryDto> Items);

/// <summary><c>/v1/webhooks</c> (admin): endpoints that receive the tenant's events, signed per Standard Webhooks.</summary>
internal static class WebhooksApi
{
    public static RouteGroupBuilder MapWebhooks(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/webhooks").WithTags("Webhooks").RequireAuthorization(Access.Admin)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status500InternalServerError);
        group.MapPost("/", Create).WithName("CreateWebhook").WithSummary("Add an endpoint (its signing secret is shown once)")
            .Accepts<WebhookRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        group.MapGet("/", List).WithName("ListWebhooks").WithSummary("The tenant's endpoints");
        group.MapGet("/{id}", Get).WithName("GetWebhook").WithSummary("One endpoint").ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPatch("/{id}", Update).WithName("UpdateWebhook").WithSummary("Change the URL, event types, description or enabled")
            .Accepts<WebhookRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        group.MapDelete("/{id}", Delete).WithName("DeleteWebhook").WithSummary("Remove an endpoint and its deliveries").ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/{id}/rotate-secret", Rotate).WithName("RotateWebhookSecret")
            .WithSummary("A new signing secret (shown once); the previous ones keep signing during the overlap")
            .Accepts<RotateSecretRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        group.MapGet("/{id}/deliveries", Deliveries).WithName("ListWebhookDeliveries").WithSummary("Deliveries to the endpoint, newest first, with every attempt")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/{id}/deliveries/{deliveryId}/retry", Retry).WithName("RetryWebhookDelivery").WithSummary("Send a failed delivery again")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return group;
    }

    private static async Task<Results<Created<CreatedWebhook>, ProblemHttpResult>> Create(
        HttpContext context, ClaimsPrincipal user, WebhookStore store, SsrfGuard guard, SecretVault vault, TimeProvider time, SendGate.Core.Tenants.TenantAccess access,
        CancellationToken cancellationToken)
    {
        var (request, problem) = await JsonBody.ReadAsync<WebhookRequest>(context, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var violations = await ValidateAsync(request!, guard, requireUrl: true, cancellationToken);
        if (violations.Count > 0)
        {
            return Problems.Invalid(violations);
        }

        if (await access.CheckNewWebhookEndpointAsync(user.TenantId(), cancellationToken) is { } refusal)
        {
            return Problems.Quota(context, refusal, time);
        }

        var now = time.NowMs();
        var endpoint = new WebhookEndpointRow
        {
            Id = $"whk_{Guid.CreateVersion7():N}", TenantId = user.TenantId(), Url = request!.Url!.Trim(), Description = NullIfEmpty(request.Description?.Trim()),
            EventTypes = System.Text.Json.JsonSerializer.Serialize(request.EventTypes ?? []), Enabled = request.Enabled ?? true, CreatedAt = now, UpdatedAt = now,
        };
        var secret = WebhookSigner.NewSecret();
        await store.CreateEndpointAsync(endpoint, SecretRow(endpoint.Id, secret, vault, now), cancellationToken);
        return TypedResults.Created($"/v1/webhooks/{endpoint.Id}", new CreatedWebhook(await DtoAsync(endpoint, store, time, cancellationToken), secret));
    }

    private static async Task<Ok<WebhookList>> List(ClaimsPrincipal user, WebhookStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var items = new List<WebhookDto>();
        foreach (var endpoint in await store.EndpointsAsync(user.TenantId(), cancellationToken))
        {
            items.Add(await DtoAsync(endpoint, store, time, cancellationToken));
        }

        return TypedResults.Ok(new WebhookList(items));
    }

    private static async Task<Results<Ok<WebhookDto>, ProblemHttpResult>> Get(string id, ClaimsPrincipal user, WebhookStore store, TimeProvider time, CancellationToken cancellationToken) =>
        await store.EndpointAsync(user.TenantId(), id, cancellationToken) is { } endpoint ? TypedResults.Ok(await DtoAsync(endpoint, store, time, cancellationToken)) : NotFound(id);

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static async Task<Results<Ok<WebhookDto>, ProblemHttpResult>> Update(
        string id, HttpContext context, ClaimsPrincipal user, WebhookStore store, SsrfGuard guard, TimeProvider time, CancellationToken cancellationToken)
    {
        var (request, problem) = await JsonBody.ReadAsync<WebhookRequest>(context, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (await store.EndpointAsync(user.TenantId(), id, cancellationToken) is not { } endpoint)
        {
            return NotFound(id);
        }

        var violations = await ValidateAsync(request!, guard, requireUrl: false, cancellationToken);
        if (violations.Count > 0)
        {
            return Problems.Invalid(violations);
        }

        var enabling = request!.Enabled == true && !endpoint.Enabled;
        var updated = endpoint with
        {
            Url = request.Url?.Trim() ?? endpoint.Url,
            // Left out or null keeps it (merge semantics); an empty string is how to clear it.
            Description = request.Description is null ? endpoint.Description : NullIfEmpty(request.Description.Trim()),
            EventTypes = request.EventTypes is null ? endpoint.EventTypes : System.Text.Json.JsonSerializer.Serialize(request.EventTypes),
            Enabled = request.Enabled ?? endpoint.Enabled,
            EnabledAt = enabling ? time.NowMs() : endpoint.EnabledAt,
            // Switching an endpoint back on is a fresh start.
            DisabledReason = enabling ? null : request.Enabled == false ? "disabled by an admin" : endpoint.DisabledReason,
            ConsecutiveFailures = enabling ? 0 : endpoint.ConsecutiveFailures,
            UpdatedAt = time.NowMs(),
        };
        await store.UpdateEndpointAsync(updated, cancellationToken);
        return TypedResults.Ok(await DtoAsync(updated, store, time, cancellationToken));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string id, ClaimsPrincipal user, WebhookStore store, CancellationToken cancellationToken) =>
        await store.DeleteEndpointAsync(user.TenantId(), id, cancellationToken) ? TypedResults.NoContent() : NotFound(id);

    private static async Task<Results<Ok<RotatedSecret>, ProblemHttpResult>> Rotate(
        string id, HttpContext context, ClaimsPrincipal user, WebhookStore store, SecretVault vault, TimeProvider time, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadOptionalAsync<RotateSecretRequest>(context, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var request = body ?? new RotateSecretRequest();

        if (await store.EndpointAsync(user.TenantId(), id, cancellationToken) is not { } endpoint)
        {
            return NotFound(id);
        }

        var violations = new List<Violation>();
        var overlap = request.Overlap is null ? TimeSpan.FromDays(1) : PolicyCompiler.Duration(request.Overlap, "overlap", violations, allowZero: true, max: TimeSpan.FromDays(7));
        if (violations.Count > 0)
        {
            return Problems.Invalid(violations);
        }

        var now = time.NowMs();
        var secret = WebhookSigner.NewSecret();
        var expiresAt = now + (long)overlap!.Value.TotalMilliseconds;
        await store.AddSecretAsync(endpoint.Id, SecretRow(endpoint.Id, secret, vault, now), expiresAt, cancellationToken);
        return TypedResults.Ok(new RotatedSecret(secret, Clock.FromMs(expiresAt), await DtoAsync(endpoint, store, time, cancellationToken)));
    }

    private static async Task<Results<Ok<WebhookDeliveryList>, ProblemHttpResult>> Deliveries(string id, ClaimsPrincipal user, WebhookStore store, CancellationToken cancellationToken)
    {
        if (await store.EndpointAsync(user.TenantId(), id, cancellationToken) is null)
        {
            return NotFound(id);
        }

        var items = new List<WebhookDeliveryDto>();
        foreach (var d in (await store.DeliveriesAsync(id, cancellationToken)).Take(200))
        {
            var attempts = await store.AttemptsAsync(d.Id, cancellationToken);
            items.Add(new WebhookDeliveryDto(d.Id, d.MessageId, d.EventSeq, d.EventType, WebhookDeliveryStatus.Published(d.Status), d.Attempts,
                d.Status is WorkQueue.Queued ? Clock.FromMs(d.DueAt) : null, d.LastStatusCode, d.LastError, Clock.FromMs(d.CreatedAt), Clock.FromMs(d.SentAt),
                attempts.Select(a => new WebhookAttemptDto(a.Attempt, Clock.FromMs(a.At), a.StatusCode, a.DurationMs, a.Error)).ToList()));
        }

        return TypedResults.Ok(new WebhookDeliveryList(items));
    }

    private static async Task<Results<Accepted, ProblemHttpResult>> Retry(string id, string deliveryId, ClaimsPrincipal user, WebhookStore store, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (await store.EndpointAsync(user.TenantId(), id, cancellationToken) is null || await store.DeliveryAsync(deliveryId, cancellationToken) is not { } delivery
            || delivery.EndpointId != id)
        {
            return Problems.Of(StatusCodes.Status404NotFound, Problems.NotFound, "Not found", $"No delivery '{deliveryId}' of webhook '{id}' exists for this tenant.");
        }

        return await store.RetryAsync(id, deliveryId, time.NowMs(), cancellationToken)
            ? TypedResults.Accepted($"/v1/webhooks/{id}/deliveries")
            : Problems.Of(StatusCodes.Status409Conflict, Problems.InvalidTransition, "Not failed",
                $"Delivery '{deliveryId}' is {delivery.Status}; only a failed delivery can be sent again.", new Dictionary<string, object?> { ["currentStatus"] = delivery.Status });
    }

    private static async Task<List<Violation>> ValidateAsync(WebhookRequest request, SsrfGuard guard, bool requireUrl, CancellationToken cancellationToken)
    {
        var violations = new List<Violation>();
        if (request.Url is not null || requireUrl)
        {
            if (await guard.CheckUrlAsync(request.Url, cancellationToken) is { } refused)
            {
                violations.Add(new("url", ViolationCode.InvalidField, refused));
            }
        }

        for (var i = 0; i < (request.EventTypes?.Count ?? 0); i++)
        {
            if (!EventTypes.All.Contains(request.EventTypes![i]))
            {
                violations.Add(new($"eventTypes[{i}]", ViolationCode.InvalidField, $"'{request.EventTypes[i]}' is not an event type; known: {string.Join(", ", EventTypes.All)}."));
            }
        }

        if (request.Description is { Length: > 500 })
        {
            violations.Add(new("description", ViolationCode.InvalidField, "description is at most 500 characters."));
        }

        return violations;
    }

    private static WebhookSecretRow SecretRow(string endpointId, string secret, SecretVault vault, long now)
    {
        var id = $"whs_{Guid.CreateVersion7():N}";
        return new WebhookSecretRow
        {
            Id = id, EndpointId = endpointId, Ciphertext = vault.Protect(secret, id), KeyId = vault.KeyId, Prefix = secret[..10], CreatedAt = now,
        };
    }

    private static async Task<WebhookDto> DtoAsync(WebhookEndpointRow e, WebhookStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var secrets = await store.ActiveSecretsAsync(e.Id, time.NowMs(), cancellationToken);
        return new WebhookDto(e.Id, e.Url, e.Description, e.EventTypeList, e.Enabled, e.DisabledReason, e.ConsecutiveFailures,
            secrets.Select(s => new WebhookSecretDto(s.Id, s.Prefix, Clock.FromMs(s.CreatedAt), Clock.FromMs(s.ExpiresAt))).ToList(),
            Clock.FromMs(e.CreatedAt), Clock.FromMs(e.UpdatedAt));
    }

    private static ProblemHttpResult NotFound(string id) =>
        Problems.Of(StatusCodes.Status404NotFound, Problems.NotFound, "Not found", $"No webhook '{id}' exists for this tenant.");
}
