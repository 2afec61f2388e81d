using Dapper;
using SendGate.Core.Data;

namespace SendGate.Core.ReviewConsole;

/// <summary>
/// Roles an admin gives a person on the console, by mail address. Being a sender or an approver
/// needs no role: a person sees the mail they sent and the requests they may decide.
/// </summary>
public static class ConsoleRoles
{
    /// <summary>The tenant's held mail, the archive and the audit trail; releases and cancels any held mail.</summary>
    public const string Reviewer = "reviewer";

    /// <summary>What a reviewer may, decides any approval request, and gives people roles.</summary>
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All = [Reviewer, Admin];
}

public sealed record ConsolePersonRow
{
    public string TenantId { get; init; } = "";
    public string Address { get; init; } = "";
    public string? Role { get; init; }
    public string? Language { get; init; }
    public long UpdatedAt { get; init; }
    public string UpdatedBy { get; init; } = "";
}

/// <summary>SQL for the people of the console: their roles and languages.</summary>
public sealed class ConsolePeople(IDbConnectionFactory db, TimeProvider time)
{
    private const string Columns = "tenant_id AS TenantId, address AS Address, role AS Role, language AS Language, updated_at AS UpdatedAt, updated_by AS UpdatedBy";

    private const string GetSql = $"SELECT {Columns} FROM console_people WHERE tenant_id = @tenantId AND address = @address";

    private const string ListSql = $"SELECT {Columns} FROM console_people WHERE tenant_id = @tenantId AND role IS NOT NULL ORDER BY address";

    private const string UpdateRoleSql = "UPDATE console_people SET role = @role, updated_at = @now, updated_by = @by WHERE tenant_id = @tenantId AND address = @address";

    private const string UpdateLanguageSql = "UPDATE console_people SET language = @language, updated_at = @now, updated_by = @by WHERE tenant_id = @tenantId AND address = @address";

    private const string InsertSql = """
        INSERT INTO console_people (tenant_id, address, role, language, updated_at, updated_by)
        VALUES (@tenantId, @address, @role, @language, @now, @by)
        """;

    /// <summary>Addresses are kept in lower case: mail addresses are compared that way everywhere here.</summary>
    public static string Normalize(string address) => address.Trim().ToLowerInvariant();

    public async Task<ConsolePersonRow?> GetAsync(string tenantId, string address, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ConsolePersonRow>(
            new CommandDefinition(GetSql, new { tenantId, address = Normalize(address) }, cancellationToken: cancellationToken));
    }

    /// <summary>The people who have a role, by address.</summary>
    public async Task<IReadOnlyList<ConsolePersonRow>> ListAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<ConsolePersonRow>(new CommandDefinition(ListSql, new { tenantId }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>Gives <paramref name="address"/> a role, or takes it away (<c>null</c>).</summary>
    public Task SetRoleAsync(string tenantId, string address, string? role, string by, CancellationToken cancellationToken = default) =>
        UpsertAsync(UpdateRoleSql, new { tenantId, address = Normalize(address), role, language = (string?)null, now = time.NowMs(), by }, cancellationToken);

    public Task SetLanguageAsync(string tenantId, string address, string language, string by, CancellationToken cancellationToken = default) =>
        UpsertAsync(UpdateLanguageSql, new { tenantId, address = Normalize(address), role = (string?)null, language, now = time.NowMs(), by }, cancellationToken);

    // Update first, insert when there was nothing to update; a concurrent insert of the same person
    // makes ours fail on the key, and the update then applies to the row it wrote.
    private async Task UpsertAsync(string updateSql, object args, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        for (var attempt = 0; attempt < 2; attempt++)
        {
            if (await connection.ExecuteAsync(new CommandDefinition(updateSql, args, cancellationToken: cancellationToken)) == 1)
            {
                return;
            }

            try
            {
                await connection.ExecuteAsync(new CommandDefinition(InsertSql, args, cancellationToken: cancellationToken));
                return;
            }
            catch (System.Data.Common.DbException ex) when (DbErrors.IsUniqueViolation(ex) && attempt == 0)
            {
            }
        }
    }
}
