namespace SendGate.Core.Messages;

/// <summary>
/// Why a message got its status: one entry per thing that decided (the submitter's
/// <c>sendAt</c> today; policy rules later). Kept on the message and returned by the API.
/// </summary>
public sealed record Decision(string Source, string Action, string Reason, DateTimeOffset? Until = null);

/// <summary>What the submitter is told on 202 (and told again on an idempotent replay).</summary>
public sealed record SubmissionReceipt(string Id, string Status, DateTimeOffset? ReleaseAt, IReadOnlyList<Decision> Decisions);
