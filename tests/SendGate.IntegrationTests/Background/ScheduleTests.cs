using Microsoft.Extensions.DependencyInjection;
using Quartz;
using SendGate.Core.Background;
using SendGate.IntegrationTests.Infrastructure;

namespace SendGate.IntegrationTests.Background;

/// <summary>
/// The schedule the features declare is what the scheduler runs, on the validated settings: every
/// line once, the queues on the poll interval, the housekeeping on its cron.
/// </summary>
public sealed class ScheduleTests
{
    private static readonly Dictionary<string, string> Expected = new()
    {
        ["release-due"] = "poll",
        ["deliver-due"] = "poll",
        ["deliver-password-mails"] = "poll",
        ["approval-deadlines"] = "poll",
        ["deliver-notifications"] = "poll",
        ["deliver-webhooks"] = "poll",
        ["purge-idempotency-keys"] = "every 01:00:00",
        ["purge-deleted-tenants"] = "every 00:01:00",
        ["retention"] = "cron 0 15 * * * ?",
        ["blob-sweep"] = "cron 0 40 3 * * ?",
        ["sweep-download-links"] = "cron 0 */5 * * * ?",
        ["purge-webhook-deliveries"] = "cron 0 25 * * * ?",
    };

    [Fact]
    public async Task The_api_host_with_the_worker_in_process_schedules_every_line_once_on_the_configured_poll_interval()
    {
        await using var app = new SendGateApp(settings: new Dictionary<string, string?>
        {
            ["SendGate:Worker:InProcess"] = "true",
            ["SendGate:Worker:PollInterval"] = "00:00:02.500",
        }, realClock: true);
        using var client = app.Admin();
        (await client.GetAsync("/health/live")).EnsureSuccessStatusCode();

        var scheduler = Assert.Single(await app.Service<ISchedulerFactory>().GetAllSchedulers());
        Assert.Equal(SchedulerStatus.Running, await scheduler.GetStatus());
        var keys = await scheduler.GetJobKeys(GroupMatcher<JobKey>.GroupEquals("sendgate"));
        Assert.Equal(Expected.Keys.Order(), keys.Select(k => k.Name).Order());
        Assert.Equal(Expected.Keys.Order(), app.Service<BackgroundSchedule>().All.Select(w => w.Name).Order());

        foreach (var key in keys)
        {
            var trigger = Assert.Single(await scheduler.GetTriggersOfJob(key));
            var described = trigger switch
            {
                ISimpleTrigger simple when simple.RepeatInterval == TimeSpan.FromSeconds(2.5) => "poll",
                ISimpleTrigger simple => $"every {simple.RepeatInterval}",
                ICronTrigger cron => $"cron {cron.CronExpressionString}",
                _ => trigger.GetType().Name,
            };
            Assert.True(Expected[key.Name] == described, $"{key.Name}: {described}, expected {Expected[key.Name]}");
            Assert.True((await scheduler.GetJobDetail(key))!.ConcurrentExecutionDisallowed, $"{key.Name} may run twice at once");
        }
    }

    [Fact]
    public async Task The_api_host_with_the_worker_elsewhere_runs_no_background_work()
    {
        var logs = new CollectingLoggerProvider();
        await using var app = new SendGateApp(settings: new Dictionary<string, string?> { ["SendGate:Worker:InProcess"] = "false" }, logs: logs);
        using var client = app.Admin();
        (await client.GetAsync("/health/live")).EnsureSuccessStatusCode();

        Assert.Empty(await app.Service<ISchedulerFactory>().GetAllSchedulers());
        Assert.Contains(logs.Lines, m => m.Contains("Background work runs in another process", StringComparison.Ordinal));
        // The declared schedule is still there for the worker hosts that share this database.
        Assert.Equal(Expected.Count, app.Service<BackgroundSchedule>().All.Count);
    }

    [Fact]
    public void A_line_declared_twice_is_refused_at_start()
    {
        var line = new RecurringWork("deliver-due", WorkSchedule.Poll, (_, _) => Task.CompletedTask);

        var refused = Assert.Throws<InvalidOperationException>(() => new BackgroundSchedule([line, line with { }]));

        Assert.Contains("'deliver-due' is declared twice", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_schedule_that_cannot_run_is_refused_where_it_is_declared()
    {
        Assert.Throws<ArgumentException>(() => WorkSchedule.Cron("every hour"));
        Assert.Throws<ArgumentOutOfRangeException>(() => WorkSchedule.Every(TimeSpan.Zero));
    }
}
