using System.Data.Common;
using System.Threading.Channels;

namespace SendGate.Core.Data;

/// <summary>
/// Group commit: one writer drains whatever writes are waiting and commits them in one
/// transaction, so a durable commit (an fsync with SQLite) is shared by all of them instead of
/// paid by each. Alone, a write is committed at once; under load, batches form by themselves.
/// Each caller hears back only after its own write is committed. If a batch fails, each of its
/// writes is retried in a transaction of its own, so one bad write cannot take others down.
/// </summary>
public sealed class GroupCommit<TItem, TResult> : IAsyncDisposable
{
    private const int MaxBatch = 256;

    private readonly IDbConnectionFactory _db;
    private readonly Func<DbConnection, DbTransaction, TItem, Task<TResult>> _write;
    private readonly Func<IReadOnlyList<TItem>, Task>? _beforeCommit;
    private readonly Func<DbConnection, DbTransaction, IReadOnlyList<TItem>, IReadOnlyList<TResult>, Task>? _afterWrites;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;

    // The writer's own connection, open from one batch to the next so that its compiled statements
    // are reused (IDbConnectionFactory.OpenWriterAsync); dropped after a failure, in case it is the cause.
    private DbConnection? _connection;

    /// <param name="beforeCommit">
    /// Runs once per batch before its transaction begins, for what must be durable before the
    /// commit that refers to it (files of the batch), without holding the database's write lock.
    /// </param>
    public GroupCommit(IDbConnectionFactory db, Func<DbConnection, DbTransaction, TItem, Task<TResult>> write, Func<IReadOnlyList<TItem>, Task>? beforeCommit = null,
        Func<DbConnection, DbTransaction, IReadOnlyList<TItem>, IReadOnlyList<TResult>, Task>? afterWrites = null)
    {
        _db = db;
        _write = write;
        _beforeCommit = beforeCommit;
        _afterWrites = afterWrites;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>
    /// Commits <paramref name="item"/>. Cancelling only stops the wait: once queued, the write is
    /// committed or fails regardless.
    /// </summary>
    public Task<TResult> WriteAsync(TItem item, CancellationToken cancellationToken = default)
    {
        var pending = new Pending(item);
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new InvalidOperationException("SendGate is shutting down and takes no more writes.");
        }

        return pending.Completion.Task.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }
    }

    private async Task RunAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var next))
            {
                batch.Add(next);
            }

            try
            {
                await CommitAsync(batch);
            }
            catch (Exception) when (batch.Count > 1)
            {
                foreach (var single in batch)
                {
                    try
                    {
                        await CommitAsync([single]);
                    }
                    catch (Exception singleEx)
                    {
                        single.Completion.TrySetException(singleEx);
                    }
                }
            }
            catch (Exception ex)
            {
                batch[0].Completion.TrySetException(ex);
            }

            batch.Clear();
        }
    }

    private async Task CommitAsync(IReadOnlyList<Pending> batch)
    {
        var results = new TResult[batch.Count];
        if (_beforeCommit is not null)
        {
            await _beforeCommit(batch.Select(p => p.Item).ToList());
        }

        _connection ??= await _db.OpenWriterAsync();
        try
        {
            await using var transaction = await _connection.BeginTransactionAsync();
            for (var i = 0; i < batch.Count; i++)
            {
                results[i] = await _write(_connection, transaction, batch[i].Item);
            }

            // What the batch adds up to (a tenant's count of the day), written once per batch in its transaction.
            if (_afterWrites is not null)
            {
                await _afterWrites(_connection, transaction, batch.Select(p => p.Item).ToList(), results);
            }

            await transaction.CommitAsync();
        }
        catch
        {
            var broken = _connection;
            _connection = null;
            await broken.DisposeAsync();
            throw;
        }

        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Completion.TrySetResult(results[i]);
        }
    }

    private sealed record Pending(TItem Item)
    {
        public TaskCompletionSource<TResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
