using System.Data.Common;
using SendGate.Core.Messages;
using SendGate.Core.Messages.Lifecycle;

namespace SendGate.Core.Links;

/// <summary>
/// A linked message's link follows it: once the mail is sent only the token's hash remains (no
/// attempt needs to rebuild the notice); when it ends any other way (cancelled, rejected, failed
/// for good) the link ends too, and the sweep takes its files out of the download store.
/// </summary>
internal sealed class LinkFollowing : IMessageMoveHandler
{
    public Task OnMovedAsync(DbConnection connection, DbTransaction transaction, MessageMoved moved) => moved.To switch
    {
        MessageStatus.Sent when moved.Zipped => LinkStore.ForgetTokenAsync(connection, transaction, moved.MessageId),
        // Cancelled and rejected come from moves that do not know of links (Zipped is their default): an update of nothing when there is none.
        MessageStatus.Failed when moved.Zipped => LinkStore.EndWithMessageAsync(connection, transaction, moved.MessageId, moved.Reason, moved.Now),
        MessageStatus.Cancelled or MessageStatus.Rejected => LinkStore.EndWithMessageAsync(connection, transaction, moved.MessageId, moved.Reason, moved.Now),
        _ => Task.CompletedTask,
    };
}
