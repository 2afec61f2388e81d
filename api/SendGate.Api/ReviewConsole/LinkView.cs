using SendGate.Core.Links;

namespace SendGate.Api.ReviewConsole;

internal sealed record LinkFileView(string FileName, long Size, int Downloads, int? Limit);

internal sealed record LinkDownloadView(string? Address, long At, string? Ip, string? UserAgent, string FileName);

/// <summary>
/// The download link that replaced a delivered mail's attachments, as its one-mail page shows it:
/// its state as the API publishes it, each file with its downloads so far, and every download.
/// </summary>
internal sealed record LinkView(LinkRow Link, string Status, IReadOnlyList<LinkFileView> Files, IReadOnlyList<LinkDownloadView> Downloads)
{
    public bool Active => Status == LinkStatus.Active;

    public static async Task<LinkView?> BuildAsync(LinkStore links, string tenantId, string messageId, long now, CancellationToken cancellationToken)
    {
        if (await links.GetByMessageAsync(tenantId, messageId, cancellationToken) is not { } link)
        {
            return null;
        }

        var files = await links.GetFilesAsync(link, cancellationToken);
        var names = files.ToDictionary(f => f.Id, f => f.FileName);
        var downloads = await links.GetDownloadsAsync(link, cancellationToken);
        return new LinkView(link, LinkStatus.Published(link, now),
            files.Select(f => new LinkFileView(f.FileName, f.Size, f.Downloads, link.MaxDownloadsPerFile)).ToList(),
            downloads.Select(d => new LinkDownloadView(d.Address, d.At, d.Ip, d.UserAgent, names.GetValueOrDefault(d.FileId, ""))).ToList());
    }
}
