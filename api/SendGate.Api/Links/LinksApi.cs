using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using SendGate.Api.Audit;
using SendGate.Api.Auth;
using SendGate.Api.Infrastructure;
using SendGate.Api.Messages;
using SendGate.Core;
using SendGate.Core.Links;
using SendGate.Core.Messages;

namespace SendGate.Api.Links;

/// <summary>A mail's download link as the API shows it: its files and every download.</summary>
public sealed record LinkDto(
    string Id, string Status, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? EndedAt, string? EndedBy, string? EndedReason,
    int? MaxDownloadsPerFile, bool VerifyRecipient, IReadOnlyList<LinkFileDto> Files, IReadOnlyList<LinkDownloadDto> Downloads);

/// <param name="Removed">The file has left the download store (its link ended); the archive still holds the original.</param>
public sealed record LinkFileDto(int Position, string FileName, string ContentType, long Size, int Downloads, bool Removed);

/// <param name="Address">The recipient address verified with a one-time code; null when the link needs none.</param>
public sealed record LinkDownloadDto(DateTimeOffset At, int Position, string FileName, string? Address, string? Ip, string? UserAgent);

public sealed record MessageLinkList(string MessageId, IReadOnlyList<LinkDto> Items);

/// <summary><c>/v1/messages/{id}/links</c>: the download link that replaced a mail's attachments, who downloaded what, and stopping it.</summary>
internal static class LinksApi
{
    public static RouteGroupBuilder MapMessageLinks(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/messages").WithTags("Messages")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status500InternalServerError);

        group.MapGet("/{id}/links", List).WithName("GetMessageLinks").WithSummary("The message's download link, its files and every download")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Access.Review);
        group.MapPost("/{id}/links/stop", Stop).WithName("StopMessageLinks").WithSummary("Stop the message's download link now")
            .Accepts<MessageActionRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .RequireAuthorization(Access.Review);
        return group;
    }

    private readonly record struct LinkRequest([FromRoute(Name = "id")] string Id, ClaimsPrincipal User, HttpContext Context, MessageStore Messages,
        LinkStore Links, TimeProvider Time, CancellationToken CancellationToken);

    private static async Task<Results<Ok<MessageLinkList>, ProblemHttpResult>> List([AsParameters] LinkRequest r)
    {
        var tenantId = r.User.TenantId();
        if (await r.Messages.GetByIdAsync(r.Id, r.CancellationToken) is not { } message || message.TenantId != tenantId)
        {
            return Problems.MessageNotFound(r.Id);
        }

        var link = await r.Links.GetByMessageAsync(tenantId, r.Id, r.CancellationToken);
        return TypedResults.Ok(new MessageLinkList(r.Id, link is null ? [] : [await DtoAsync(r, link)]));
    }

    private static async Task<Results<Ok<LinkDto>, ProblemHttpResult>> Stop([AsParameters] LinkRequest r)
    {
        var (body, problem) = await JsonBody.ReadOptionalAsync<MessageActionRequest>(r.Context, r.CancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var tenantId = r.User.TenantId();
        if (await r.Messages.GetByIdAsync(r.Id, r.CancellationToken) is not { } message || message.TenantId != tenantId)
        {
            return Problems.MessageNotFound(r.Id);
        }

        if (await r.Links.GetByMessageAsync(tenantId, r.Id, r.CancellationToken) is not { } link)
        {
            return Problems.Of(StatusCodes.Status404NotFound, Problems.LinkNotFound, "No download link",
                $"Message '{r.Id}' has no download link: its attachments were not replaced by one (or it has not been delivered yet).");
        }

        AuditRecorder.Detail(r.Context, body?.Reason);
        if (!await r.Links.StopAsync(link, r.User.Actor().Name, body?.Reason, r.Time.NowMs(), r.CancellationToken))
        {
            var current = LinkStatus.Published(await r.Links.GetByMessageAsync(tenantId, r.Id, r.CancellationToken) ?? link, r.Time.NowMs());
            return Problems.Of(StatusCodes.Status409Conflict, Problems.LinkEnded, "The link has ended",
                $"The download link of message '{r.Id}' is {current} already; only an active link can be stopped.",
                new Dictionary<string, object?> { ["linkStatus"] = current });
        }

        return TypedResults.Ok(await DtoAsync(r, (await r.Links.GetByMessageAsync(tenantId, r.Id, r.CancellationToken))!));
    }

    private static async Task<LinkDto> DtoAsync(LinkRequest r, LinkRow link)
    {
        var files = await r.Links.GetFilesAsync(link, r.CancellationToken);
        var byId = files.ToDictionary(f => f.Id);
        var downloads = await r.Links.GetDownloadsAsync(link, r.CancellationToken);
        var expired = LinkStatus.Published(link, r.Time.NowMs()) == LinkStatus.Expired && link.Status == LinkStatus.Active;
        return new LinkDto(link.Id, LinkStatus.Published(link, r.Time.NowMs()), Clock.FromMs(link.CreatedAt), Clock.FromMs(link.ExpiresAt),
            expired ? Clock.FromMs(link.ExpiresAt) : link.EndedAt is { } ended ? Clock.FromMs(ended) : null,
            expired ? "system" : link.EndedBy, expired ? "expired" : link.EndedReason, link.MaxDownloadsPerFile, link.VerifyRecipient,
            files.Select(f => new LinkFileDto(f.Position, f.FileName, f.ContentType, f.Size, f.Downloads, f.RemovedAt is not null)).ToList(),
            downloads.Select(d => new LinkDownloadDto(Clock.FromMs(d.At), byId[d.FileId].Position, byId[d.FileId].FileName, d.Address, d.Ip, d.UserAgent)).ToList());
    }
}
