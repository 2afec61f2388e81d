using Microsoft.Extensions.Logging;

namespace SendGate.Core.Links;

/// <summary>What one <see cref="LinkSweeper.SweepAsync"/> did.</summary>
public sealed record LinkSweep(int Expired, int FilesRemoved, int OrphanFolders);

/// <summary>
/// Keeps the download store to live links: expires links past their expiry (event
/// <c>message.link_expired</c>), takes the files of every ended link out of the store (expired,
/// stopped, ended with its message), and deletes message folders no link was ever recorded for
/// (a forgotten message, a deleted tenant, a delivery that died between writing and recording),
/// once they are older than any delivery takes. The archive is not touched.
/// </summary>
public sealed class LinkSweeper(LinkStore links, IDownloadStore store, TimeProvider time, ILogger<LinkSweeper> logger)
{
    // Longer than a delivery attempt takes between writing a link's files and recording the link.
    internal static readonly TimeSpan OrphanGrace = TimeSpan.FromHours(1);

    public async Task<LinkSweep> SweepAsync(CancellationToken cancellationToken = default)
    {
        var now = time.NowMs();
        var expired = await links.ExpireDueAsync(now, cancellationToken);
        var removed = 0;
        foreach (var link in (await links.FilesToRemoveAsync(cancellationToken)).GroupBy(f => (f.TenantId, Folder: f.StoreKey.Split('/')[0])))
        {
            foreach (var file in link)
            {
                await store.DeleteAsync(file.TenantId, file.StoreKey, cancellationToken);
                await links.MarkRemovedAsync(file, now, cancellationToken);
                removed++;
            }

            await store.DeleteFolderAsync(link.Key.TenantId, link.Key.Folder, cancellationToken);
        }

        var orphans = 0;
        foreach (var (tenantId, messageId) in store.ListFolders(time.GetUtcNow() - OrphanGrace).ToList())
        {
            if (!await links.AnyAsync(tenantId, messageId, cancellationToken))
            {
                await store.DeleteFolderAsync(tenantId, messageId, cancellationToken);
                orphans++;
            }
        }

        if (expired + removed + orphans > 0)
        {
            Log.LinksSwept(logger, expired, removed, orphans);
        }

        return new LinkSweep(expired, removed, orphans);
    }
}
