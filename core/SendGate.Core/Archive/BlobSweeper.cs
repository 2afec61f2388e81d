using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SendGate.Core.Data;

namespace SendGate.Core.Archive;

/// <summary>What refers to a blob: a message's original and the copies of what was sent.</summary>
public static class BlobReferences
{
    /// <summary>The condition that nothing refers to the key <c>@key</c>.</summary>
    internal const string NoneForKey = "NOT EXISTS (SELECT 1 FROM message_originals WHERE blob_key = @key) AND NOT EXISTS (SELECT 1 FROM message_sent WHERE blob_key = @key)";

    internal const string ReferencedSql = """
        SELECT blob_key FROM message_originals WHERE blob_key IN @keys
        UNION SELECT blob_key FROM message_sent WHERE blob_key IN @keys
        """;

    /// <summary>Which of the keys are referenced, as committed now.</summary>
    public static ReferencedKeys In(IDbConnectionFactory db) => async (keys, cancellationToken) =>
    {
        if (keys.Count == 0)
        {
            return new HashSet<string>();
        }

        await using var connection = await db.OpenAsync(cancellationToken);
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (var chunk in keys.Chunk(500))
        {
            found.UnionWith(await connection.QueryAsync<string>(new CommandDefinition(ReferencedSql, new { keys = chunk }, cancellationToken: cancellationToken)));
        }

        return found;
    };
}

/// <summary>
/// Deletes blobs no message refers to: a file stored for a submission whose commit then failed, a
/// large sent copy written by a worker that lost its lease, content whose purge was interrupted.
/// Only what was last stored more than <see cref="ArchiveOptions.OrphanGrace"/> ago is considered,
/// so that content staged for a transaction still on its way is never touched.
/// </summary>
public sealed class BlobSweeper(IBlobStore blobs, IDbConnectionFactory db, IOptions<ArchiveOptions> options, TimeProvider time, ILogger<BlobSweeper> logger)
{
    private const int BatchSize = 500;

    /// <summary>Sweeps the whole store once; returns how many blobs and leftovers were deleted.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken = default)
    {
        var before = time.GetUtcNow() - options.Value.OrphanGrace;
        var referenced = BlobReferences.In(db);
        var deleted = await blobs.DeleteLeftoversAsync(before, cancellationToken);
        var batch = new List<string>(BatchSize);
        await foreach (var key in blobs.ListAsync(before, cancellationToken))
        {
            batch.Add(key);
            if (batch.Count == BatchSize)
            {
                deleted += await SweepBatchAsync(batch, before, referenced, cancellationToken);
                batch.Clear();
            }
        }

        deleted += await SweepBatchAsync(batch, before, referenced, cancellationToken);
        if (deleted > 0)
        {
            Log.BlobsSwept(logger, deleted);
        }

        return deleted;
    }

    // Most of the archive is referenced: one query per batch keeps the store's own checks for the few that are not.
    private async Task<int> SweepBatchAsync(List<string> batch, DateTimeOffset before, ReferencedKeys referenced, CancellationToken cancellationToken)
    {
        var used = await referenced(batch, cancellationToken);
        var unused = batch.Where(k => !used.Contains(k)).ToList();
        return unused.Count == 0 ? 0 : await blobs.DeleteUnusedAsync(unused, before, referenced, cancellationToken);
    }
}
