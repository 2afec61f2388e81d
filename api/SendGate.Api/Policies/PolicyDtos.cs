using SendGate.Core.Policies;

namespace SendGate.Api.Policies;

public sealed record PolicyVersionSummary(int Version, string Change, string CreatedBy, DateTimeOffset CreatedAt);

public sealed record PolicyVersionList(IReadOnlyList<PolicyVersionSummary> Items);

/// <summary>A policy to try, not saved, and a message to try it on.</summary>
public sealed record CandidateEvaluationRequest(PolicyDocument? Policy, SendGate.Core.Mime.MessageRequest? Message);

public sealed record EvaluatedRecipient(string Address, string Kind, bool External);

public sealed record EvaluatedAttachment(string Name, string ContentType, long Size, bool EncryptedZip);

/// <summary>The dry run's answer: the decision a submission would get, and the facts it was made on.</summary>
public sealed record PolicyEvaluation(
    PolicyDecision Decision,
    string From,
    string Subject,
    IReadOnlyList<EvaluatedRecipient> Recipients,
    IReadOnlyList<EvaluatedAttachment> Attachments);
