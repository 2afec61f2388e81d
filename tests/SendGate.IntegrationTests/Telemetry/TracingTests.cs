using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using SendGate.Core.Telemetry;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;

namespace SendGate.IntegrationTests.Telemetry;

/// <summary>
/// The spans as a tracing backend would get them, read with an <see cref="ActivityListener"/> (the
/// process's other hosts make spans too: each test keeps those of its own trace or message).
/// </summary>
public sealed class TracingTests : AppWithSmtpTest, IDisposable
{
    private const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    private const string CallerSpanId = "00f067aa0ba902b7";

    private readonly ConcurrentQueue<Activity> _started = new();
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener;

    public TracingTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is SendGateTracing.SourceName or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = _started.Enqueue,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose() => _listener.Dispose();

    private static string? Tag(Activity activity, string name) => activity.GetTagItem(name)?.ToString();

    [Fact]
    public async Task A_traceparent_is_continued_through_the_submission_its_policy_and_its_storage()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = JsonContent.Create(Mail()) };
        request.Headers.Add("traceparent", $"00-{TraceId}-{CallerSpanId}-01");
        var id = (await (await Client.SendAsync(request)).JsonAsync()).Str("id");

        var server = Assert.Single(_started, a => a.Source.Name == "Microsoft.AspNetCore" && a.TraceId.ToHexString() == TraceId);
        Assert.Equal(CallerSpanId, server.ParentSpanId.ToHexString());
        var ours = _stopped.Where(a => a.Source.Name == SendGateTracing.SourceName && a.TraceId.ToHexString() == TraceId).ToList();
        var submit = Assert.Single(ours, a => a.OperationName == "sendgate.submit");
        Assert.Equal(server.SpanId, submit.ParentSpanId);
        Assert.Equal(id, Tag(submit, SendGateTracing.MessageId));
        Assert.Equal("queued", Tag(submit, SendGateTracing.Status));
        var policy = Assert.Single(ours, a => a.OperationName == "sendgate.policy.evaluate");
        var store = Assert.Single(ours, a => a.OperationName == "sendgate.store");
        Assert.All([policy, store], a => Assert.Equal(submit.SpanId, a.ParentSpanId));
        Assert.Equal(id, Tag(store, SendGateTracing.MessageId));
    }

    [Fact]
    public async Task The_workers_claim_and_delivery_are_spans_tied_to_the_submission_by_the_message_id()
    {
        var id = (await (await Client.PostAsJsonAsync("/v1/messages", Mail())).JsonAsync()).Str("id");
        var submission = Assert.Single(_stopped, a => a.OperationName == "sendgate.submit" && Tag(a, SendGateTracing.MessageId) == id);

        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);

        var send = Assert.Single(_stopped, a => a.OperationName == "sendgate.delivery.send" && Tag(a, SendGateTracing.MessageId) == id);
        Assert.Equal(ActivityKind.Client, send.Kind);
        Assert.Equal("sent", Tag(send, SendGateTracing.Status));
        Assert.Equal("1", Tag(send, SendGateTracing.Attempt));
        var claim = Assert.Single(_stopped, a => a.OperationName == "sendgate.delivery.claim" && a.SpanId == send.ParentSpanId);
        Assert.Equal("1", Tag(claim, "sendgate.claimed"));
        // A trace of its own (the worker's), found from the submission by the message id.
        Assert.NotEqual(submission.TraceId, send.TraceId);
        Assert.Equal(Tag(submission, SendGateTracing.TenantId), Tag(send, SendGateTracing.TenantId));

        // An idle poll's claim is dropped: only claims that took something are recorded.
        var dropped = _stopped.Count(a => a.OperationName == "sendgate.delivery.claim" && !a.Recorded);
        Assert.Equal(0, (await App.DeliverDueAsync()).Claimed);
        Assert.True(_stopped.Count(a => a.OperationName == "sendgate.delivery.claim" && !a.Recorded) > dropped);
        Assert.All(_stopped.Where(a => a.OperationName == "sendgate.delivery.claim" && a.Recorded), a => Assert.NotNull(a.GetTagItem("sendgate.claimed")));
    }
}
