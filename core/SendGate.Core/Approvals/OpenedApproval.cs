using System.Data.Common;
using SendGate.Core.Messages;
using SendGate.Core.Notifications;

namespace SendGate.Core.Approvals;

/// <summary>
/// A message's approval request as the approval feature opened it (<see cref="ApprovalService.OpenAsync"/>):
/// the request, the event the message records, and the mails to the first approvers. The
/// submission writes it in its own transaction, so the request exists as soon as the message does.
/// </summary>
public sealed record OpenedApproval(ApprovalRequestRow Request, NewEvent Requested, IReadOnlyList<NewNotification> Notifications)
{
    /// <summary>Writes the request and its mails inside the submission's transaction (the event goes with the message's own).</summary>
    public async Task WriteAsync(DbConnection connection, DbTransaction transaction, long now)
    {
        await ApprovalStore.InsertRequestAsync(connection, transaction, Request);
        await NotificationStore.InsertAsync(connection, transaction, Notifications, now);
    }
}
