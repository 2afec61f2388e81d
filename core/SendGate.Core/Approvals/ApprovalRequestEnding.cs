using System.Data.Common;
using Dapper;
using SendGate.Core.Messages;
using SendGate.Core.Messages.Lifecycle;

namespace SendGate.Core.Approvals;

/// <summary>A message that leaves awaiting_approval any other way (cancelled by its sender) ends its pending request with it.</summary>
internal sealed class ApprovalRequestEnding : IMessageMoveHandler
{
    public Task OnMovedAsync(DbConnection connection, DbTransaction transaction, MessageMoved moved) =>
        moved.From == MessageStatus.AwaitingApproval
            ? connection.ExecuteAsync(ApprovalStore.CancelForMessageSql, new { messageId = moved.MessageId, reason = moved.Reason, now = moved.Now }, transaction)
            : Task.CompletedTask;
}
