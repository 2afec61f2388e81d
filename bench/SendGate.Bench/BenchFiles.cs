using System.Globalization;
using System.Text;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using A = DocumentFormat.OpenXml.Drawing;
using P = DocumentFormat.OpenXml.Presentation;
using W = DocumentFormat.OpenXml.Wordprocessing;
using X = DocumentFormat.OpenXml.Spreadsheet;

namespace SendGate.Bench;

/// <summary>
/// Real files from the evaluation set's "what the file says": .docx, .xlsx and .pptx (one slide,
/// a paragraph per line) written with the Open XML SDK, PDF as a minimal one-font document (Type0, Identity-H, a ToUnicode map) whose text
/// a PDF reader extracts as it would from an office suite's export; text files as UTF-8.
/// </summary>
internal static class BenchFiles
{
    public static byte[] For(string fileName, string text) => Path.GetExtension(fileName).ToLowerInvariant() switch
    {
        ".docx" => Docx(text),
        ".xlsx" => Xlsx(text),
        ".pptx" => Pptx(text),
        ".pdf" => Pdf(text),
        _ => Encoding.UTF8.GetBytes(text),
    };

    public static byte[] Docx(string text)
    {
        using var stream = new MemoryStream();
        using (var document = WordprocessingDocument.Create(stream, WordprocessingDocumentType.Document))
        {
            var main = document.AddMainDocumentPart();
            main.Document = new W.Document(new W.Body(text.Split('\n').Select(line => new W.Paragraph(new W.Run(new W.Text(line) { Space = SpaceProcessingModeValues.Preserve })))));
        }

        return stream.ToArray();
    }

    public static byte[] Xlsx(string text)
    {
        using var stream = new MemoryStream();
        using (var document = SpreadsheetDocument.Create(stream, SpreadsheetDocumentType.Workbook))
        {
            var workbook = document.AddWorkbookPart();
            workbook.Workbook = new X.Workbook();
            var sheet = workbook.AddNewPart<WorksheetPart>();
            sheet.Worksheet = new X.Worksheet(new X.SheetData(text.Split('\n').Select(line =>
                new X.Row(new X.Cell { DataType = X.CellValues.InlineString, InlineString = new X.InlineString(new X.Text(line)) }))));
            workbook.Workbook.AppendChild(new X.Sheets(new X.Sheet { Id = workbook.GetIdOfPart(sheet), SheetId = 1, Name = "Sheet1" }));
        }

        return stream.ToArray();
    }

    public static byte[] Pptx(string text)
    {
        using var stream = new MemoryStream();
        using (var document = PresentationDocument.Create(stream, PresentationDocumentType.Presentation))
        {
            var presentation = document.AddPresentationPart();
            presentation.Presentation = new P.Presentation();
            var slide = presentation.AddNewPart<SlidePart>();
            var body = new P.TextBody(new A.BodyProperties(), new A.ListStyle());
            body.Append(text.Split('\n').Select(line => new A.Paragraph(new A.Run(new A.Text(line)))));
            slide.Slide = new P.Slide(new P.CommonSlideData(new P.ShapeTree(
                new P.NonVisualGroupShapeProperties(new P.NonVisualDrawingProperties { Id = 1, Name = "" }, new P.NonVisualGroupShapeDrawingProperties(), new P.ApplicationNonVisualDrawingProperties()),
                new P.GroupShapeProperties(),
                new P.Shape(
                    new P.NonVisualShapeProperties(new P.NonVisualDrawingProperties { Id = 2, Name = "Text" }, new P.NonVisualShapeDrawingProperties(), new P.ApplicationNonVisualDrawingProperties()),
                    new P.ShapeProperties(),
                    body))));
            presentation.Presentation.SlideIdList = new P.SlideIdList(new P.SlideId { Id = 256, RelationshipId = presentation.GetIdOfPart(slide) });
        }

        return stream.ToArray();
    }

    public static byte[] Pdf(string text)
    {
        var content = new StringBuilder("BT /F1 10 Tf 40 800 Td 14 TL\n");
        foreach (var line in text.Split('\n'))
        {
            content.Append('<');
            foreach (var c in line)
            {
                content.Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }

            content.Append("> Tj T*\n");
        }

        content.Append("ET");
        var cmap = new StringBuilder("/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n1 begincodespacerange <0000> <FFFF> endcodespacerange\n");
        var ranges = Enumerable.Range(0, 256).Where(hi => hi is < 0xD8 or > 0xDF).ToList();
        foreach (var block in ranges.Chunk(100))
        {
            cmap.Append(block.Length.ToString(CultureInfo.InvariantCulture)).Append(" beginbfrange\n");
            foreach (var hi in block)
            {
                cmap.Append(CultureInfo.InvariantCulture, $"<{hi:X2}00> <{hi:X2}FF> <{hi:X2}00>\n");
            }

            cmap.Append("endbfrange\n");
        }

        cmap.Append("endcmap CMapName currentdict /CMap defineresource pop end end");
        string[] objects =
        [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
            Stream(content.ToString()),
            "<< /Type /Font /Subtype /Type0 /BaseFont /NotoSansCJKjp /Encoding /Identity-H /DescendantFonts [6 0 R] /ToUnicode 7 0 R >>",
            "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /NotoSansCJKjp /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 8 0 R /DW 1000 /CIDToGIDMap /Identity >>",
            Stream(cmap.ToString()),
            "<< /Type /FontDescriptor /FontName /NotoSansCJKjp /Flags 4 /FontBBox [0 -200 1000 900] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 700 /StemV 80 >>",
        ];
        var pdf = new StringBuilder("%PDF-1.7\n");
        var offsets = new List<int>();
        for (var i = 0; i < objects.Length; i++)
        {
            offsets.Add(Encoding.ASCII.GetByteCount(pdf.ToString()));
            pdf.Append(CultureInfo.InvariantCulture, $"{i + 1} 0 obj\n{objects[i]}\nendobj\n");
        }

        var xref = Encoding.ASCII.GetByteCount(pdf.ToString());
        pdf.Append(CultureInfo.InvariantCulture, $"xref\n0 {objects.Length + 1}\n0000000000 65535 f \n");
        foreach (var offset in offsets)
        {
            pdf.Append(CultureInfo.InvariantCulture, $"{offset:D10} 00000 n \n");
        }

        pdf.Append(CultureInfo.InvariantCulture, $"trailer\n<< /Size {objects.Length + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n");
        return Encoding.ASCII.GetBytes(pdf.ToString());
    }

    private static string Stream(string data) => $"<< /Length {Encoding.ASCII.GetByteCount(data)} >>\nstream\n{data}\nendstream";
}
