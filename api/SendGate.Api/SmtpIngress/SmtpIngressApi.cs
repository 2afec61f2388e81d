using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using SendGate.Api.Audit;
using SendGate.Api.Auth;
using SendGate.Api.Infrastructure;
using SendGate.Core.Mime;
using SendGate.Core.SmtpIngress;

namespace SendGate.Api.SmtpIngress;

public sealed record SmtpCredentialDto(string Id, string Name, string Username, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? LastUsedAt);

public sealed record SmtpCredentialList(IReadOnlyList<SmtpCredentialDto> Items);

/// <summary>The new credential and its password, shown this once.</summary>
public sealed record SmtpCredentialCreated(SmtpCredentialDto Credential, string Password);

public sealed record SmtpCredentialRequest(string? Name);

public sealed record SmtpConnectorDto(IReadOnlyList<string> Networks, bool RequireTls, DateTimeOffset? UpdatedAt);

public sealed record SmtpConnectorRequest(IReadOnlyList<string>? Networks, bool? RequireTls);

/// <summary>
/// <c>/v1/smtp</c>: how the tenant's mail server is recognised at the SMTP door — AUTH credentials
/// (the password shown once, kept as a hash) and connector mode (the networks it sends from).
/// </summary>
internal static class SmtpIngressApi
{
    public static RouteGroupBuilder MapSmtpIngressApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/smtp").WithTags("SMTP").RequireAuthorization(Access.Admin)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status500InternalServerError);
        group.MapGet("/credentials", List).WithName("ListSmtpCredentials").WithSummary("The tenant's SMTP AUTH credentials (never their passwords)");
        group.MapPost("/credentials", Create).WithName("CreateSmtpCredential").WithSummary("Create an SMTP AUTH credential; its password is shown once")
            .Accepts<SmtpCredentialRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        group.MapDelete("/credentials/{id}", Delete).WithName("DeleteSmtpCredential").WithSummary("Delete an SMTP AUTH credential: it signs in no more")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/connector", GetConnector).WithName("GetSmtpConnector").WithSummary("The networks the tenant's mail server sends from without AUTH");
        group.MapPut("/connector", PutConnector).WithName("SetSmtpConnector").WithSummary("Set the networks the tenant's mail server sends from without AUTH (none: off)")
            .Accepts<SmtpConnectorRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        return group;
    }

    private static async Task<Ok<SmtpCredentialList>> List(ClaimsPrincipal user, SmtpCredentials credentials, CancellationToken cancellationToken) =>
        TypedResults.Ok(new SmtpCredentialList((await credentials.ListAsync(user.TenantId(), cancellationToken)).Select(ToDto).ToList()));

    private static async Task<Results<Created<SmtpCredentialCreated>, ProblemHttpResult>> Create(HttpContext context, ClaimsPrincipal user,
        SmtpCredentials credentials, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<SmtpCredentialRequest>(context, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var name = body!.Name?.Trim();
        if (name is not { Length: > 0 and <= 200 } || name.Any(char.IsControl))
        {
            return Problems.Invalid("name", ViolationCode.InvalidField, "name is 1 to 200 characters, e.g. \"Exchange Online connector\".");
        }

        var (row, password) = await credentials.CreateAsync(user.TenantId(), name, user.Actor().Name, cancellationToken);
        AuditRecorder.Detail(context, $"credential={row.Id} username={row.Username}");
        return TypedResults.Created($"/v1/smtp/credentials/{row.Id}", new SmtpCredentialCreated(ToDto(row), password));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string id, ClaimsPrincipal user, SmtpCredentials credentials, CancellationToken cancellationToken) =>
        id.Length <= 100 && await credentials.DeleteAsync(user.TenantId(), id, cancellationToken)
            ? TypedResults.NoContent()
            : Problems.Of(StatusCodes.Status404NotFound, Problems.NotFound, "Not found", $"There is no SMTP credential {id}.");

    private static async Task<Ok<SmtpConnectorDto>> GetConnector(ClaimsPrincipal user, SmtpConnectors connectors, CancellationToken cancellationToken) =>
        TypedResults.Ok(ToDto(await connectors.GetAsync(user.TenantId(), cancellationToken)));

    private static async Task<Results<Ok<SmtpConnectorDto>, ProblemHttpResult>> PutConnector(HttpContext context, ClaimsPrincipal user,
        SmtpConnectors connectors, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<SmtpConnectorRequest>(context, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var given = body!.Networks ?? [];
        if (given.Count > SmtpConnectors.MaxNetworks)
        {
            return Problems.Invalid("networks", ViolationCode.InvalidField, $"At most {SmtpConnectors.MaxNetworks} networks.");
        }

        var networks = new List<IPNetwork>();
        var violations = new List<Violation>();
        for (var i = 0; i < given.Count; i++)
        {
            var text = given[i]?.Trim() ?? "";
            // A bare address is a network of one.
            if (IPAddress.TryParse(text, out var single) && !text.Contains('/', StringComparison.Ordinal))
            {
                text = $"{text}/{(single.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128)}";
            }

            if (!IPNetwork.TryParse(text, out var network))
            {
                violations.Add(new($"networks[{i}]", ViolationCode.InvalidField, "A network is an address or CIDR, e.g. 203.0.113.0/24 or 2001:db8::/48, with no host bits set."));
            }
            else if (network.PrefixLength == 0)
            {
                violations.Add(new($"networks[{i}]", ViolationCode.InvalidField, "A network of every address would let anyone send as the tenant."));
            }
            else
            {
                networks.Add(network);
            }
        }

        if (violations.Count > 0)
        {
            return Problems.Invalid(violations);
        }

        if (await connectors.SaveAsync(user.TenantId(), networks, body.RequireTls ?? false, cancellationToken) is { } overlap)
        {
            return Problems.Of(StatusCodes.Status409Conflict, Problems.NetworkOverlap, "Network of another tenant",
                $"{overlap.Mine} overlaps {overlap.Theirs}, which another tenant's connector sends from; a client address must identify one tenant.");
        }

        return TypedResults.Ok(ToDto(await connectors.GetAsync(user.TenantId(), cancellationToken)));
    }

    private static SmtpCredentialDto ToDto(SmtpCredentialRow row) => new(row.Id, row.Name, row.Username, SendGate.Core.Clock.FromMs(row.CreatedAt), row.CreatedBy,
        row.LastUsedAt is { } used ? SendGate.Core.Clock.FromMs(used) : null);

    private static SmtpConnectorDto ToDto(SmtpConnector? connector) => connector is null
        ? new SmtpConnectorDto([], false, null)
        : new SmtpConnectorDto(connector.Networks.Select(n => n.ToString()).ToList(), connector.RequireTls, SendGate.Core.Clock.FromMs(connector.UpdatedAt));
}
