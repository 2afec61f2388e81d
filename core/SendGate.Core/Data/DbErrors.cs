using System.Data.Common;

namespace SendGate.Core.Data;

public static class DbErrors
{
    /// <summary>A primary-key or unique-constraint violation, in either database.</summary>
    public static bool IsUniqueViolation(DbException exception) => exception switch
    {
        // SQLITE_CONSTRAINT with the primary-key or unique extended code.
        Microsoft.Data.Sqlite.SqliteException sqlite => sqlite.SqliteErrorCode == 19 && sqlite.SqliteExtendedErrorCode is 1555 or 2067,
        Microsoft.Data.SqlClient.SqlException sql => sql.Number is 2627 or 2601,
        _ => false,
    };
}
