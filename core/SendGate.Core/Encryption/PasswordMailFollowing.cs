using System.Data.Common;
using SendGate.Core.Messages;
using SendGate.Core.Messages.Lifecycle;

namespace SendGate.Core.Encryption;

/// <summary>
/// A zipped message's password mail follows it: scheduled when the relay accepted the mail,
/// cancelled (and its password dropped) when the mail ends any other way.
/// </summary>
internal sealed class PasswordMailFollowing : IMessageMoveHandler
{
    public Task OnMovedAsync(DbConnection connection, DbTransaction transaction, MessageMoved moved)
    {
        if (!moved.Zipped)
        {
            return Task.CompletedTask;
        }

        return moved.To switch
        {
            MessageStatus.Sent => PasswordMailStore.ApplyAsync(connection, transaction, moved.MessageId, new PasswordMailChange.Schedule(), moved.Now),
            MessageStatus.Cancelled or MessageStatus.Rejected or MessageStatus.Failed =>
                PasswordMailStore.ApplyAsync(connection, transaction, moved.MessageId, new PasswordMailChange.Cancel(moved.Reason), moved.Now),
            _ => Task.CompletedTask,
        };
    }
}
