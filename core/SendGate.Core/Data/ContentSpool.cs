using System.Data.Common;

namespace SendGate.Core.Data;

/// <summary>
/// Reads one large column (message content, a blob) as a seekable stream the caller disposes: in
/// memory when small, otherwise copied to a temporary file (deleted on close) without ever being
/// held whole, so that a 25 MB attachment costs no 25 MB of memory.
/// </summary>
internal static class ContentSpool
{
    /// <summary>Content above this size goes through a temporary file.</summary>
    public const long InMemoryUpTo = 1024 * 1024;

    /// <summary>
    /// Runs <paramref name="sql"/> (columns: size, a row locator SQLite uses to stream, content)
    /// with one parameter; null when it finds no row.
    /// </summary>
    public static async Task<Stream?> OpenAsync(DbConnection connection, string sql, string parameterName, object value, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var parameter = command.CreateParameter();
        parameter.ParameterName = parameterName;
        parameter.Value = value;
        command.Parameters.Add(parameter);
        await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var length = reader.GetInt64(0);
        await using var source = reader.GetStream(2);
        Stream target = length <= InMemoryUpTo
            ? new MemoryStream((int)length)
            : new FileStream(Path.Combine(Path.GetTempPath(), $"sendgate-{Guid.NewGuid():N}.tmp"), FileMode.CreateNew, FileAccess.ReadWrite,
                FileShare.None, 81920, FileOptions.DeleteOnClose);
        try
        {
            await source.CopyToAsync(target, 81920, cancellationToken);
            target.Position = 0;
            return target;
        }
        catch
        {
            await target.DisposeAsync();
            throw;
        }
    }
}
