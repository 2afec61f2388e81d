namespace SendGate.Core.Data;

/// <summary>
/// Whether a failure means the storage is full — the disk, a quota, or the database's file — so
/// that callers hear a retryable "insufficient storage" instead of an internal error.
/// </summary>
public static class StorageFull
{
    // ENOSPC and EDQUOT (Linux; .NET's IOException carries the errno as HResult), ERROR_DISK_FULL and ERROR_HANDLE_DISK_FULL (Windows).
    private static readonly HashSet<int> FullHResults = [28, 122, unchecked((int)0x80070070), unchecked((int)0x80070027)];

    public static bool Is(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            var full = e switch
            {
                IOException io => FullHResults.Contains(io.HResult),
                // SQLITE_FULL; SQL Server: a filegroup (1105) or the transaction log (9002) is full.
                Microsoft.Data.Sqlite.SqliteException sqlite => sqlite.SqliteErrorCode == 13,
                Microsoft.Data.SqlClient.SqlException sql => sql.Number is 1105 or 9002,
                AggregateException aggregate => aggregate.InnerExceptions.Any(Is),
                _ => false,
            };
            if (full)
            {
                return true;
            }
        }

        return false;
    }
}
