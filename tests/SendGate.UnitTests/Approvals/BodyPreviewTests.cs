using MimeKit;
using SendGate.Core.Approvals;

namespace SendGate.UnitTests.Approvals;

public sealed class BodyPreviewTests
{
    private static MimeMessage With(string? text, string? html)
    {
        var body = new BodyBuilder { TextBody = text, HtmlBody = html };
        return new MimeMessage { Body = body.ToMessageBody() };
    }

    [Fact]
    public void The_text_part_with_LF_line_breaks_trimmed() =>
        Assert.Equal("鈴木様\n\nお世話になっております。", BodyPreview.Of(With("\r\n鈴木様\r\n\r\nお世話になっております。\r\n", "<p>ignored</p>"), 100));

    [Fact]
    public void Without_a_text_part_the_HTML_as_text_without_scripts() =>
        Assert.Equal("見積\n金額", BodyPreview.Of(With(null, "<div>見積</div><script>x()</script>金額"), 100)!.Replace("\n\n", "\n", StringComparison.Ordinal));

    [Fact]
    public void A_long_body_is_cut_with_an_ellipsis_never_inside_a_surrogate_pair()
    {
        Assert.Equal("abcd…", BodyPreview.Of(With("abcdefgh", null), 4));
        // A cut at 2 would split the pair at 1–2: it moves before the pair.
        Assert.Equal("a…", BodyPreview.Of(With("a😀bc", null), 2));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData(" \r\n ", null)]
    public void No_text_is_no_preview(string? text, string? html) => Assert.Null(BodyPreview.Of(With(text, html), 100));
}
