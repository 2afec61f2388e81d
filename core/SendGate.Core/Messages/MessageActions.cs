using Microsoft.Extensions.Logging;
using SendGate.Core.Policies;

namespace SendGate.Core.Messages;

public abstract record ActionOutcome
{
    public sealed record Done(MessageRow Message) : ActionOutcome;

    public sealed record NotFound : ActionOutcome;

    /// <summary>The message is not in a status the action applies to.</summary>
    public sealed record Conflict(string CurrentStatus) : ActionOutcome;
}

/// <summary>What people and apps do to a message: release a hold early, cancel it.</summary>
public sealed class MessageActions(MessageStore store, Lifecycle.MessageLifecycle lifecycle, TimeProvider time, ILogger<MessageActions> logger)
{
    private static readonly string[] Cancellable = [MessageStatus.Held, MessageStatus.AwaitingApproval, MessageStatus.Queued];

    /// <summary>
    /// Ends a hold now. One exception: releasing a review or self-audit hold confirms the content,
    /// but the submitter's own <c>sendAt</c> still stands, so such a message stays held (auto
    /// release) until that time instead of leaving at once.
    /// </summary>
    public async Task<ActionOutcome> ReleaseAsync(Actor actor, string id, string? reason, CancellationToken cancellationToken = default)
    {
        var current = await store.GetAsync(actor.TenantId, id, cancellationToken);
        var now = time.GetUtcNow();
        if (current is { Status: MessageStatus.Held, HoldMode: HoldModes.Review or HoldModes.SelfAudit } held
            && Policies.PolicyDecisions.Read(held.Decisions)?.Hold?.SendAt is { } sendAt && sendAt > now)
        {
            var e = new NewEvent(MessageEventType.Held, MessageStatus.Held, MessageStatus.Held, actor.Name,
                $"{reason ?? "released"}; held until the requested send time {Rfc3339.Format(sendAt)}");
            if (await store.ConvertHoldAsync(actor.TenantId, id, held.HoldMode!, sendAt.ToUnixTimeMilliseconds(), e, now.ToUnixTimeMilliseconds(), cancellationToken))
            {
                Log.MessageTransition(logger, id, MessageStatus.Held, MessageStatus.Held, actor.Name);
                return new ActionOutcome.Done((await store.GetAsync(actor.TenantId, id, cancellationToken))!);
            }
        }

        return await MoveAsync(actor, id, [MessageStatus.Held], MessageStatus.Queued, MessageEventType.Released, reason ?? "released early", cancellationToken);
    }

    public Task<ActionOutcome> CancelAsync(Actor actor, string id, string? reason, CancellationToken cancellationToken = default) =>
        MoveAsync(actor, id, Cancellable, MessageStatus.Cancelled, MessageEventType.Cancelled, reason ?? "cancelled", cancellationToken);

    private async Task<ActionOutcome> MoveAsync(Actor actor, string id, IReadOnlyList<string> from, string to, string eventType, string reason, CancellationToken cancellationToken)
    {
        // Read, then compare-and-swap; if someone moved it in between, read again and decide again.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var current = await store.GetAsync(actor.TenantId, id, cancellationToken);
            if (current is null)
            {
                return new ActionOutcome.NotFound();
            }

            if (!from.Contains(current.Status))
            {
                return new ActionOutcome.Conflict(current.Status);
            }

            var e = new NewEvent(eventType, current.Status, to, actor.Name, reason);
            if (await lifecycle.MoveAsync(actor.TenantId, id, current.Status, to, e, time.NowMs(), cancellationToken))
            {
                Log.MessageTransition(logger, id, current.Status, to, actor.Name);
                return new ActionOutcome.Done((await store.GetAsync(actor.TenantId, id, cancellationToken))!);
            }
        }

        var latest = await store.GetAsync(actor.TenantId, id, cancellationToken);
        return latest is null ? new ActionOutcome.NotFound() : new ActionOutcome.Conflict(latest.Status);
    }
}
