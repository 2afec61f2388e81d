using System.Text.Json;
using Microsoft.Extensions.Logging;
using SendGate.Core.Messages;
using SendGate.Core.Notifications;
using SendGate.Core.Policies;

namespace SendGate.Core.Approvals;

/// <summary>Who is deciding: an approver's address (from their key), and whether they are an admin.</summary>
public sealed record ApproverIdentity(string? Address, bool IsAdmin, string Actor, string? KeyId, string Channel, string? Ip);

public abstract record DecideOutcome
{
    /// <summary>Decided; <see cref="OwnMail"/>: by an admin, on a mail they sent.</summary>
    public sealed record Done(ApprovalRequestRow Request, bool OwnMail = false) : DecideOutcome;

    public sealed record NotFound : DecideOutcome;

    public sealed record Forbidden(string Reason) : DecideOutcome;

    /// <summary>The one deciding sent the mail: segregation of duties forbids it (admins excepted, and recorded).</summary>
    public sealed record SelfApproval(string Reason) : DecideOutcome;

    /// <summary>A decision is final: who made it and when.</summary>
    public sealed record AlreadyDecided(string Status, string? By, DateTimeOffset? At) : DecideOutcome;
}

public static class ApprovalEventType
{
    public const string Recorded = "message.approval_recorded";
    public const string LevelApproved = "message.approval_level_approved";
    public const string Approved = "message.approved";
    public const string Reminder = "message.approval_reminder";
    public const string Escalated = "message.approval_escalated";
    public const string TimedOut = "message.approval_timed_out";
}

/// <summary>
/// The approval flow: a request created with the message (route resolved then and recorded),
/// decisions by approvers, their proxies or admins (final once made), levels, <c>any</c>/<c>all</c>,
/// and what happens when nobody decides in time. Every step is an event on the message.
/// </summary>
public sealed class ApprovalService(
    ApprovalStore store,
    MessageStore messages,
    PolicyService policies,
    TimeProvider time,
    Telemetry.SendGateMetrics metrics,
    ILogger<ApprovalService> logger)
{
    private static readonly JsonSerializerOptions EventJson = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Opens the request a message awaiting approval gets: the route resolved now (without the
    /// mail's own senders), the deadline, the event that says whom it asks, and the mails to the
    /// first level's approvers — all written with the message, in the submission's transaction.
    /// </summary>
    public async Task<OpenedApproval> OpenAsync(string tenantId, string messageId, string sender, string? headerFrom, ApprovalDecision approval,
        string actor, long now, CancellationToken cancellationToken = default)
    {
        var route = await store.GetRouteAsync(tenantId, approval.Route, cancellationToken);
        var settings = (await policies.GetSnapshotAsync(tenantId, cancellationToken)).Settings;
        var resolved = (route is null ? ResolvedRoute.Unroutable(approval.Route) : ApprovalRoutes.Resolve(route, sender, settings))
            .WithoutSenders(ApprovalRoutes.SendersOf(sender, headerFrom));
        var timeout = (long)System.Xml.XmlConvert.ToTimeSpan(approval.Timeout).TotalMilliseconds;
        long? reminder = approval.ReminderBefore is { } r ? (long)System.Xml.XmlConvert.ToTimeSpan(r).TotalMilliseconds : null;
        var request = new ApprovalRequestRow
        {
            Id = $"apr_{Guid.CreateVersion7():N}",
            MessageId = messageId,
            TenantId = tenantId,
            RouteName = approval.Route,
            RouteSnapshot = JsonSerializer.Serialize(resolved, ApprovalStore.Json),
            Status = ApprovalStatus.Pending,
            TimeoutMs = timeout,
            ReminderMs = reminder,
            OnTimeout = approval.OnTimeout,
            DueAt = now + timeout,
            ReminderAt = reminder is { } before ? now + timeout - before : null,
            Version = 1,
            CreatedAt = now,
            UpdatedAt = now,
        };

        // With no entry for this sender, the route's fallback approvers are asked straight away.
        var first = LevelAt(resolved, 0);
        var skipped = resolved.Skipped is { Count: > 0 } left ? $"; not asked, as the mail's sender: {string.Join(", ", left)}" : "";
        var requested = new NewEvent(MessageEventType.ApprovalRequested, null, MessageStatus.AwaitingApproval, actor,
            (first is null
                ? $"rule '{approval.RuleName}': approval route '{approval.Route}' names no approver for this sender; an admin can decide, otherwise {approval.OnTimeout} after {approval.Timeout}"
                : $"rule '{approval.RuleName}': approval by {string.Join(", ", first.Approvers)} ({first.Mode}) within {approval.Timeout}, then {approval.OnTimeout}") + skipped,
            JsonSerializer.Serialize(new
            {
                approvalId = request.Id, route = approval.Route, levels = resolved.Levels, fallback = resolved.Fallback, skippedSenders = resolved.Skipped,
                timeout = approval.Timeout, onTimeout = approval.OnTimeout, reminderBefore = approval.ReminderBefore, dueAt = Clock.FromMs(request.DueAt),
                // For tools that decide on someone's behalf (with an approver or admin key).
                links = new { approval = $"/v1/approvals/{request.Id}", approve = $"/v1/approvals/{request.Id}/approve", reject = $"/v1/approvals/{request.Id}/reject" },
            }, EventJson));
        var asked = (first?.Approvers ?? []).Select(a => new NewNotification(tenantId, messageId, request.Id, NotificationKind.ApprovalRequest, a)).ToList();
        return new OpenedApproval(request, requested, asked);
    }

    /// <summary>The approvers of a level (index past the route's levels: the fallback approvers, after escalation).</summary>
    public static ApprovalLevel? LevelAt(ResolvedRoute route, int level) =>
        level < route.Levels.Count ? route.Levels[level]
        : level == route.Levels.Count && route.Fallback.Count > 0 ? new ApprovalLevel(route.Fallback, "any")
        : null;

    /// <summary>
    /// Whether <paramref name="who"/> may decide the request now, and for whom: as an approver of
    /// the current level, as the active proxy of one who has not yet approved (a proxy for two
    /// approvers of an <c>all</c> level approves for each in turn), or as an admin. The mail's
    /// sender never decides it except as an admin (<paramref name="senders"/>: the route's record of
    /// them when not given).
    /// </summary>
    public static (string Approver, string ActingAs)? Standing(ApprovalRequestRow request, ApproverIdentity who, DateTimeOffset now,
        IReadOnlySet<string>? alreadyApproved = null, IReadOnlySet<string>? senders = null)
    {
        var route = request.Route;
        var level = LevelAt(route, request.Level);
        var address = who.Address?.ToLowerInvariant();
        var done = alreadyApproved ?? new HashSet<string>();
        if (address is not null && (senders?.Contains(address) ?? route.Senders?.Contains(address, StringComparer.Ordinal) ?? false))
        {
            return who.IsAdmin ? ("*", "admin") : null;
        }

        if (level is not null && address is not null)
        {
            if (level.Approvers.Contains(address, StringComparer.Ordinal) && !done.Contains(address))
            {
                return (address, "self");
            }

            if (route.Proxies.FirstOrDefault(p => p.Proxy == address && p.ActiveAt(now) && level.Approvers.Contains(p.Approver, StringComparer.Ordinal)
                    && !done.Contains(p.Approver)) is { } proxy)
            {
                return (proxy.Approver, "proxy");
            }
        }

        return who.IsAdmin ? ("*", "admin") : null;
    }

    public async Task<DecideOutcome> DecideAsync(string tenantId, string id, ApproverIdentity who, bool approve, string? comment,
        CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var request = await store.GetAsync(tenantId, id, cancellationToken);
            if (request is null)
            {
                return new DecideOutcome.NotFound();
            }

            if (request.Status != ApprovalStatus.Pending)
            {
                return new DecideOutcome.AlreadyDecided(request.Status, request.DecidedBy, Clock.FromMs(request.DecidedAt));
            }

            // Read from the message itself, so that requests recorded before senders were left out of routes are covered too.
            var message = await messages.GetByIdAsync(request.MessageId, cancellationToken);
            var senders = message is null ? request.Route.Senders?.ToHashSet(StringComparer.Ordinal) ?? [] : ApprovalRoutes.SendersOf(message.EnvelopeFrom, message.HeaderFrom);
            var ownMail = who.Address is { } self && senders.Contains(self.ToLowerInvariant());
            if (ownMail && !who.IsAdmin)
            {
                return new DecideOutcome.SelfApproval(
                    $"{who.Address} sent this mail and cannot decide its approval (segregation of duties); another approver of the route decides it.");
            }

            var now = time.GetUtcNow();
            var approvedHere = (await store.GetDecisionsAsync(request.Id, cancellationToken))
                .Where(d => d.Level == request.Level && d.Decision == "approve").Select(d => d.Approver).ToHashSet(StringComparer.Ordinal);
            if (Standing(request, who, now, approvedHere, senders) is not { } standing)
            {
                var level = LevelAt(request.Route, request.Level);
                return new DecideOutcome.Forbidden(level is null
                    ? "This request has no approvers; only an admin can decide it."
                    : who.Address is { } a && (approvedHere.Contains(a.ToLowerInvariant()) || request.Route.Proxies.Any(p => p.Proxy == a.ToLowerInvariant() && approvedHere.Contains(p.Approver)))
                        ? $"{a} has already approved at this level; the other approvers of the level must approve too."
                        : $"{who.Address ?? who.Actor} is not an approver of this request's current level, nor an active proxy for one.");
            }

            var decision = new ApprovalDecisionRow
            {
                RequestId = request.Id, Level = request.Level, Approver = standing.Approver, Actor = who.Address ?? who.Actor, ActingAs = standing.ActingAs,
                Decision = approve ? "approve" : "reject", Comment = comment, Channel = who.Channel, KeyId = who.KeyId, Ip = who.Ip, At = now.ToUnixTimeMilliseconds(),
                OwnMail = ownMail,
            };
            var by = standing.ActingAs switch
            {
                "proxy" => $"{decision.Actor} (for {standing.Approver})",
                "admin" when ownMail => $"{decision.Actor} (admin, the sender's own mail)",
                "admin" => $"{decision.Actor} (admin)",
                _ => decision.Actor,
            };
            var change = approve
                ? await ApproveAsync(request, decision, by, comment, now, cancellationToken)
                : Reject(request, decision, by, comment, now) with { Notifications = await TellSenderAsync(request, "rejected", by, comment, cancellationToken) };
            if (await store.ApplyAsync(change, cancellationToken))
            {
                Decided(request, change, now);
                Log.ApprovalDecided(logger, request.Id, request.MessageId, change.Status, by);
                return new DecideOutcome.Done((await store.GetAsync(tenantId, id, cancellationToken))!, ownMail);
            }
        }

        throw new InvalidOperationException($"Approval request {id} kept changing while deciding; try again.");
    }

    /// <summary>A request's final decision (not a level's, nor a reminder), once committed: how long it waited.</summary>
    private void Decided(ApprovalRequestRow request, ApprovalStore.Change change, DateTimeOffset now)
    {
        if (change.Status is ApprovalStatus.Approved or ApprovalStatus.Rejected or ApprovalStatus.Expired)
        {
            metrics.ApprovalDecided(change.Status, now - Clock.FromMs(request.CreatedAt));
        }
    }

    private static ApprovalStore.Change Reject(ApprovalRequestRow request, ApprovalDecisionRow decision, string by, string? comment, DateTimeOffset now)
    {
        var ms = now.ToUnixTimeMilliseconds();
        var reason = $"rejected by {by}{(string.IsNullOrWhiteSpace(comment) ? "" : $": {comment}")}";
        return new ApprovalStore.Change(request, ApprovalStatus.Rejected, request.Level, request.DueAt, null, by, ms, comment, decision,
            new ApprovalStore.MessageTransition(MessageStatus.Rejected, null, null),
            [new NewEvent(MessageEventType.Rejected, MessageStatus.AwaitingApproval, MessageStatus.Rejected, decision.Actor, reason, Data(request, decision))], ms);
    }

    private async Task<ApprovalStore.Change> ApproveAsync(ApprovalRequestRow request, ApprovalDecisionRow decision, string by, string? comment,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var ms = now.ToUnixTimeMilliseconds();
        var route = request.Route;
        var level = LevelAt(route, request.Level)!;
        var levelDone = decision.ActingAs == "admin" || level.Mode == "any";
        if (!levelDone)
        {
            var approved = (await store.GetDecisionsAsync(request.Id, cancellationToken))
                .Where(d => d.Level == request.Level && d.Decision == "approve").Select(d => d.Approver)
                .Append(decision.Approver).ToHashSet(StringComparer.Ordinal);
            levelDone = level.Approvers.All(approved.Contains);
            if (!levelDone)
            {
                var missing = level.Approvers.Where(a => !approved.Contains(a)).ToList();
                return new ApprovalStore.Change(request, ApprovalStatus.Pending, request.Level, request.DueAt, request.ReminderAt, null, null, null, decision, null,
                    [new NewEvent(ApprovalEventType.Recorded, null, null, decision.Actor,
                        $"approved by {by}; level {request.Level + 1} still needs {string.Join(", ", missing)}", Data(request, decision))], ms);
            }
        }

        // A second level follows the first; the fallback level only comes through escalation.
        if (request.Level + 1 < route.Levels.Count)
        {
            return new ApprovalStore.Change(request, ApprovalStatus.Pending, request.Level + 1, ms + request.TimeoutMs,
                request.ReminderMs is { } before ? ms + request.TimeoutMs - before : null, null, null, null, decision, null,
                [new NewEvent(ApprovalEventType.LevelApproved, null, null, decision.Actor,
                    $"level {request.Level + 1} approved by {by}; now level {request.Level + 2}: {string.Join(", ", route.Levels[request.Level + 1].Approvers)}", Data(request, decision))], ms,
                Ask(request with { Level = request.Level + 1 }, route.Levels[request.Level + 1].Approvers, NotificationKind.ApprovalRequest));
        }

        return await FinalApproveAsync(request, decision, by, comment, ApprovalStatus.Approved, now, cancellationToken);
    }

    /// <summary>Out of awaiting_approval: queued, or held when the policy also holds (the hold starts now).</summary>
    private async Task<ApprovalStore.Change> FinalApproveAsync(ApprovalRequestRow request, ApprovalDecisionRow? decision, string by, string? comment, string status,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var ms = now.ToUnixTimeMilliseconds();
        var message = await messages.GetByIdAsync(request.MessageId, cancellationToken);
        var hold = message is null ? null : PolicyDecisions.Read(message.Decisions)?.Hold;
        DateTimeOffset? releaseAt = null;
        string? mode = null;
        if (hold is not null)
        {
            mode = hold.Mode;
            if (hold.Mode != HoldModes.Review)
            {
                releaseAt = hold.Duration is { } duration ? now + System.Xml.XmlConvert.ToTimeSpan(duration) : null;
                if (hold.SendAt is { } sendAt && (releaseAt is null || sendAt > releaseAt))
                {
                    releaseAt = sendAt;
                }
            }
        }

        var held = mode == HoldModes.Review || releaseAt > now;
        var to = held ? MessageStatus.Held : MessageStatus.Queued;
        var reason = $"approved by {by}{(string.IsNullOrWhiteSpace(comment) ? "" : $": {comment}")}"
            + (held ? releaseAt is { } at ? $"; held until {Rfc3339.Format(at)} ({mode})" : $"; held for {mode}" : "");
        return new ApprovalStore.Change(request, status, request.Level, request.DueAt, null, by, ms, comment, decision,
            new ApprovalStore.MessageTransition(to, held ? releaseAt?.ToUnixTimeMilliseconds() : null, held ? mode : null),
            [new NewEvent(ApprovalEventType.Approved, MessageStatus.AwaitingApproval, to, decision?.Actor ?? "system", reason,
                decision is null ? null : Data(request, decision))], ms,
            await TellSenderAsync(request, status == ApprovalStatus.Expired ? "released" : "approved", by, comment, cancellationToken));
    }

    /// <summary>Reminders and deadlines: runs from the worker. Returns how many requests it moved on.</summary>
    public async Task<int> ProcessDueAsync(CancellationToken cancellationToken = default)
    {
        var handled = 0;
        foreach (var (id, tenantId) in await store.DueAsync(time.NowMs(), 200, cancellationToken))
        {
            var request = await store.GetAsync(tenantId, id, cancellationToken);
            if (request is not { Status: ApprovalStatus.Pending })
            {
                continue;
            }

            var now = time.GetUtcNow();
            var ms = now.ToUnixTimeMilliseconds();
            ApprovalStore.Change change;
            if (request.DueAt > ms)
            {
                var level = LevelAt(request.Route, request.Level);
                change = new ApprovalStore.Change(request, ApprovalStatus.Pending, request.Level, request.DueAt, null, null, null, null, null, null,
                    [new NewEvent(ApprovalEventType.Reminder, null, null, "system",
                        $"no decision yet; the deadline is {Rfc3339.Format(Clock.FromMs(request.DueAt))} (then {request.OnTimeout}); approvers: {string.Join(", ", level?.Approvers ?? [])}")], ms,
                    Ask(request, level?.Approvers ?? [], NotificationKind.ApprovalReminder));
            }
            else
            {
                change = await TimeoutAsync(request, now, cancellationToken);
            }

            if (await store.ApplyAsync(change, cancellationToken))
            {
                handled++;
                Decided(request, change, now);
                Log.ApprovalTimedOut(logger, request.Id, request.MessageId, change.Status);
            }
        }

        return handled;
    }

    private async Task<ApprovalStore.Change> TimeoutAsync(ApprovalRequestRow request, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var ms = now.ToUnixTimeMilliseconds();
        var waited = PolicyEngine.Human(TimeSpan.FromMilliseconds(request.TimeoutMs));
        var route = request.Route;
        if (request.OnTimeout == "escalate" && LevelAt(route, request.Level + 1) is { } next)
        {
            return new ApprovalStore.Change(request, ApprovalStatus.Pending, request.Level + 1, ms + request.TimeoutMs,
                request.ReminderMs is { } before ? ms + request.TimeoutMs - before : null, null, null, null, null, null,
                [new NewEvent(ApprovalEventType.Escalated, null, null, "system",
                    $"no decision within {waited}; escalated to {string.Join(", ", next.Approvers)}")], ms,
                [.. Ask(request with { Level = request.Level + 1 }, next.Approvers, NotificationKind.ApprovalRequest),
                    // The sender would otherwise wait without knowing that the mail now waits for someone else.
                    .. await TellSenderAsync(request, "escalated", string.Join(", ", next.Approvers), null, cancellationToken)]);
        }

        if (request.OnTimeout == "release")
        {
            var released = await FinalApproveAsync(request, null, "nobody (timeout: release)", $"no decision within {waited}", ApprovalStatus.Expired, now, cancellationToken);
            return released with { Events = [released.Events[0] with { Type = ApprovalEventType.TimedOut, Actor = "system", Reason = $"no decision within {waited}; released as the rule says ({released.Events[0].Reason})" }] };
        }

        // reject, or escalate with nobody left to escalate to.
        var why = request.OnTimeout == "escalate" ? $"no decision within {waited} and nobody left to escalate to" : $"no decision within {waited}";
        return new ApprovalStore.Change(request, ApprovalStatus.Expired, request.Level, request.DueAt, null, "system", ms, why, null,
            new ApprovalStore.MessageTransition(MessageStatus.Rejected, null, null),
            [new NewEvent(ApprovalEventType.TimedOut, MessageStatus.AwaitingApproval, MessageStatus.Rejected, "system", $"{why}; rejected")], ms,
            await TellSenderAsync(request, "expired", "nobody", why, cancellationToken));
    }

    private static IReadOnlyList<NewNotification> Ask(ApprovalRequestRow request, IEnumerable<string> approvers, string kind) =>
        approvers.Select(a => new NewNotification(request.TenantId, request.MessageId, request.Id, kind, a, JsonSerializer.Serialize(new { level = request.Level }))).ToList();

    /// <summary>The sender hears the outcome either way.</summary>
    private async Task<IReadOnlyList<NewNotification>> TellSenderAsync(ApprovalRequestRow request, string outcome, string by, string? comment, CancellationToken cancellationToken)
    {
        var message = await messages.GetByIdAsync(request.MessageId, cancellationToken);
        // A null reverse path (a delivery report, an auto-reply) is told nothing: nothing automatic goes back to it.
        return message is null || message.EnvelopeFrom.Length == 0
            ? []
            : [new NewNotification(request.TenantId, request.MessageId, request.Id, NotificationKind.SenderOutcome, message.EnvelopeFrom,
                JsonSerializer.Serialize(new { outcome, by, comment }))];
    }

    private static string Data(ApprovalRequestRow request, ApprovalDecisionRow decision) => JsonSerializer.Serialize(new
    {
        approvalId = request.Id,
        level = decision.Level + 1,
        approver = decision.Approver,
        actor = decision.Actor,
        actingAs = decision.ActingAs,
        decision = decision.Decision,
        comment = decision.Comment,
        channel = decision.Channel,
        keyId = decision.KeyId,
        ip = decision.Ip,
        ownMail = decision.OwnMail,
    });
}
