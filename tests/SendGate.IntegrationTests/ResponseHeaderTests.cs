using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;

namespace SendGate.IntegrationTests;

/// <summary>
/// Headers every answer carries, seen through a real Kestrel on 127.0.0.1 (the in-memory test
/// server never writes a Server header, so only Kestrel can show that it is gone).
/// </summary>
public sealed class ResponseHeaderTests : IAsyncLifetime
{
    private readonly SendGateApp _app = new();
    private HttpClient _client = null!;

    public Task InitializeAsync()
    {
        _app.UseKestrel(0);
        _app.StartServer();
        _client = _app.CreateClient();
        Assert.True(IPAddress.IsLoopback(Dns.GetHostAddresses(_client.BaseAddress!.Host)[0]), $"not on loopback: {_client.BaseAddress}");
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", SendGateApp.AdminKey);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task Api_answers_are_never_stored_nor_sniffed_and_the_server_does_not_name_itself()
    {
        var submitted = await _client.PostAsJsonAsync("/v1/messages", Mail());
        var id = (await submitted.JsonAsync()).Str("id");
        var createdKey = await _client.PostAsJsonAsync("/v1/api-keys", new { name = "headers", roles = new[] { "sender" } });
        using var anonymous = new HttpClient { BaseAddress = _client.BaseAddress };

        var answers = new[]
        {
            submitted,
            await _client.GetAsync($"/v1/messages/{id}"),
            await _client.GetAsync($"/v1/messages/{id}/mime"),
            createdKey,
            await _client.GetAsync("/v1/messages/msg_none"),
            await anonymous.GetAsync("/v1/messages"),
        };

        Assert.Equal([HttpStatusCode.Accepted, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.Created, HttpStatusCode.NotFound, HttpStatusCode.Unauthorized],
            answers.Select(a => a.StatusCode));
        Assert.All(answers, a =>
        {
            Assert.True(a.Headers.CacheControl?.NoStore, $"{a.RequestMessage!.RequestUri}: Cache-Control is '{a.Headers.CacheControl}'");
            Assert.Equal("nosniff", Assert.Single(a.Headers.GetValues("X-Content-Type-Options")));
            Assert.False(a.Headers.Contains("Server"), $"{a.RequestMessage!.RequestUri}: Server: {string.Join(",", a.Headers.Server)}");
        });
    }

    [Fact]
    public async Task Answers_outside_the_api_are_not_sniffed_either()
    {
        var answers = new[]
        {
            await _client.GetAsync("/health/live"),
            await _client.GetAsync("/openapi.yaml"),
            await _client.GetAsync("/approve/" + new string('x', 43)),
            await _client.GetAsync("/no/such/page"),
        };

        Assert.All(answers, a =>
        {
            Assert.Equal("nosniff", Assert.Single(a.Headers.GetValues("X-Content-Type-Options")));
            Assert.False(a.Headers.Contains("Server"));
        });
    }
}
