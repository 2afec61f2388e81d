using System.Diagnostics;

namespace SendGate.Core.Telemetry;

/// <summary>
/// The activity source <c>SendGate</c>: a submission through its policy and its storage (under the
/// request's span, which continues an incoming <c>traceparent</c>), the worker's claims and each
/// delivery, password mail and webhook, all tagged with <see cref="MessageId"/> so one message's
/// spans are found together across traces. Without a listener <see cref="ActivitySource.StartActivity(string, ActivityKind)"/>
/// returns null and nothing is allocated; tags are ids and closed sets of words, as for the metrics.
/// </summary>
public static class SendGateTracing
{
    public const string SourceName = "SendGate";

    public const string MessageId = "sendgate.message_id";
    public const string TenantId = "sendgate.tenant_id";
    public const string Status = "sendgate.status";
    public const string Attempt = "sendgate.attempt";

    internal static readonly ActivitySource Source = new(SourceName);

    /// <summary>A span about one message (a submission, a delivery attempt, a password mail, a webhook delivery).</summary>
    internal static Activity? StartForMessage(string name, string messageId, string tenantId, ActivityKind kind = ActivityKind.Internal, ActivityContext parent = default)
    {
        var activity = Source.StartActivity(name, kind, parent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(MessageId, messageId);
            activity.SetTag(TenantId, tenantId);
        }

        return activity;
    }

    /// <summary>Ends a span with the status it reached; an error status for a failure.</summary>
    internal static void Ended(this Activity? activity, string status, bool failed = false)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag(Status, status);
        if (failed)
        {
            activity.SetStatus(ActivityStatusCode.Error, status);
        }
    }

    /// <summary>A span that turned out to have nothing to show (an idle poll): not exported.</summary>
    internal static void Drop(this Activity? activity)
    {
        if (activity is not null)
        {
            activity.IsAllDataRequested = false;
            activity.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
        }
    }
}
