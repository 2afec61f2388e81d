using System.Data.Common;

namespace SendGate.Core.Messages.Lifecycle;

/// <summary>
/// A message changed status, inside the transaction that changed it. <paramref name="Reason"/> is
/// what ends with the message says why (e.g. "the message was cancelled");
/// <paramref name="Zipped"/> is false only where the mover knows no attachment was zipped or linked, so that
/// nothing needs to look for a password mail or a link.
/// </summary>
public sealed record MessageMoved(string MessageId, string From, string To, string Reason, long Now, bool Zipped = true);

/// <summary>
/// What another feature does in the same transaction when a message moves: the password mail is
/// scheduled or cancelled with it, a pending approval request ends with it. The lifecycle calls
/// every one it is given, so that the features it ends need not be known to it.
/// </summary>
public interface IMessageMoveHandler
{
    Task OnMovedAsync(DbConnection connection, DbTransaction transaction, MessageMoved moved);
}
