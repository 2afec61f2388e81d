using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SendGate.Core.Data;

namespace SendGate.Core.Telemetry;

/// <summary>
/// Reads every work queue's depth and oldest due row once per <see cref="TelemetryOptions.QueueSampleInterval"/>
/// for the gauges of <see cref="SendGateMetrics"/>, so a scrape (or many scrapers) never reaches
/// the database. It runs in every host that has the meter read, not on the worker's schedule: an
/// API host without the worker still serves <c>/metrics</c>. Nothing is read while nothing listens.
/// </summary>
public sealed class QueueGauges(
    IEnumerable<WorkQueue> queues,
    IDbConnectionFactory db,
    SendGateMetrics metrics,
    TimeProvider time,
    IOptions<TelemetryOptions> options,
    ILogger<QueueGauges> logger) : BackgroundService
{
    private readonly WorkQueue[] _queues = [.. queues];

    /// <summary>Reads the queues now and hands the readings to the gauges.</summary>
    public async Task SampleAsync(CancellationToken cancellationToken = default)
    {
        var now = time.NowMs();
        var samples = new List<QueueSample>(_queues.Length);
        await using var connection = await db.OpenAsync(cancellationToken);
        foreach (var queue in _queues)
        {
            samples.Add(await queue.SampleAsync(connection, now, cancellationToken));
        }

        metrics.QueuesSampled(samples);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The first reading comes one interval after the start, once the database is migrated.
        using var timer = new PeriodicTimer(options.Value.QueueSampleInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (!metrics.QueuesObserved)
                {
                    continue;
                }

                try
                {
                    await SampleAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The gauges keep the last reading; the readiness check reports a database that is away.
                    Log.QueueSampleFailed(logger, ex.GetType().Name);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
