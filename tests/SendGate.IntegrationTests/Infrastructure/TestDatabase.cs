using Microsoft.Data.SqlClient;
using SendGate.Tests.ExternalTools;

namespace SendGate.IntegrationTests.Infrastructure;

/// <summary>
/// The integration suite runs on SQLite by default. With a SQL Server connection string in
/// <c>SENDGATE_TEST_SQLSERVER</c>, every test host gets a fresh database on that server instead.
/// </summary>
public static class TestDatabase
{
    public const string Variable = "SENDGATE_TEST_SQLSERVER";

    public static string? SqlServer { get; } = string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(Variable))
        ? null
        : Environment.GetEnvironmentVariable(Variable);

    public static string CreateSqlServerDatabase(string server, string name)
    {
        var builder = new SqlConnectionStringBuilder(server) { InitialCatalog = "master" };
        using (var connection = new SqlConnection(builder.ConnectionString))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"IF DB_ID(N'{name}') IS NULL CREATE DATABASE [{name}]";
            command.ExecuteNonQuery();
        }

        builder.InitialCatalog = name;
        return builder.ConnectionString;
    }

    public static void DropSqlServerDatabase(string connectionString)
    {
        var builder = new SqlConnectionStringBuilder(connectionString);
        var name = builder.InitialCatalog;
        SqlConnection.ClearAllPools();
        builder.InitialCatalog = "master";
        using var connection = new SqlConnection(builder.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"IF DB_ID(N'{name}') IS NOT NULL BEGIN ALTER DATABASE [{name}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [{name}]; END";
        command.ExecuteNonQuery();
    }
}

/// <summary>Skipped, with the reason in the test report, unless SQL Server is configured.</summary>
public sealed class SqlServerFactAttribute : ReasonedFactAttribute
{
    public SqlServerFactAttribute()
    {
        if (TestDatabase.SqlServer is null)
        {
            Skip = $"{TestDatabase.Variable} is not set: the integration suite ran against SQLite only, not SQL Server.";
        }
    }
}
