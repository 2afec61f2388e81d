using Quartz;

namespace SendGate.Core.Background;

/// <summary>
/// One line of the schedule: a piece of background work, when it runs, and the service method it
/// calls. Each feature declares its own lines where it registers its services
/// (<see cref="BackgroundModule.AddRecurringWork{TService}"/>); the worker runs them all.
/// </summary>
public sealed record RecurringWork(string Name, WorkSchedule Schedule, Func<IServiceProvider, CancellationToken, Task> RunAsync);

/// <summary>When a piece of background work runs.</summary>
public abstract record WorkSchedule
{
    private WorkSchedule()
    {
    }

    /// <summary>
    /// Every <see cref="WorkerOptions.PollInterval"/>, counted from the end of the previous run: the
    /// work queues, which a slow run must never make pile up.
    /// </summary>
    public static WorkSchedule Poll { get; } = new PollSchedule();

    /// <summary>At a fixed interval, counted from the end of the previous run; the first run at start.</summary>
    public static WorkSchedule Every(TimeSpan interval) => interval > TimeSpan.Zero
        ? new IntervalSchedule(interval)
        : throw new ArgumentOutOfRangeException(nameof(interval), interval, "The interval must be positive.");

    /// <summary>On a Quartz cron expression (seconds first), in the host's time zone.</summary>
    public static WorkSchedule Cron(string expression) => CronExpression.TryParse(expression, out _)
        ? new CronSchedule(expression)
        : throw new ArgumentException($"'{expression}' is not a Quartz cron expression.", nameof(expression));

    internal abstract ITrigger Trigger(JobKey job, WorkerOptions options);

    private sealed record PollSchedule : WorkSchedule
    {
        internal override ITrigger Trigger(JobKey job, WorkerOptions options) => Repeating(job, options.PollInterval);

        public override string ToString() => "every poll interval";
    }

    private sealed record IntervalSchedule(TimeSpan Interval) : WorkSchedule
    {
        internal override ITrigger Trigger(JobKey job, WorkerOptions options) => Repeating(job, Interval);

        public override string ToString() => $"every {Interval}";
    }

    private sealed record CronSchedule(string Expression) : WorkSchedule
    {
        internal override ITrigger Trigger(JobKey job, WorkerOptions options) =>
            TriggerBuilder.Create().ForJob(job).WithIdentity(job.Name, job.Group).WithCronSchedule(Expression).Build();

        public override string ToString() => $"cron {Expression}";
    }

    private static ITrigger Repeating(JobKey job, TimeSpan interval) =>
        TriggerBuilder.Create().ForJob(job).WithIdentity(job.Name, job.Group).StartNow()
            .WithSimpleSchedule(s => s.WithInterval(interval).RepeatForever().MeasureIntervalFromCompletion())
            .Build();
}
