using System.Data.Common;
using SendGate.Core.Messages;
using SendGate.Core.Messages.Lifecycle;

namespace SendGate.Core.Links;

/// <summary>
/// A linked message's token is kept encrypted only while delivery may try again: once the mail is
/// sent, failed, cancelled or rejected, only its hash remains.
/// </summary>
internal sealed class LinkFollowing : IMessageMoveHandler
{
    public Task OnMovedAsync(DbConnection connection, DbTransaction transaction, MessageMoved moved) =>
        moved.Zipped && moved.To is MessageStatus.Sent or MessageStatus.Failed or MessageStatus.Cancelled or MessageStatus.Rejected
            ? LinkStore.ForgetTokenAsync(connection, transaction, moved.MessageId)
            : Task.CompletedTask;
}
