using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace SendGate.IntegrationTests.Infrastructure;

/// <summary>What became of one submitted MIME message.</summary>
public sealed record MimeOutcome(string Name, bool Delivered, int Status, string? ProblemType, string Detail)
{
    public override string ToString() => Delivered
        ? $"DELIVERED {Name}: {Detail}"
        : $"REFUSED {Name}: {Status} {ProblemType}: {Detail}";
}

/// <summary>
/// One host and relay for a whole set of MIME messages, each submitted as <c>message/rfc822</c>
/// and checked for the property every message must have: accepted (202), stored byte for byte and
/// delivered to the relay unchanged (<see cref="MimeFidelity"/>); or refused with a 4xx problem.
/// Never a 5xx, and never longer than <see cref="Bound"/> (a parser that loops fails the case
/// instead of hanging the run).
/// </summary>
public sealed class MimeRoundTripHost : IAsyncLifetime
{
    /// <summary>Generous for a loaded machine; a message takes well under a second.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private SmtpTestServer _smtp = null!;
    private SendGateApp _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _smtp = await SmtpTestServer.StartAsync();
        _app = new SendGateApp(_smtp);
        _client = _app.Admin();
        _client.Timeout = Bound;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
        await _smtp.DisposeAsync();
    }

    /// <summary>Submits <paramref name="raw"/>; asserts delivery unchanged after a 202, or a 4xx problem otherwise.</summary>
    public async Task<MimeOutcome> SubmitAsync(string name, byte[] raw)
    {
        try
        {
            return await RoundTripAsync(name, raw).WaitAsync(Bound);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{name}: no answer and delivery within {Bound.TotalSeconds} s.");
            throw;
        }
    }

    private async Task<MimeOutcome> RoundTripAsync(string name, byte[] raw)
    {
        var content = new ByteArrayContent(raw);
        content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
        var response = await _client.PostAsync("/v1/messages", content);

        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode is >= 400 and < 500, $"{name}: {(int)response.StatusCode} {text}");
            Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json",
                $"{name}: {(int)response.StatusCode} answered as {response.Content.Headers.ContentType}, not a problem: {text}");
            var problem = JsonDocument.Parse(text).RootElement;
            Assert.StartsWith(ProblemAssert.TypePrefix, problem.Str("type"));
            var detail = problem.GetProperty("detail").GetString();
            Assert.False(string.IsNullOrWhiteSpace(detail), $"{name}: a problem without detail: {text}");
            return new MimeOutcome(name, Delivered: false, (int)response.StatusCode, problem.Str("type"), detail!);
        }

        var id = (await response.JsonAsync()).Str("id");
        var stored = await _client.GetByteArrayAsync($"/v1/messages/{id}/mime");
        Assert.True(raw.AsSpan().SequenceEqual(stored), $"{name}: the stored original differs from the submitted bytes");
        var detailsResponse = await _client.GetAsync($"/v1/messages/{id}");
        Assert.Equal(HttpStatusCode.OK, detailsResponse.StatusCode);
        var details = await detailsResponse.JsonAsync();
        var received = await DeliverAsync(name);
        MimeFidelity.AssertDeliveredUnchanged(raw, received, details);
        return new MimeOutcome(name, Delivered: true, (int)response.StatusCode, null, details.Str("subject"));
    }

    /// <summary>Runs delivery once and returns the one message the relay received.</summary>
    public async Task<ReceivedMail> DeliverAsync(string name)
    {
        var before = _smtp.Received.Count;
        var run = await _app.DeliverDueAsync();
        Assert.True(run.Sent == 1, $"{name}: expected one message sent, got {run}");
        return Assert.Single(_smtp.Received.Skip(before));
    }

    public Task<HttpResponseMessage> PostMimeAsync(byte[] raw)
    {
        var content = new ByteArrayContent(raw);
        content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
        return _client.PostAsync("/v1/messages", content);
    }

    public async Task<JsonElement> DetailsAsync(string id)
    {
        var response = await _client.GetAsync($"/v1/messages/{id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.JsonAsync();
    }
}
