using Microsoft.Extensions.Logging;
using Quartz;

namespace SendGate.Core.Background;

/// <summary>
/// The one Quartz job: it runs the schedule line its key names. A failed run is logged, not
/// thrown, so the trigger stays; the next run (or another worker, once the leases expire) takes up
/// what is left. The no-concurrency rule holds per job key, so each line runs once at a time.
/// </summary>
[DisallowConcurrentExecution]
internal sealed class ScheduledWorkJob(BackgroundSchedule schedule, IServiceProvider services, ILogger<ScheduledWorkJob> logger) : IJob
{
    public const string Group = "sendgate";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var name = context.JobDetail.Key.Name;
        try
        {
            await schedule[name].RunAsync(services, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log.JobFailed(logger, ex, name);
        }
    }
}
