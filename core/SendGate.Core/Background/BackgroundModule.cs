using Microsoft.Extensions.DependencyInjection;
using Quartz;
using SendGate.Core.Hosting;

namespace SendGate.Core.Background;

public static class BackgroundModule
{
    /// <summary>
    /// The room's options, the lease owner's name, the schedule table and the hold releaser. Part of
    /// the core (not of <see cref="AddSendGateWorker"/>), so every host and the settings check
    /// validate the worker settings, and the API host's own services can name their lease owner.
    /// </summary>
    public static IServiceCollection AddBackgroundWork(this IServiceCollection services)
    {
        services.AddOptions<WorkerOptions>().BindSettings(WorkerOptions.Section).ValidateOnStart();
        services.AddSingleton<WorkerIdentity>();
        services.AddSingleton<BackgroundSchedule>();
        services.AddSingleton<HoldReleaser>();
        return services.AddRecurringWork<HoldReleaser>("release-due", WorkSchedule.Poll, (releaser, ct) => releaser.ReleaseDueAsync(ct));
    }

    /// <summary>Declares a line of the schedule: <paramref name="run"/> calls one method of a registered service.</summary>
    public static IServiceCollection AddRecurringWork<TService>(
        this IServiceCollection services, string name, WorkSchedule schedule, Func<TService, CancellationToken, Task> run)
        where TService : notnull =>
        services.AddSingleton(new RecurringWork(name, schedule, (provider, ct) => run(provider.GetRequiredService<TService>(), ct)));

    /// <summary>
    /// Runs the schedule in this host: the worker host always, the API host when
    /// <c>SendGate:Worker:InProcess</c> is true (read from the validated options at start).
    /// </summary>
    public static IServiceCollection AddSendGateWorker(this IServiceCollection services, WorkerHosting hosting)
    {
        services.AddQuartz();
        services.AddTransient<ScheduledWorkJob>();
        services.AddHostedService(provider => ActivatorUtilities.CreateInstance<BackgroundWorkHost>(provider, hosting));
        return services;
    }
}
