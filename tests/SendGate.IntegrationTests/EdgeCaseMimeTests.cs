using System.Text;
using MimeKit;
using MimeKit.Tnef;
using SendGate.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace SendGate.IntegrationTests;

/// <summary>
/// The repository's own edge-case MIME set (<see cref="EdgeCaseMime"/>) through intake and
/// delivery, on every machine: a valid message is accepted and delivered unchanged; a message that
/// cannot be sent is refused with a 4xx problem; a broken one may go either way, but never a 5xx,
/// a hang or a crash.
/// </summary>
public sealed class EdgeCaseMimeTests(MimeRoundTripHost host, ITestOutputHelper output) : IClassFixture<MimeRoundTripHost>
{
    public static TheoryData<string> Cases => [.. EdgeCaseMime.All.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Edge_case_is_delivered_unchanged_or_refused_with_a_4xx_problem(string name)
    {
        var edgeCase = EdgeCaseMime.Get(name);

        var outcome = await host.SubmitAsync(name, edgeCase.Raw);

        output.WriteLine(outcome.ToString());
        switch (edgeCase.Expectation)
        {
            case EdgeCaseExpectation.Accepted:
                Assert.True(outcome.Delivered, $"{name} is a valid message and must be accepted, but was refused: {outcome}");
                break;
            case EdgeCaseExpectation.Refused:
                Assert.False(outcome.Delivered, $"{name} cannot be sent and must be refused, but was accepted: {outcome}");
                break;
        }
    }

    [Fact]
    public void Edge_cases_have_the_structure_their_names_say()
    {
        Assert.Equal(EdgeCaseMime.All.Count, EdgeCaseMime.All.Select(c => c.Name).Distinct().Count());

        var depth = 0;
        for (var entity = Body("multipart nested 60 levels deep"); entity is Multipart multipart; entity = multipart[0])
        {
            depth++;
        }

        Assert.Equal(60, depth);
        Assert.Equal(500, Assert.IsType<Multipart>(Body("multipart with 500 sibling parts")).Count);
        Assert.Contains("\u001b$B"u8.ToArray(), Windows(EdgeCaseMime.Get("ISO-2022-JP body and encoded-word subject").Raw, 3));
        Assert.Contains((byte)0, EdgeCaseMime.Get("NUL in a header value").Raw);
        Assert.Contains("e\rafter", Encoding.Latin1.GetString(EdgeCaseMime.Get("bare CR in a header value").Raw), StringComparison.Ordinal);
        Assert.DoesNotContain((byte)'\r', EdgeCaseMime.Get("LF line endings throughout").Raw);
        Assert.Empty(EdgeCaseMime.Get("empty message").Raw);

        var attached = Assert.IsType<MessagePart>(Assert.IsType<Multipart>(Body("message/rfc822 nested three deep, Bcc inside"))[1]).Message!;
        Assert.Equal("secret-inside@example.com", Assert.Single(attached.Bcc.Mailboxes).Address);
        var second = Assert.IsType<MessagePart>(attached.Body).Message!;
        Assert.Equal("第三階層", Assert.IsType<MessagePart>(second.Body).Message!.Subject);

        Assert.IsType<TnefPart>(Assert.IsType<Multipart>(Body("application/ms-tnef winmail.dat"))[1]);
        var pdf = Assert.IsType<MimePart>(Assert.IsType<Multipart>(Body("RFC 2231 continued and encoded Japanese filename"))[0]);
        Assert.Equal("御見積書（改訂版）.pdf", pdf.FileName);
    }

    private static MimeEntity? Body(string name) => MimeFidelity.Parse(EdgeCaseMime.Get(name).Raw).Body;

    private static IEnumerable<byte[]> Windows(byte[] bytes, int size) =>
        Enumerable.Range(0, Math.Max(0, bytes.Length - size + 1)).Select(i => bytes[i..(i + size)]);
}
