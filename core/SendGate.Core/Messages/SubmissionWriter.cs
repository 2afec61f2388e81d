using System.Data.Common;
using System.Text.Json;
using System.Threading.Channels;
using Dapper;
using SendGate.Core.Data;

namespace SendGate.Core.Messages;

/// <summary>A validated submission waiting to be committed.</summary>
public sealed record PendingSubmission(
    Actor Actor,
    MessageRow Row,
    byte[] Original,
    IReadOnlyList<RecipientRow> Recipients,
    IReadOnlyList<NewEvent> Events,
    SubmissionReceipt Receipt,
    IdempotencyRequest? Idempotency,
    long Now)
{
    internal TaskCompletionSource<SubmitOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>
/// Commits submissions with group commit: one writer drains whatever requests are waiting and
/// commits them in one transaction, so a durable commit (an fsync with SQLite) is shared by all of
/// them instead of paid by each. Alone, a request is committed at once; under load, batches form
/// by themselves. Every caller still hears back only after its own message is committed. If a
/// batch fails, each of its submissions is retried in a transaction of its own, so one bad
/// submission cannot take others down with it.
/// </summary>
public sealed class SubmissionWriter : IAsyncDisposable
{
    private const int MaxBatch = 256;

    private const string FindIdempotencyKeySql = """
        SELECT request_hash AS RequestHash, message_id AS MessageId, response_body AS ResponseBody, expires_at AS ExpiresAt
          FROM idempotency_keys WHERE tenant_id = @tenantId AND idem_key = @key
        """;

    private const string DeleteExpiredKeySql = """
        DELETE FROM idempotency_keys WHERE tenant_id = @tenantId AND idem_key = @key AND expires_at <= @now
        """;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly IDbConnectionFactory _db;
    private readonly MessageStore _store;
    private readonly TimeSpan _idempotencyRetention;
    private readonly Channel<PendingSubmission> _queue = Channel.CreateUnbounded<PendingSubmission>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;

    public SubmissionWriter(IDbConnectionFactory db, MessageStore store, Microsoft.Extensions.Options.IOptions<LimitsOptions> limits)
    {
        _db = db;
        _store = store;
        _idempotencyRetention = limits.Value.IdempotencyRetention;
        _loop = Task.Run(RunAsync);
    }

    public Task<SubmitOutcome> WriteAsync(PendingSubmission submission, CancellationToken cancellationToken)
    {
        if (!_queue.Writer.TryWrite(submission))
        {
            throw new InvalidOperationException("SendGate is shutting down and accepts no more messages.");
        }

        // The caller may stop waiting; the submission itself is committed or refused regardless.
        return submission.Completion.Task.WaitAsync(cancellationToken);
    }

    public async Task<SubmitOutcome?> FindPreviousAsync(string tenantId, IdempotencyRequest idempotency, long now, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenAsync(cancellationToken);
        var existing = await connection.QuerySingleOrDefaultAsync<StoredKey>(
            new CommandDefinition(FindIdempotencyKeySql, new { tenantId, key = idempotency.Key }, cancellationToken: cancellationToken));
        return existing is null || existing.ExpiresAt <= now ? null : Previous(existing, idempotency);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
    }

    private async Task RunAsync()
    {
        var batch = new List<PendingSubmission>(MaxBatch);
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

    private async Task CommitAsync(IReadOnlyList<PendingSubmission> batch)
    {
        var outcomes = new SubmitOutcome[batch.Count];
        await using (var connection = await _db.OpenAsync())
        {
            await using var transaction = await connection.BeginTransactionAsync();
            for (var i = 0; i < batch.Count; i++)
            {
                outcomes[i] = await WriteAsync(connection, transaction, batch[i]);
            }

            await transaction.CommitAsync();
        }

        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Completion.TrySetResult(outcomes[i]);
        }
    }

    private async Task<SubmitOutcome> WriteAsync(DbConnection connection, DbTransaction transaction, PendingSubmission s)
    {
        if (s.Idempotency is { } idempotency)
        {
            var key = new { tenantId = s.Actor.TenantId, key = idempotency.Key, now = s.Now };
            if (!await TryInsertKeyAsync(connection, transaction, s, idempotency))
            {
                var existing = await connection.QuerySingleAsync<StoredKey>(FindIdempotencyKeySql, key, transaction);
                if (existing.ExpiresAt <= s.Now)
                {
                    // Expired but not yet purged: forget it and take the key afresh.
                    await connection.ExecuteAsync(DeleteExpiredKeySql, key, transaction);
                    await TryInsertKeyAsync(connection, transaction, s, idempotency);
                }
                else
                {
                    return Previous(existing, idempotency);
                }
            }
        }

        await _store.InsertAsync(connection, transaction, s.Row, s.Original, s.Recipients, s.Events, s.Now);
        return new SubmitOutcome.Accepted(s.Receipt, Replayed: false);
    }

    private static SubmitOutcome Previous(StoredKey existing, IdempotencyRequest idempotency) =>
        string.Equals(existing.RequestHash, idempotency.RequestHash, StringComparison.Ordinal)
            ? new SubmitOutcome.Accepted(JsonSerializer.Deserialize<SubmissionReceipt>(existing.ResponseBody, Json)!, Replayed: true)
            : new SubmitOutcome.IdempotencyConflict(idempotency.Key, existing.MessageId);

    private async Task<bool> TryInsertKeyAsync(DbConnection connection, DbTransaction transaction, PendingSubmission s, IdempotencyRequest idempotency) =>
        await connection.ExecuteAsync(_db.Dialect.InsertIdempotencyKeySql, new
        {
            tenantId = s.Actor.TenantId,
            key = idempotency.Key,
            requestHash = idempotency.RequestHash,
            messageId = s.Row.Id,
            responseStatus = 202,
            responseBody = JsonSerializer.Serialize(s.Receipt, Json),
            now = s.Now,
            expiresAt = s.Now + (long)_idempotencyRetention.TotalMilliseconds,
        }, transaction) == 1;

    private sealed record StoredKey
    {
        public string RequestHash { get; init; } = "";
        public string MessageId { get; init; } = "";
        public string ResponseBody { get; init; } = "";
        public long ExpiresAt { get; init; }
    }
}
