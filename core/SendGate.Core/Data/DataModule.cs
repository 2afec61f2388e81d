using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SendGate.Core.Hosting;

namespace SendGate.Core.Data;

public static class DataModule
{
    /// <summary>The database: its settings, the connection factory of the chosen dialect, migrations and the readiness check.</summary>
    public static IServiceCollection AddDatabase(this IServiceCollection services)
    {
        services.AddOptions<DatabaseOptions>().BindSettings(DatabaseOptions.Section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.ConnectionString), "SendGate:Database:ConnectionString is required.")
            .ValidateOnStart();
        services.AddSingleton<IDbConnectionFactory>(sp =>
            sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.Provider == DatabaseProvider.SqlServer
                ? new SqlServerConnectionFactory(sp.GetRequiredService<IOptions<DatabaseOptions>>())
                : new SqliteConnectionFactory(sp.GetRequiredService<IOptions<DatabaseOptions>>()));
        services.AddSingleton<DatabaseMigrator>();
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        return services;
    }

    /// <summary>Declares one of the work queues (<see cref="WorkQueue"/>), so that its depth is observed with the others.</summary>
    public static IServiceCollection AddWorkQueue(this IServiceCollection services, WorkQueue queue) => services.AddSingleton(queue);
}
