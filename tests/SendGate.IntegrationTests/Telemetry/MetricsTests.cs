using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SendGate.Core.Messages;
using SendGate.Core.Telemetry;
using SendGate.IntegrationTests.Infrastructure;
using SmtpServer.Protocol;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;

namespace SendGate.IntegrationTests.Telemetry;

[Collection(TelemetryCollection.Name)]
public sealed class MetricsTests : AppWithSmtpTest
{
    // The gauges are read when a test says so, not when it moves the clock past an interval.
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["SendGate:Telemetry:QueueSampleInterval"] = "01:00:00",
    };

    private async Task<PrometheusText> ScrapeAsync()
    {
        using var anonymous = App.CreateClient();
        using var response = await anonymous.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }

    private async Task<(string Id, string TenantId)> SubmitAsync(params (string, object?)[] fields)
    {
        var id = (await (await Client.PostAsJsonAsync("/v1/messages", Mail(fields))).JsonAsync()).Str("id");
        return (id, (await App.Service<MessageStore>().GetByIdAsync(id))!.TenantId);
    }

    [Fact]
    public async Task A_scrape_shows_outcomes_per_tenant_the_queue_gauges_and_the_delivery_latency()
    {
        var (_, tenant) = await SubmitAsync();
        App.Time.Advance(TimeSpan.FromSeconds(90));
        await App.Service<QueueGauges>().SampleAsync();

        var waiting = await ScrapeAsync();
        Assert.Equal(1, waiting.Value("sendgate_messages_total", ("tenant", tenant), ("outcome", "accepted")));
        Assert.Equal(1, waiting.Value("sendgate_queue_depth", ("queue", "messages"), ("state", "due")));
        Assert.Equal(90, waiting.Value("sendgate_queue_oldest_due_age_seconds", ("queue", "messages")));
        foreach (var queue in new[] { "messages", "password_mails", "notifications", "webhook_deliveries" })
        {
            Assert.Equal(4, waiting.Find("sendgate_queue_depth", ("queue", queue)).Count);
            Assert.Single(waiting.Find("sendgate_queue_oldest_due_age_seconds", ("queue", queue)));
        }

        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        await App.Service<QueueGauges>().SampleAsync();

        var delivered = await ScrapeAsync();
        Assert.Equal(1, delivered.Value("sendgate_messages_total", ("tenant", tenant), ("outcome", "accepted")));
        Assert.Equal(1, delivered.Value("sendgate_messages_total", ("tenant", tenant), ("outcome", "sent")));
        Assert.Equal(0, delivered.Value("sendgate_queue_depth", ("queue", "messages"), ("state", "due")));
        Assert.Equal(0, delivered.Value("sendgate_queue_oldest_due_age_seconds", ("queue", "messages")));
        Assert.Equal(1, delivered.Value("sendgate_delivery_latency_seconds_count"));
        Assert.Equal(90, delivered.Value("sendgate_delivery_latency_seconds_sum"));
        Assert.Equal(0, delivered.Value("sendgate_delivery_latency_seconds_bucket", ("le", "60")));
        Assert.Equal(1, delivered.Value("sendgate_delivery_latency_seconds_bucket", ("le", "120")));
        Assert.Equal(1, delivered.Value("sendgate_delivery_attempts_total", ("result", "sent")));
        Assert.Equal(1, delivered.Value("sendgate_relay_replies_total", ("command", "data"), ("class", "2xx")));
        Assert.Equal(1, delivered.Value("sendgate_policy_evaluation_duration_seconds_count"));
    }

    [Fact]
    public async Task Held_rejected_and_failed_mail_is_counted_under_its_outcome_with_the_relays_reply_class()
    {
        await Client.PutAsJsonAsync("/v1/policies", new
        {
            rules = new object[]
            {
                new { id = "no", name = "no", conditions = new { all = new[] { new { type = "subject", contains = new[] { "reject" } } } },
                      actions = new[] { new { type = "reject", reason = "no" } } },
                new { id = "wait", name = "wait", conditions = new { all = new[] { new { type = "subject", contains = new[] { "hold" } } } },
                      actions = new[] { new { type = "hold", duration = "PT1H" } } },
            },
        });
        var (_, tenant) = await SubmitAsync(("subject", "please hold"));
        await Client.PostAsJsonAsync("/v1/messages", Mail(("subject", "reject me")));
        Smtp.DataRule = _ => new SmtpResponse((SmtpReplyCode)554, "5.7.1 refused");
        await SubmitAsync(("subject", "refused by the relay"));
        Assert.Equal(1, (await App.DeliverDueAsync()).Failed);

        var metrics = await ScrapeAsync();
        Assert.Equal(1, metrics.Value("sendgate_messages_total", ("tenant", tenant), ("outcome", "held")));
        Assert.Equal(1, metrics.Value("sendgate_messages_total", ("tenant", tenant), ("outcome", "rejected")));
        Assert.Equal(1, metrics.Value("sendgate_messages_total", ("tenant", tenant), ("outcome", "accepted")));
        Assert.Equal(1, metrics.Value("sendgate_messages_total", ("tenant", tenant), ("outcome", "failed")));
        Assert.Empty(metrics.Find("sendgate_messages_total", ("tenant", tenant), ("outcome", "sent")));
        Assert.Equal(1, metrics.Value("sendgate_relay_replies_total", ("command", "data"), ("class", "5xx"), ("code", "554")));
        Assert.Equal(0, metrics.Find("sendgate_delivery_latency_seconds_count").Sum(s => s.Value));
    }

    [Fact]
    public async Task Metrics_limited_to_networks_refuse_other_clients_with_a_problem()
    {
        await using var app = new SendGateApp(settings: new Dictionary<string, string?>
        {
            ["SendGate:Telemetry:MetricsNetworks:0"] = "10.0.0.0/8",
            ["SendGate:Telemetry:MetricsNetworks:1"] = "2001:db8::1",
        }, services: services => services.AddSingleton<IStartupFilter, ClientAddressFromHeader>());
        using var client = app.CreateClient();

        foreach (var outsider in new[] { "203.0.113.7", "2001:db8::2", "::ffff:192.0.2.1" })
        {
            using var refused = new HttpRequestMessage(HttpMethod.Get, "/metrics") { Headers = { { ClientAddressFromHeader.Header, outsider } } };
            var problem = await (await client.SendAsync(refused)).ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
            Assert.Contains("SendGate:Telemetry:MetricsNetworks", problem.Str("detail"));
        }

        // No address at all (an in-process caller) is not inside any network either.
        await (await client.GetAsync("/metrics")).ProblemAsync(HttpStatusCode.Forbidden, "forbidden");

        foreach (var insider in new[] { "10.1.2.3", "::ffff:10.9.9.9", "2001:db8::1" })
        {
            using var allowed = new HttpRequestMessage(HttpMethod.Get, "/metrics") { Headers = { { ClientAddressFromHeader.Header, insider } } };
            using var response = await client.SendAsync(allowed);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("target_info", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public void The_Grafana_dashboard_queries_only_metrics_SendGate_exports()
    {
        // The instruments of this host's meter, named as the Prometheus exporter names them.
        var exported = new HashSet<string>(StringComparer.Ordinal);
        _ = App.Service<SendGateMetrics>(); // creates the meter's instruments
        using (var listener = new System.Diagnostics.Metrics.MeterListener())
        {
            listener.InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == SendGateMetrics.MeterName)
                {
                    var name = instrument.Name.Replace('.', '_') + (instrument.Unit == "s" ? "_seconds" : "");
                    exported.Add(instrument.GetType().Name.StartsWith("Counter", StringComparison.Ordinal) ? name + "_total" : name);
                }
            };
            listener.Start();
        }

        var dashboard = File.ReadAllText(Path.Combine(Contract.OpenApiContractTests.RepositoryRoot(), "deploy", "grafana", "sendgate-dashboard.json"));
        using var json = System.Text.Json.JsonDocument.Parse(dashboard);
        var queried = System.Text.RegularExpressions.Regex.Matches(dashboard, @"\bsendgate_[a-z_]+")
            .Select(m => System.Text.RegularExpressions.Regex.Replace(m.Value, "_(bucket|count|sum)$", "")).ToHashSet(StringComparer.Ordinal);

        Assert.Equal(11, exported.Count);
        Assert.Empty(queried.Except(exported));
        Assert.Empty(exported.Except(queried));
    }

    /// <summary>The in-process test server has no client address: this sets one per request, first in the pipeline.</summary>
    private sealed class ClientAddressFromHeader : IStartupFilter
    {
        public const string Header = "X-Test-Client-Address";

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (context.Request.Headers.TryGetValue(Header, out var address))
                {
                    context.Connection.RemoteIpAddress = IPAddress.Parse(address.ToString());
                }

                return nextMiddleware(context);
            });
            next(app);
        };
    }
}
