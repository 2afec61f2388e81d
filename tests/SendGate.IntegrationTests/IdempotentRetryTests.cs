using System.Net;
using System.Net.Http.Json;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;

namespace SendGate.IntegrationTests;

public sealed class IdempotentRetryTests
{
    [Fact]
    public async Task A_retry_after_its_sendAt_has_passed_still_gets_the_first_answer()
    {
        await using var app = new SendGateApp();
        using var client = app.Admin();
        var body = Mail(("sendAt", SendGateApp.Start.AddMinutes(10).ToString("O")));

        async Task<HttpResponseMessage> PostAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = JsonContent.Create(body) };
            request.Headers.Add("Idempotency-Key", "invoice-2026-0042");
            return await client.SendAsync(request);
        }

        var first = await PostAsync();
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var id = (await first.JsonAsync()).Str("id");

        // The client lost the answer and retries an hour later: re-validating would refuse sendAt.
        app.Time.Advance(TimeSpan.FromHours(1));
        var retry = await PostAsync();
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.Equal(id, (await retry.JsonAsync()).Str("id"));
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());

        var list = await (await client.GetAsync("/v1/messages")).JsonAsync();
        Assert.Single(list.GetProperty("items").EnumerateArray());
    }
}
