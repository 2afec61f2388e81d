using Dapper;
using SendGate.Core.Approvals;
using SendGate.Core.Data;
using SendGate.Core.Messages;

namespace SendGate.Core.ReviewConsole;

/// <summary>
/// The mail that has not left yet: held (waiting for its time or for a re-check) or awaiting
/// approval. A sender's list is hers by the envelope sender or the From header, as approvals
/// judge whose mail it is.
/// </summary>
public sealed class HeldMail(IDbConnectionFactory db)
{
    // At most this many are listed: a person with more held mail than a page searches the archive.
    public const int Limit = 200;

    // The LIKE on the From header only narrows; each row is then judged exactly by its senders.
    private const string ForSenderSql = $"""
        SELECT {MessageStore.Columns} FROM messages
         WHERE tenant_id = @tenantId AND status IN ('held', 'awaiting_approval')
           AND (LOWER(envelope_from) = @address OR LOWER(header_from) LIKE @like ESCAPE '\')
         ORDER BY created_at DESC, id DESC
        """;

    public async Task<IReadOnlyList<MessageRow>> ForSenderAsync(string tenantId, string address, CancellationToken cancellationToken = default)
    {
        address = ConsolePeople.Normalize(address);
        var like = "%" + address.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%";
        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<MessageRow>(new CommandDefinition($"{ForSenderSql} {db.Dialect.LimitClause}", new { tenantId, address, like, limit = Limit * 2 }, cancellationToken: cancellationToken));
        return rows.Where(m => IsSender(m, address)).Take(Limit).ToList();
    }

    public static bool IsSender(MessageRow message, string address) =>
        ApprovalRoutes.SendersOf(message.EnvelopeFrom, message.HeaderFrom).Contains(ConsolePeople.Normalize(address));
}
