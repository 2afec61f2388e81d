using SendGate.Core.Messages;
using SendGate.Core.ReviewConsole;

namespace SendGate.Api.ReviewConsole.Pages;

/// <summary>My held mail: what I sent that has not left yet, why, and when it leaves on its own.</summary>
internal sealed class IndexModel(HeldMail held) : ConsolePage
{
    internal IReadOnlyList<MessageRow> Messages { get; private set; } = [];

    public async Task OnGetAsync()
    {
        Messages = await held.ForSenderAsync(Viewer.TenantId, Viewer.Address, HttpContext.RequestAborted);
    }
}
