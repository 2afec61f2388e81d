using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Quartz;

namespace SendGate.Core.Background;

/// <summary>Which host the background work is added to: that decides whether it runs.</summary>
public enum WorkerHosting
{
    /// <summary>The worker host: the background work always runs.</summary>
    Dedicated,

    /// <summary>The API host: the background work runs when <see cref="WorkerOptions.InProcess"/> says so.</summary>
    InApiHost,
}

/// <summary>
/// Schedules every line of the <see cref="BackgroundSchedule"/> from the validated options and runs
/// the scheduler for the life of the host; on stop it lets running work finish, so a claimed batch
/// is recorded rather than left to its lease.
/// </summary>
internal sealed class BackgroundWorkHost(
    ISchedulerFactory schedulers,
    BackgroundSchedule schedule,
    IOptions<WorkerOptions> options,
    WorkerHosting hosting,
    ILogger<BackgroundWorkHost> logger) : IHostedService
{
    private IScheduler? scheduler;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (hosting == WorkerHosting.InApiHost && !options.Value.InProcess)
        {
            Log.BackgroundWorkElsewhere(logger);
            return;
        }

        scheduler = await schedulers.GetScheduler(cancellationToken);
        foreach (var line in schedule.All)
        {
            var key = new JobKey(line.Name, ScheduledWorkJob.Group);
            var job = JobBuilder.Create<ScheduledWorkJob>().WithIdentity(key).Build();
            await scheduler.ScheduleJob(job, line.Schedule.Trigger(key, options.Value), new ScheduleJobOptions(), cancellationToken);
            Log.BackgroundWorkScheduled(logger, line.Name, line.Schedule.ToString());
        }

        await scheduler.Start(cancellationToken);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (scheduler is not null)
        {
            await scheduler.Shutdown(waitForJobsToComplete: true, cancellationToken);
        }
    }
}
