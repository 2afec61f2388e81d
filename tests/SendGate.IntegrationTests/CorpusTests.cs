using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using SendGate.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace SendGate.IntegrationTests;

/// <summary>
/// Real-world MIME (MimeKit's own test messages, found through SENDGATE_TEST_MIME_CORPUS) through
/// intake and delivery: each message is either accepted, stored and delivered unchanged, or refused
/// with a 4xx problem; never a 5xx. The repository's own edge cases are in <see cref="EdgeCaseMimeTests"/>.
/// </summary>
public sealed class CorpusTests(MimeRoundTripHost host, ITestOutputHelper output) : IClassFixture<MimeRoundTripHost>
{
    public static TheoryData<string> Messages => [.. Corpus.Entries(Corpus.Folder)];

    [CorpusTheory]
    [MemberData(nameof(Messages))]
    public async Task Corpus_message_is_delivered_unchanged_or_refused_with_a_4xx_problem(string entry)
    {
        // Only reached with the variable set: a corpus named but not there must not pass as an empty run.
        Assert.True(Corpus.Problem(Corpus.Folder) is null, Corpus.Problem(Corpus.Folder));

        var outcome = await host.SubmitAsync(entry, Corpus.Load(entry));

        output.WriteLine(outcome.ToString());
    }

    [Fact]
    public void Corpus_is_skipped_without_the_variable_and_fails_when_the_named_folder_is_missing_or_empty()
    {
        var folder = Path.Combine(Path.GetTempPath(), "sendgate-tests", "corpus-" + Guid.NewGuid().ToString("N"));
        try
        {
            Assert.Contains(Corpus.Variable, Corpus.SkipReason(null));
            Assert.Null(Corpus.Problem(null));

            Assert.Null(Corpus.SkipReason(folder));
            Assert.Contains("no such folder", Corpus.Problem(folder));
            Assert.Equal([Corpus.MissingEntry], Corpus.Entries(folder));

            Directory.CreateDirectory(Path.Combine(folder, "messages"));
            Assert.Contains("holds no message", Corpus.Problem(folder));
            Assert.Equal([Corpus.MissingEntry], Corpus.Entries(folder));

            File.WriteAllText(Path.Combine(folder, "messages", "one.eml"), "From: a@example.com\r\nTo: b@example.com\r\n\r\nbody\r\n");
            Directory.CreateDirectory(Path.Combine(folder, "mbox"));
            File.WriteAllText(Path.Combine(folder, "mbox", "two.mbox.txt"), "From x\nSubject: 1\n\none\nFrom y\nSubject: 2\n\ntwo\n");
            Assert.Null(Corpus.Problem(folder));
            Assert.Equal(["messages/one.eml", "mbox/two.mbox.txt#1", "mbox/two.mbox.txt#2"], Corpus.Entries(folder));
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
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
        var received = await host.DeliverAsync("Bcc message");
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
}
