using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using SendGate.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace SendGate.IntegrationTests;

/// <summary>
/// Real-world MIME (MimeKit's own test messages) through intake and delivery: each message is
/// either accepted, stored and delivered unchanged, or refused with a 4xx problem; never a 5xx.
/// </summary>
public sealed class CorpusTests(CorpusTests.Host host, ITestOutputHelper output) : IClassFixture<CorpusTests.Host>
{
    public static TheoryData<string> Messages
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var entry in Corpus.Entries())
            {
                data.Add(entry);
            }

            return data;
        }
    }

    [CorpusTheory]
    [MemberData(nameof(Messages))]
    public async Task Corpus_message_is_delivered_unchanged_or_refused_with_a_4xx_problem(string entry)
    {
        Assert.True(entry != Corpus.MissingEntry && Corpus.MimeKitFolder is not null,
            $"CI=true, but the MIME corpus is not at {Corpus.ExpectedFolder}; CI must run the corpus tests.");
        var raw = Corpus.Load(entry);

        var response = await host.PostMimeAsync(raw);

        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode is >= 400 and < 500, $"{entry}: {(int)response.StatusCode} {text}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonDocument.Parse(text).RootElement;
            Assert.StartsWith(ProblemAssert.TypePrefix, problem.Str("type"));
            Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
            output.WriteLine($"REFUSED {entry}: {(int)response.StatusCode} {problem.Str("type")}: {problem.Str("detail")}");
            return;
        }

        var id = (await response.JsonAsync()).Str("id");
        Assert.Equal(raw, await host.OriginalAsync(id));
        var details = await host.DetailsAsync(id);
        var received = await host.DeliverAsync();
        MimeFidelity.AssertDeliveredUnchanged(raw, received, details);
        output.WriteLine($"DELIVERED {entry}: {details.Str("subject")}");
    }

    [Fact]
    public async Task Bcc_is_removed_and_missing_message_id_and_date_are_added_without_other_changes()
    {
        var raw = Encoding.UTF8.GetBytes("""
            From: "Sales" <sales@example.co.jp>
            To: customer@example.com
            Cc: boss@example.co.jp
            Bcc: archive@example.co.jp, audit@example.co.jp
            Subject: =?UTF-8?B?6KaL56mN5pu4?=
            X-Custom: kept   as   is
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="b1"

            --b1
            Content-Type: text/plain; charset=utf-8
            Content-Transfer-Encoding: 8bit

            見積書を添付します。
            --b1
            Content-Type: application/pdf; name="quote.pdf"
            Content-Disposition: attachment; filename="quote.pdf"
            Content-Transfer-Encoding: base64

            JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+PgplbmRvYmoK
            --b1--

            """.ReplaceLineEndings("\r\n"));

        var response = await host.PostMimeAsync(raw);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var details = await host.DetailsAsync((await response.JsonAsync()).Str("id"));
        var received = await host.DeliverAsync();
        MimeFidelity.AssertDeliveredUnchanged(raw, received, details);
        Assert.Equal(["archive@example.co.jp", "audit@example.co.jp", "boss@example.co.jp", "customer@example.com"], received.To.Order(StringComparer.Ordinal));
        Assert.DoesNotContain("archive@", Encoding.Latin1.GetString(received.Raw), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Mbox_is_split_on_from_lines_and_the_separators_are_dropped()
    {
        var mbox = "\uFEFFFrom - Mon Jan 1\nSubject: one\n\nbody\n\nFrom x@y Tue\nSubject: two\n\nbody two\n"u8.ToArray();

        var messages = Corpus.SplitMbox(mbox);

        Assert.Equal(["Subject: one\n\nbody\n\n", "Subject: two\n\nbody two\n"], messages.Select(m => Encoding.UTF8.GetString(m)));
    }

    /// <summary>One host and relay for the whole corpus; each test delivers only its own message.</summary>
    public sealed class Host : IAsyncLifetime
    {
        private SmtpTestServer _smtp = null!;
        private SendGateApp _app = null!;
        private HttpClient _client = null!;

        public async Task InitializeAsync()
        {
            _smtp = await SmtpTestServer.StartAsync();
            _app = new SendGateApp(_smtp);
            _client = _app.Admin();
        }

        public async Task DisposeAsync()
        {
            _client.Dispose();
            await _app.DisposeAsync();
            await _smtp.DisposeAsync();
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

        public async Task<byte[]> OriginalAsync(string id) => await _client.GetByteArrayAsync($"/v1/messages/{id}/mime");

        /// <summary>Runs delivery once and returns the one message the relay received.</summary>
        public async Task<ReceivedMail> DeliverAsync()
        {
            var before = _smtp.Received.Count;
            var run = await _app.DeliverDueAsync();
            Assert.True(run.Sent == 1, $"expected one message sent, got {run}");
            return Assert.Single(_smtp.Received.Skip(before));
        }
    }
}
