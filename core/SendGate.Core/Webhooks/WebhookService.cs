using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SendGate.Core.Data;
using SendGate.Core.Delivery;
using SendGate.Core.Encryption;
using SendGate.Core.Messages;
using SendGate.Core.Background;
using SendGate.Core.Telemetry;

namespace SendGate.Core.Webhooks;

/// <summary>
/// Turns message events into signed webhook deliveries. Events are the outbox: they are written
/// in the transaction of the change they describe, so fan-out can always find them again after a
/// crash (it re-reads a window of recent events and creates only the deliveries that do not exist
/// yet). Deliveries are claimed with leases and retried with backoff over about a day.
/// </summary>
public sealed class WebhookService(
    WebhookStore store,
    SecretVault vault,
    SsrfGuard guard,
    WorkerIdentity identity,
    TimeProvider time,
    IOptions<WebhookOptions> options,
    SendGateMetrics metrics,
    ILogger<WebhookService> logger) : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.Create(System.Text.Unicode.UnicodeRanges.All),
    };

    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        ConnectCallback = (context, ct) => guard.ConnectAsync(context.DnsEndPoint, ct),
        AllowAutoRedirect = false,
        // A proxy would make the connection checks apply to the proxy, not to the receiver.
        UseProxy = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
    })
    { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>Creates the deliveries of events not yet fanned out; returns how many.</summary>
    public async Task<int> FanOutAsync(CancellationToken cancellationToken = default)
    {
        var created = 0;
        var now = time.NowMs();
        foreach (var tenantId in await store.TenantsWithEndpointsAsync(cancellationToken))
        {
            var endpoints = (await store.EndpointsAsync(tenantId, cancellationToken)).Where(e => e.Enabled).ToList();
            if (endpoints.Count == 0)
            {
                continue;
            }

            // Again from a window before the last event seen: a transaction's events carry the time
            // it began, so one committing late may sort before events already fanned out.
            var cursor = await store.CursorAsync(tenantId, cancellationToken);
            var since = cursor is { } seen ? seen - (long)options.Value.FanOutWindow.TotalMilliseconds : endpoints.Min(e => e.DeliversFrom);
            var events = await store.EventsSinceAsync(tenantId, since, cancellationToken);
            var deliveries = new List<WebhookDeliveryRow>();
            foreach (var e in events)
            {
                foreach (var endpoint in endpoints.Where(x => e.At >= x.DeliversFrom && x.Wants(e.Type)))
                {
                    deliveries.Add(new WebhookDeliveryRow
                    {
                        Id = $"evt_{Guid.CreateVersion7():N}", EndpointId = endpoint.Id, TenantId = tenantId, MessageId = e.MessageId,
                        EventSeq = e.Seq, EventType = e.Type, Payload = Payload(e),
                    });
                }
            }

            var watermark = events.Count == 0 ? cursor ?? now : Math.Max(cursor ?? 0, events[^1].At);
            created += await store.FanOutAsync(tenantId, deliveries, watermark, cursor is not null, now);
        }

        return created;
    }

    /// <summary>The Standard Webhooks body: type, timestamp and a small data object (never a body or a password).</summary>
    private static string Payload(EventRow e) => JsonSerializer.Serialize(new
    {
        type = e.Type,
        timestamp = Rfc3339.Format(Clock.FromMs(e.At)),
        data = new
        {
            // Stable across endpoints and retries: the message and its event number.
            eventId = $"{e.MessageId}.{e.Seq}",
            messageId = e.MessageId,
            seq = e.Seq,
            fromStatus = e.FromStatus,
            toStatus = e.ToStatus,
            actor = e.Actor,
            reason = e.Reason,
            details = e.Data is null ? (JsonElement?)null : JsonDocument.Parse(e.Data).RootElement.Clone(),
        },
    }, Json);

    /// <summary>Forgets finished deliveries older than <see cref="WebhookOptions.DeliveryRetention"/>; returns how many.</summary>
    public async Task<int> PurgeFinishedAsync(CancellationToken cancellationToken = default)
    {
        var purged = await store.PurgeFinishedAsync((time.GetUtcNow() - options.Value.DeliveryRetention).ToUnixTimeMilliseconds(), cancellationToken);
        if (purged > 0)
        {
            Log.WebhookDeliveriesPurged(logger, purged, options.Value.DeliveryRetention);
        }

        return purged;
    }

    // Small batches: an endpoint's deliveries are sent one after another, each up to the timeout.
    private const int Batch = 10;

    /// <summary>Fans out, then sends everything due: endpoints side by side, each endpoint's deliveries in order.</summary>
    public async Task<int> DeliverDueAsync(CancellationToken cancellationToken = default)
    {
        await FanOutAsync(cancellationToken);
        var o = options.Value;
        var succeeded = 0;
        await Parallel.ForEachAsync(await store.DueEndpointsAsync(time.NowMs(), cancellationToken),
            new ParallelOptions { MaxDegreeOfParallelism = o.Parallelism, CancellationToken = cancellationToken },
            async (endpointId, ct) =>
            {
                while (!ct.IsCancellationRequested)
                {
                    await using var batch = await store.ClaimDueAsync(endpointId, identity.Name, o.LeaseDuration, o.Timeout, Batch, ct);
                    if (batch.Count == 0)
                    {
                        break;
                    }

                    while (!ct.IsCancellationRequested && batch.TryTake(out var delivery))
                    {
                        if (await SendAsync(delivery, ct))
                        {
                            Interlocked.Increment(ref succeeded);
                        }
                    }
                }
            });
        return succeeded;
    }

    private async Task<bool> SendAsync(WebhookDeliveryRow delivery, CancellationToken cancellationToken)
    {
        using var activity = SendGateTracing.StartForMessage("sendgate.webhook.deliver", delivery.MessageId, delivery.TenantId, ActivityKind.Client);
        activity?.SetTag("sendgate.webhook_id", delivery.EndpointId).SetTag("sendgate.event_type", delivery.EventType).SetTag(SendGateTracing.Attempt, delivery.Attempts);
        var endpoint = await store.EndpointAsync(delivery.TenantId, delivery.EndpointId, cancellationToken);
        var now = time.GetUtcNow();
        var timestamp = now.ToUnixTimeSeconds();
        var clock = Stopwatch.GetTimestamp();
        int? statusCode = null;
        string? error = null;
        if (endpoint is null || !endpoint.Enabled)
        {
            error = endpoint is null ? "endpoint deleted" : $"endpoint disabled: {endpoint.DisabledReason ?? "by an admin"}";
        }
        else if (guard.CheckUrl(endpoint.Url) is { } refused)
        {
            error = refused;
        }
        else
        {
            try
            {
                var secrets = (await store.ActiveSecretsAsync(endpoint.Id, now.ToUnixTimeMilliseconds(), cancellationToken))
                    .Select(s => vault.Unprotect(s.Ciphertext, s.Id, s.KeyId)).ToList();
                using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url)
                {
                    Content = new StringContent(delivery.Payload, Encoding.UTF8, "application/json"),
                };
                request.Headers.Add("webhook-id", delivery.Id);
                request.Headers.Add("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
                request.Headers.Add("webhook-signature", WebhookSigner.Sign(delivery.Id, timestamp, delivery.Payload, secrets));
                request.Headers.UserAgent.ParseAdd("SendGate-Webhooks/1.0");
                // On the injected clock like every other duration here, so the limit is the configured one
                // and tests drive it instead of racing a wall-clock timer on a loaded machine.
                using var limit = new CancellationTokenSource(options.Value.Timeout, time);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, limit.Token);
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                statusCode = (int)response.StatusCode;
                // Read a bounded amount: a receiver cannot make us buffer its whole answer.
                await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
                var buffer = new byte[Math.Max(1, options.Value.MaxResponseBytes)];
                _ = await body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, timeout.Token);
                if (!response.IsSuccessStatusCode)
                {
                    error = $"HTTP {statusCode}";
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                error = $"no answer within {options.Value.Timeout.TotalSeconds:0} s";
            }
            catch (HttpRequestException ex)
            {
                error = ex.Message;
            }
            catch (Exception ex) when (ex is IOException or System.Security.Cryptography.CryptographicException or InvalidOperationException)
            {
                // Recorded as a failed attempt like any other, so the delivery is retried and nothing stays claimed.
                error = $"{ex.GetType().Name}: {ex.Message}";
            }
        }

        var duration = (long)Stopwatch.GetElapsedTime(clock).TotalMilliseconds;
        var ms = time.NowMs();
        string to;
        long next = ms;
        if (error is null)
        {
            to = WorkQueue.Sent;
        }
        else if (endpoint is not null && options.Value.Retries().NextDue(delivery.Attempts, Clock.FromMs(ms)) is { } due)
        {
            to = WorkQueue.Queued;
            next = due.ToUnixTimeMilliseconds();
        }
        else
        {
            to = WorkQueue.Failed;
        }

        activity?.SetTag("http.response.status_code", statusCode);
        if (await store.FinishAsync(delivery, identity.Name, to, next, statusCode, error, duration, options.Value.DisableAfterFailures, ms))
        {
            if (error is not null)
            {
                metrics.WebhookFailed(givenUp: to == WorkQueue.Failed);
            }

            activity.Ended(to, failed: error is not null);
            Log.WebhookAttempt(logger, delivery.Id, delivery.EndpointId, delivery.EventType, to, statusCode ?? 0, delivery.Attempts);
        }

        return to == WorkQueue.Sent;
    }

    public void Dispose() => _http.Dispose();
}
