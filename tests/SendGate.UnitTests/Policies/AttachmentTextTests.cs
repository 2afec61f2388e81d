using System.IO.Compression;
using System.Text;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using SendGate.Core.Policies.Detectors;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;
using W = DocumentFormat.OpenXml.Wordprocessing;
using X = DocumentFormat.OpenXml.Spreadsheet;

namespace SendGate.UnitTests.Policies;

/// <summary>The text inside attachments, read from real files of each kind, and the bounds a hostile file meets.</summary>
public sealed class AttachmentTextTests
{
    static AttachmentTextTests() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    private static AttachmentTextResult Read(string name, byte[] bytes, string contentType = "application/octet-stream") =>
        AttachmentText.Read(name, contentType, () => new MemoryStream(bytes, writable: false));

    private static byte[] Docx(string body, string footer)
    {
        using var stream = new MemoryStream();
        using (var document = WordprocessingDocument.Create(stream, WordprocessingDocumentType.Document))
        {
            var main = document.AddMainDocumentPart();
            main.Document = new W.Document(new W.Body(new W.Paragraph(new W.Run(new W.Text(body)))));
            var part = main.AddNewPart<FooterPart>();
            part.Footer = new W.Footer(new W.Paragraph(new W.Run(new W.Text(footer))));
        }

        return stream.ToArray();
    }

    private static byte[] Xlsx(params string[] cells)
    {
        using var stream = new MemoryStream();
        using (var document = SpreadsheetDocument.Create(stream, SpreadsheetDocumentType.Workbook))
        {
            var workbook = document.AddWorkbookPart();
            workbook.Workbook = new X.Workbook();
            var sheet = workbook.AddNewPart<WorksheetPart>();
            sheet.Worksheet = new X.Worksheet(new X.SheetData(cells.Select(c => new X.Row(new X.Cell { DataType = X.CellValues.InlineString, InlineString = new X.InlineString(new X.Text(c)) }))));
            workbook.Workbook.AppendChild(new X.Sheets(new X.Sheet { Id = workbook.GetIdOfPart(sheet), SheetId = 1, Name = "Sheet1" }));
        }

        return stream.ToArray();
    }

    [Fact]
    public void A_pdf_keeps_its_lines_so_an_address_block_stays_one_line_per_addressee()
    {
        var builder = new PdfDocumentBuilder();
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        var page = builder.AddPage(UglyToad.PdfPig.Content.PageSize.A4);
        page.AddText("QUOTATION", 12, new UglyToad.PdfPig.Core.PdfPoint(40, 780), font);
        page.AddText("To: Client Inc.", 12, new UglyToad.PdfPig.Core.PdfPoint(40, 760), font);
        page.AddText("From: Mirai Systems Inc.", 12, new UglyToad.PdfPig.Core.PdfPoint(40, 740), font);
        var text = Read("quote.pdf", builder.Build()).Text;
        Assert.Contains("To: Client Inc.\n", text.ReplaceLineEndings("\n"));
        Assert.DoesNotContain("Client Inc.From", text);
    }

    private static byte[] Pdf(params string[] pages)
    {
        var builder = new PdfDocumentBuilder();
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        foreach (var text in pages)
        {
            builder.AddPage(UglyToad.PdfPig.Content.PageSize.A4).AddText(text, 12, new UglyToad.PdfPig.Core.PdfPoint(40, 780), font);
        }

        return builder.Build();
    }

    private static byte[] Zip(params (string Name, byte[] Content)[] entries)
    {
        using var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                using var entry = zip.CreateEntry(name).Open();
                entry.Write(content);
            }
        }

        return stream.ToArray();
    }

    [Fact]
    public void Office_files_give_their_text_footers_and_cells_included()
    {
        var word = Read("提案書.docx", Docx("クライアント様向け提案書", "社外秘"));
        Assert.Contains("クライアント様向け提案書", word.Text);
        Assert.Contains("社外秘", word.Text);
        Assert.Null(word.Limit);
        Assert.Contains("4111 1111 1111 1111", Read("一覧.xlsx", Xlsx("氏名", "カード番号", "4111 1111 1111 1111")).Text);
    }

    [Fact]
    public void A_pdf_gives_the_text_of_its_first_pages_and_says_when_it_stopped()
    {
        var pdf = Read("quote.pdf", Pdf("CONFIDENTIAL quotation", "page two"));
        Assert.Contains("CONFIDENTIAL quotation", pdf.Text);
        Assert.Contains("page two", pdf.Text);
        var pages = Enumerable.Range(1, AttachmentText.MaxPdfPages + 3).Select(i => $"page {i}").ToArray();
        var many = Read("long.pdf", Pdf(pages));
        Assert.Contains($"page {AttachmentText.MaxPdfPages}", many.Text);
        Assert.DoesNotContain($"page {AttachmentText.MaxPdfPages + 1}", many.Text);
        Assert.Equal($"read the first {AttachmentText.MaxPdfPages} of {pages.Length} pages", many.Limit);
    }

    [Fact]
    public void Text_files_are_utf8_or_shift_jis_and_a_mail_gives_its_subject_and_body()
    {
        Assert.Equal("見積金額 1,234,000円", Read("a.txt", Encoding.UTF8.GetBytes("見積金額 1,234,000円")).Text);
        Assert.Equal("社外秘の名簿", Read("a.csv", Encoding.GetEncoding(932).GetBytes("社外秘の名簿")).Text);
        var mail = Read("fw.eml", Encoding.UTF8.GetBytes("From: a@example.co.jp\r\nSubject: =?UTF-8?B?56S+5aSW56eY?=\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n本文です\r\n"));
        Assert.Contains("社外秘", mail.Text);
        Assert.Contains("本文です", mail.Text);
    }

    [Fact]
    public void A_zip_without_a_password_is_read_one_level_deep()
    {
        var inner = Zip(("deeper.txt", Encoding.UTF8.GetBytes("not read")));
        var zip = Read("files.zip", Zip(("一覧.txt", Encoding.UTF8.GetBytes("4111-1111-1111-1111")), ("提案書.docx", Docx("本文", "Internal use only")), ("more.zip", inner)));
        Assert.Contains("4111-1111-1111-1111", zip.Text);
        Assert.Contains("Internal use only", zip.Text);
        Assert.DoesNotContain("not read", zip.Text);
        Assert.Contains("more.zip: a zip inside a zip is not opened", zip.Limit);
    }

    [Fact]
    public void A_zip_bomb_is_refused_from_its_directory_and_a_damaged_or_huge_file_is_said_not_read()
    {
        var bomb = Read("bomb.zip", Zip(("zeros.txt", new byte[AttachmentText.MaxInflatedBytes + 1])));
        Assert.Equal("", bomb.Text);
        Assert.Equal($"not read: its parts inflate to more than {AttachmentText.MaxInflatedBytes / (1024 * 1024)} MB", bomb.Limit);

        var broken = Read("broken.pdf", Encoding.ASCII.GetBytes("%PDF-1.7 not really"));
        Assert.Equal("", broken.Text);
        Assert.StartsWith("not read: ", broken.Limit);

        var huge = new byte[AttachmentText.MaxBytes + 10];
        Assert.Equal($"not read: larger than {AttachmentText.MaxBytes / (1024 * 1024)} MB", Read("huge.pdf", huge).Limit);
        var text = Read("huge.txt", Enumerable.Repeat((byte)'a', (int)AttachmentText.MaxBytes + 10).ToArray());
        Assert.Equal(AttachmentText.MaxChars, text.Text.Length);
        Assert.NotNull(text.Limit);
    }
}
