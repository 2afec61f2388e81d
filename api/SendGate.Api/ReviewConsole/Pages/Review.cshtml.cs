using SendGate.Core.Archive;
using SendGate.Core.Messages;

namespace SendGate.Api.ReviewConsole.Pages;

/// <summary>The reviewers' queue: the tenant's mail that has not left yet (held or awaiting approval), searched and paged as the archive.</summary>
internal sealed class ReviewModel(MessageSearch search) : MessageSearchPage(search)
{
    private static readonly IReadOnlyList<string> NotLeftYet = [MessageStatus.Held, MessageStatus.AwaitingApproval];

    internal override IReadOnlyList<string> StatusChoices => NotLeftYet;

    internal override string Path => "/console/review";
}
