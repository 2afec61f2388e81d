using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace SendGate.Core.Links;

/// <summary>
/// Where a link's files wait for their downloads: copied out of the original at delivery, per
/// tenant, deleted when the link ends. Separate from the archive's content-addressed blobs, which
/// follow retention and legal holds and are swept when nothing references them.
/// </summary>
public interface IDownloadStore
{
    /// <summary>Stores what <paramref name="write"/> writes under the tenant's <paramref name="key"/>, durably before it returns; the size.</summary>
    Task<long> WriteAsync(string tenantId, string key, Func<Stream, Task> write, CancellationToken cancellationToken = default);

    /// <summary>A seekable stream of the file, or null when it is not there.</summary>
    Stream? Open(string tenantId, string key);

    Task DeleteAsync(string tenantId, string key, CancellationToken cancellationToken = default);

    /// <summary>The message folders (<c>tenant</c>, <c>message</c>) last written before <paramref name="writtenBefore"/>: what the orphan sweep considers.</summary>
    IEnumerable<(string TenantId, string MessageId)> ListFolders(DateTimeOffset writtenBefore);

    /// <summary>Deletes a message's whole folder (its link is gone, or was never recorded).</summary>
    Task DeleteFolderAsync(string tenantId, string messageId, CancellationToken cancellationToken = default);
}

/// <summary>The download store in a folder: <c>{StoreFolder}/{tenant}/{message}/{position}</c>, each file written to a temporary name and moved into place.</summary>
public sealed partial class FolderDownloadStore(IOptions<LinkOptions> options) : IDownloadStore
{
    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}(/[A-Za-z0-9_-]{1,64})*$")]
    private static partial Regex SafeKey();

    public async Task<long> WriteAsync(string tenantId, string key, Func<Stream, Task> write, CancellationToken cancellationToken = default)
    {
        var path = PathOf(tenantId, key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            long size;
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                await write(file);
                await file.FlushAsync(cancellationToken);
                file.Flush(flushToDisk: true);
                size = file.Length;
            }

            File.Move(temporary, path, overwrite: true);
            return size;
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    public Stream? Open(string tenantId, string key)
    {
        var path = PathOf(tenantId, key);
        return File.Exists(path) ? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true) : null;
    }

    public Task DeleteAsync(string tenantId, string key, CancellationToken cancellationToken = default)
    {
        File.Delete(PathOf(tenantId, key));
        return Task.CompletedTask;
    }

    public IEnumerable<(string TenantId, string MessageId)> ListFolders(DateTimeOffset writtenBefore)
    {
        var root = Path.GetFullPath(options.Value.StoreFolder);
        if (!Directory.Exists(root))
        {
            yield break;
        }

        foreach (var tenant in Directory.EnumerateDirectories(root))
        {
            foreach (var message in Directory.EnumerateDirectories(tenant))
            {
                if (Directory.GetLastWriteTimeUtc(message) < writtenBefore.UtcDateTime)
                {
                    yield return (Path.GetFileName(tenant), Path.GetFileName(message));
                }
            }
        }
    }

    public Task DeleteFolderAsync(string tenantId, string messageId, CancellationToken cancellationToken = default)
    {
        var path = PathOf(tenantId, messageId);
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }

        return Task.CompletedTask;
    }

    private string PathOf(string tenantId, string key)
    {
        if (!SafeKey().IsMatch(tenantId) || tenantId.Contains('/', StringComparison.Ordinal) || !SafeKey().IsMatch(key))
        {
            throw new ArgumentException($"Not a download store key: {tenantId}/{key}");
        }

        return Path.Combine(Path.GetFullPath(options.Value.StoreFolder), tenantId, key);
    }
}
