using SendGate.Core.Policies;

namespace SendGate.Core.Messages;

/// <summary>What the submitter is told (202, or 422 when rejected), and told again on an idempotent replay.</summary>
public sealed record SubmissionReceipt(string Id, string Status, DateTimeOffset? ReleaseAt, PolicyDecision Decision);
