using System.Diagnostics.Metrics;

namespace SendGate.Core.Telemetry;

/// <summary>
/// The one meter, <c>SendGate</c>, and its instruments. Each fact is recorded where it happens
/// (submission, delivery, the relay's replies, password mails, webhooks, policy, approvals, the
/// SMTP door), after its transaction committed, so a retried write is not counted twice. Tags
/// carry ids and closed sets of words only: never an address, a subject, content or a secret.
/// Recording costs a few nanoseconds when nothing listens and an in-memory update when something
/// does; the queue gauges read values sampled by <see cref="QueueGauges"/>, never the database.
/// </summary>
public sealed class SendGateMetrics
{
    public const string MeterName = "SendGate";

    // Seconds: accept → sent spans a relay's round trip to a review hold of hours.
    private static readonly double[] LatencyBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400];
    private static readonly double[] EvaluationBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    private static readonly double[] DecisionBuckets = [60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 604800];

    private readonly Counter<long> _messages;
    private readonly Histogram<double> _deliveryLatency;
    private readonly Counter<long> _deliveryAttempts;
    private readonly Counter<long> _relayReplies;
    private readonly Counter<long> _passwordMails;
    private readonly Counter<long> _webhookFailures;
    private readonly Histogram<double> _policyEvaluation;
    private readonly Histogram<double> _approvalDecision;
    private readonly Counter<long> _doorReplies;
    private readonly ObservableGauge<long> _queueDepth;
    private readonly ObservableGauge<double> _queueOldestDue;

    private IReadOnlyList<QueueSample> _queues = [];

    public SendGateMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _messages = meter.CreateCounter<long>("sendgate.messages", "{message}",
            "Messages by outcome: at submission accepted (queued to leave now), held, awaiting_approval or rejected; when delivery ends sent or failed.");
        _deliveryLatency = meter.CreateHistogram("sendgate.delivery.latency", "s",
            "From a message's acceptance to the relay accepting it (holds and approvals included).", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _deliveryAttempts = meter.CreateCounter<long>("sendgate.delivery.attempts", "{attempt}",
            "Delivery attempts of messages by result: sent, deferred (retried later), failed, lease_lost.");
        _relayReplies = meter.CreateCounter<long>("sendgate.relay.replies", "{reply}",
            "The relay's replies to SendGate's mail by command (mail, rcpt, data) and class (2xx, 4xx, 5xx).");
        _passwordMails = meter.CreateCounter<long>("sendgate.password_mails", "{mail}", "Password mails that went out (sent) or were given up (failed).");
        _webhookFailures = meter.CreateCounter<long>("sendgate.webhook.failures", "{attempt}",
            "Failed webhook delivery attempts: retried later, or failed for good.");
        _policyEvaluation = meter.CreateHistogram("sendgate.policy.evaluation.duration", "s",
            "Time to decide a message with the tenant's policy (detectors and the histories they read), submissions and dry runs.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = EvaluationBuckets });
        _approvalDecision = meter.CreateHistogram("sendgate.approval.decision_time", "s",
            "From an approval request to its final decision: approved, rejected or expired.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DecisionBuckets });
        _doorReplies = meter.CreateCounter<long>("sendgate.smtp_ingress.replies", "{reply}",
            "The SMTP door's replies to its clients by command (connect, auth, mail, rcpt, data), class and code.");
        _queueDepth = meter.CreateObservableGauge("sendgate.queue.depth", QueueDepths, "{item}",
            "Rows of each work queue by state: due, not_due (waiting for a retry or a delay), sending (leased), paused (a disabled webhook endpoint's).");
        _queueOldestDue = meter.CreateObservableGauge("sendgate.queue.oldest_due_age", QueueAges, "s",
            "How long the oldest due row of each work queue has been due; 0 when none is.");
    }

    /// <summary>Whether anything reads the queue gauges (no sampling otherwise).</summary>
    public bool QueuesObserved => _queueDepth.Enabled || _queueOldestDue.Enabled;

    /// <summary>A new message's first status, as decided by the policy.</summary>
    public void Submitted(string tenantId, string status) => _messages.Add(1, Tenant(tenantId), Outcome(status switch
    {
        Messages.MessageStatus.Queued => "accepted",
        _ => status,
    }));

    /// <summary>A delivery attempt ended; a message's final outcome also counts it and, when sent, its latency.</summary>
    public void DeliveryFinished(string tenantId, string result, TimeSpan sinceAccepted)
    {
        _deliveryAttempts.Add(1, new KeyValuePair<string, object?>("result", result));
        if (result is Messages.MessageStatus.Sent or Messages.MessageStatus.Failed)
        {
            _messages.Add(1, Tenant(tenantId), Outcome(result));
        }

        if (result == Messages.MessageStatus.Sent)
        {
            _deliveryLatency.Record(Math.Max(0, sinceAccepted.TotalSeconds));
        }
    }

    /// <summary>A delivery attempt that ended without an outcome: another worker holds the message now.</summary>
    public void DeliveryLeaseLost() => _deliveryAttempts.Add(1, new KeyValuePair<string, object?>("result", "lease_lost"));

    /// <param name="command"><c>mail</c>, <c>rcpt</c> or <c>data</c>.</param>
    public void RelayReplied(string command, int code) => _relayReplies.Add(1, Command(command), Class(code), Code(code));

    public void PasswordMailFinished(string outcome) => _passwordMails.Add(1, Outcome(outcome));

    public void WebhookFailed(bool givenUp) => _webhookFailures.Add(1, Outcome(givenUp ? "failed" : "retried"));

    public void PolicyEvaluated(TimeSpan took) => _policyEvaluation.Record(took.TotalSeconds);

    /// <param name="decision"><c>approved</c>, <c>rejected</c> or <c>expired</c>.</param>
    public void ApprovalDecided(string decision, TimeSpan sinceRequested) =>
        _approvalDecision.Record(Math.Max(0, sinceRequested.TotalSeconds), new KeyValuePair<string, object?>("decision", decision));

    /// <param name="command"><c>connect</c>, <c>auth</c>, <c>mail</c>, <c>rcpt</c> or <c>data</c>.</param>
    public void SmtpDoorReplied(string command, int code) => _doorReplies.Add(1, Command(command), Class(code), Code(code));

    /// <summary>The latest reading of every work queue, reported by the gauges until the next.</summary>
    internal void QueuesSampled(IReadOnlyList<QueueSample> samples) => _queues = samples;

    private IEnumerable<Measurement<long>> QueueDepths()
    {
        foreach (var q in _queues)
        {
            var queue = new KeyValuePair<string, object?>("queue", q.Queue);
            yield return new Measurement<long>(q.Due, queue, State("due"));
            yield return new Measurement<long>(q.NotDue, queue, State("not_due"));
            yield return new Measurement<long>(q.Sending, queue, State("sending"));
            yield return new Measurement<long>(q.Paused, queue, State("paused"));
        }
    }

    private IEnumerable<Measurement<double>> QueueAges()
    {
        foreach (var q in _queues)
        {
            yield return new Measurement<double>(q.OldestDueAge.TotalSeconds, new KeyValuePair<string, object?>("queue", q.Queue));
        }
    }

    private static KeyValuePair<string, object?> Tenant(string tenantId) => new("tenant", tenantId);

    private static KeyValuePair<string, object?> Outcome(string outcome) => new("outcome", outcome);

    private static KeyValuePair<string, object?> State(string state) => new("state", state);

    private static KeyValuePair<string, object?> Command(string command) => new("command", command);

    private static KeyValuePair<string, object?> Class(int code) => new("class", code switch
    {
        >= 200 and < 300 => "2xx",
        >= 300 and < 400 => "3xx",
        >= 400 and < 500 => "4xx",
        >= 500 and < 600 => "5xx",
        _ => "other",
    });

    // Three digits or "other": a closed set whatever a peer sends.
    private static KeyValuePair<string, object?> Code(int code) =>
        new("code", code is >= 200 and < 600 ? code.ToString(System.Globalization.CultureInfo.InvariantCulture) : "other");
}

/// <summary>One reading of a work queue (see <see cref="Data.WorkQueue.DepthSql"/>).</summary>
public sealed record QueueSample(string Queue, long Due, long NotDue, long Sending, long Paused, TimeSpan OldestDueAge);
