using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using DocumentFormat.OpenXml.Packaging;
using MimeKit;
using UglyToad.PdfPig;
using UglyToad.PdfPig.DocumentLayoutAnalysis.TextExtractor;

namespace SendGate.Core.Policies.Detectors;

/// <summary>The text an attachment holds, and, when reading stopped short of all of it, why (for the evidence).</summary>
public sealed record AttachmentTextResult(string Text, string? Limit)
{
    public static readonly AttachmentTextResult None = new("", null);
}

/// <summary>
/// Reads the text inside an attachment for the detectors — .txt/.csv (UTF-8 or Shift_JIS), .eml,
/// .docx (body, headers and footers), .xlsx (cell text), .pptx (slide text), PDF (the first pages)
/// and a zip without a password one level deep — within bounds a hostile file cannot stretch:
/// bytes read, characters kept, pages, zip entries and their declared sizes (a zip bomb is refused
/// from its directory, before anything is inflated), and time. What was not read is said in
/// <see cref="AttachmentTextResult.Limit"/>, never silently.
/// </summary>
public static class AttachmentText
{
    /// <summary>Bytes of one attachment (or zip entry) that are read at all.</summary>
    public const long MaxBytes = 10 * 1024 * 1024;

    /// <summary>Characters of text kept per attachment.</summary>
    public const int MaxChars = 200_000;

    public const int MaxPdfPages = 10;

    public const int MaxZipEntries = 20;

    /// <summary>The inflated size an Office file or zip may declare in all: more is a bomb, not a document.</summary>
    public const long MaxInflatedBytes = 50 * 1024 * 1024;

    public static readonly TimeSpan MaxTime = TimeSpan.FromSeconds(2);

    public static AttachmentTextResult Read(string fileName, string contentType, Func<Stream> open)
    {
        try
        {
            return ReadAny(fileName, contentType.ToLowerInvariant(), open, depth: 0, Stopwatch.StartNew());
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A damaged or unusual file is not a reason to fail the decision: the evidence says it was not read.
            return new AttachmentTextResult("", $"not read: {ex.GetType().Name}");
        }
    }

    private static AttachmentTextResult ReadAny(string fileName, string contentType, Func<Stream> open, int depth, Stopwatch clock)
    {
        var extension = Path.GetExtension(fileName).TrimStart('.').ToLowerInvariant();
        switch (extension)
        {
            case "txt" or "csv" or "tsv" or "log" or "md" or "json" or "xml" or "html" or "htm":
                return PlainText(open);
            case "eml":
                return Mail(open);
            case "docx" or "docm":
                return Office(open, stream => Word(stream), clock);
            case "xlsx" or "xlsm":
                return Office(open, stream => Sheets(stream, clock), clock);
            case "pptx" or "pptm":
                return Office(open, stream => Slides(stream), clock);
            case "pdf":
                return Pdf(open, clock);
            case "zip":
                return depth == 0 ? Zip(open, clock) : new AttachmentTextResult("", "a zip inside a zip is not opened");
        }

        return contentType switch
        {
            _ when contentType.StartsWith("text/", StringComparison.Ordinal) => PlainText(open),
            "message/rfc822" => Mail(open),
            "application/pdf" => Pdf(open, clock),
            "application/zip" or "application/x-zip-compressed" when depth == 0 => Zip(open, clock),
            _ => AttachmentTextResult.None,
        };
    }

    /// <summary>UTF-8 when the bytes are valid UTF-8, otherwise Shift_JIS (CP932), the other encoding Japanese files come in.</summary>
    private static AttachmentTextResult PlainText(Func<Stream> open)
    {
        var (bytes, truncated) = ReadBounded(open);
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            text = Encoding.GetEncoding(932).GetString(bytes);
        }

        return Bounded(text.TrimStart('\uFEFF'), truncated ? $"read the first {MaxBytes / (1024 * 1024)} MB" : null);
    }

    private static AttachmentTextResult Mail(Func<Stream> open)
    {
        var (bytes, truncated) = ReadBounded(open);
        using var stream = new MemoryStream(bytes, writable: false);
        var message = MimeMessage.Load(stream);
        return Bounded($"{message.Subject}\n{MessageFacts.BodyTextOf(message)}", truncated ? $"read the first {MaxBytes / (1024 * 1024)} MB" : null);
    }

    /// <summary>An Office file is a zip: its directory is checked for a bomb before the package is opened.</summary>
    private static AttachmentTextResult Office(Func<Stream> open, Func<Stream, (string Text, string? Limit)> read, Stopwatch clock)
    {
        var (bytes, truncated) = ReadBounded(open);
        if (truncated)
        {
            return new AttachmentTextResult("", $"not read: larger than {MaxBytes / (1024 * 1024)} MB");
        }

        if (!IsZip(bytes))
        {
            return new AttachmentTextResult("", "not read: not an Office file");
        }

        using var stream = new MemoryStream(bytes, writable: false);
        if (Inflated(stream) is { } refused)
        {
            return new AttachmentTextResult("", refused);
        }

        stream.Position = 0;
        var (text, limit) = read(stream);
        return Bounded(text, limit ?? (clock.Elapsed > MaxTime ? "stopped after the time limit" : null));
    }

    private static (string, string?) Word(Stream stream)
    {
        using var document = WordprocessingDocument.Open(stream, false);
        var main = document.MainDocumentPart;
        var text = new StringBuilder();
        foreach (var part in new OpenXmlPart?[] { main }.Concat(main?.HeaderParts ?? []).Concat(main?.FooterParts ?? []))
        {
            foreach (var paragraph in part?.RootElement?.Descendants<DocumentFormat.OpenXml.Wordprocessing.Paragraph>() ?? [])
            {
                text.Append(paragraph.InnerText).Append('\n');
                if (text.Length > MaxChars)
                {
                    return (text.ToString(), null);
                }
            }
        }

        return (text.ToString(), null);
    }

    private static (string, string?) Sheets(Stream stream, Stopwatch clock)
    {
        using var document = SpreadsheetDocument.Open(stream, false);
        var workbook = document.WorkbookPart;
        var shared = workbook?.SharedStringTablePart?.SharedStringTable?.Elements<DocumentFormat.OpenXml.Spreadsheet.SharedStringItem>()
            .Select(i => i.InnerText).ToList() ?? [];
        var text = new StringBuilder();
        foreach (var sheet in workbook?.WorksheetParts ?? [])
        {
            foreach (var row in sheet.Worksheet.Descendants<DocumentFormat.OpenXml.Spreadsheet.Row>())
            {
                foreach (var cell in row.Elements<DocumentFormat.OpenXml.Spreadsheet.Cell>())
                {
                    var value = cell.DataType?.Value == DocumentFormat.OpenXml.Spreadsheet.CellValues.SharedString
                        && int.TryParse(cell.CellValue?.Text, out var index) && index >= 0 && index < shared.Count
                            ? shared[index]
                            : cell.InnerText;
                    text.Append(value).Append('\t');
                }

                text.Append('\n');
                if (text.Length > MaxChars || clock.Elapsed > MaxTime)
                {
                    return (text.ToString(), text.Length > MaxChars ? null : "stopped after the time limit");
                }
            }
        }

        return (text.ToString(), null);
    }

    private static (string, string?) Slides(Stream stream)
    {
        using var document = PresentationDocument.Open(stream, false);
        var text = new StringBuilder();
        foreach (var slide in document.PresentationPart?.SlideParts ?? [])
        {
            // A paragraph per line, as on the slide: a "CONFIDENTIAL" banner stays a sentence of its own.
            foreach (var paragraph in slide.Slide.Descendants<DocumentFormat.OpenXml.Drawing.Paragraph>())
            {
                foreach (var run in paragraph.Descendants<DocumentFormat.OpenXml.Drawing.Text>())
                {
                    text.Append(run.Text);
                }

                text.Append('\n');
            }
            if (text.Length > MaxChars)
            {
                break;
            }
        }

        return (text.ToString(), null);
    }

    private static AttachmentTextResult Pdf(Func<Stream> open, Stopwatch clock)
    {
        var (bytes, truncated) = ReadBounded(open);
        if (truncated)
        {
            // A PDF's cross-reference table is at its end: a prefix cannot be read.
            return new AttachmentTextResult("", $"not read: larger than {MaxBytes / (1024 * 1024)} MB");
        }

        // A PDF says so in its first kilobyte; anything else named .pdf is not worth a parser's search.
        if (bytes.AsSpan(0, Math.Min(bytes.Length, 1024)).IndexOf("%PDF-"u8) < 0)
        {
            return new AttachmentTextResult("", "not read: not a PDF");
        }

        using var document = PdfDocument.Open(bytes);
        var text = new StringBuilder();
        var pages = Math.Min(document.NumberOfPages, MaxPdfPages);
        for (var i = 1; i <= pages; i++)
        {
            // In content order with its line breaks: page.Text runs every line together, and the 御中 line of an address block must stay a line.
            text.Append(ContentOrderTextExtractor.GetText(document.GetPage(i))).Append('\n');
            if (text.Length > MaxChars || clock.Elapsed > MaxTime)
            {
                return Bounded(text.ToString(), $"read the first {i} of {document.NumberOfPages} pages");
            }
        }

        return Bounded(text.ToString(), document.NumberOfPages > MaxPdfPages ? $"read the first {MaxPdfPages} of {document.NumberOfPages} pages" : null);
    }

    /// <summary>The entries of a zip without a password, each read as an attachment of its own (not a zip inside it).</summary>
    private static AttachmentTextResult Zip(Func<Stream> open, Stopwatch clock)
    {
        var (bytes, truncated) = ReadBounded(open);
        if (truncated)
        {
            return new AttachmentTextResult("", $"not read: larger than {MaxBytes / (1024 * 1024)} MB");
        }

        if (!IsZip(bytes))
        {
            return new AttachmentTextResult("", "not read: not a zip");
        }

        using var stream = new MemoryStream(bytes, writable: false);
        if (Inflated(stream) is { } refused)
        {
            return new AttachmentTextResult("", refused);
        }

        stream.Position = 0;
        using var zip = new ICSharpCode.SharpZipLib.Zip.ZipFile(stream) { IsStreamOwner = false };
        var text = new StringBuilder();
        var limits = new List<string>();
        var count = 0;
        foreach (ICSharpCode.SharpZipLib.Zip.ZipEntry entry in zip)
        {
            if (!entry.IsFile)
            {
                continue;
            }

            if (entry.IsCrypted)
            {
                return new AttachmentTextResult("", "an encrypted zip is not opened");
            }

            if (++count > MaxZipEntries || clock.Elapsed > MaxTime)
            {
                limits.Add($"read the first {MaxZipEntries} entries");
                break;
            }

            var inner = ReadAny(entry.Name, "", () => zip.GetInputStream(entry), depth: 1, clock);
            text.Append(entry.Name).Append('\n').Append(inner.Text).Append('\n');
            if (inner.Limit is { } limit)
            {
                limits.Add($"{entry.Name}: {limit}");
            }
        }

        return Bounded(text.ToString(), limits.Count == 0 ? null : string.Join("; ", limits));
    }

    /// <summary>A refusal when the zip's directory declares more than <see cref="MaxInflatedBytes"/> in all; null when it may be opened.</summary>
    private static string? Inflated(Stream stream)
    {
        using var archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        long total = 0;
        foreach (var entry in archive.Entries)
        {
            total += entry.Length;
            if (total > MaxInflatedBytes || archive.Entries.Count > 10_000)
            {
                return $"not read: its parts inflate to more than {MaxInflatedBytes / (1024 * 1024)} MB";
            }
        }

        return null;
    }

    private static bool IsZip(byte[] bytes) => bytes.AsSpan().StartsWith("PK\x03\x04"u8);

    private static (byte[] Bytes, bool Truncated) ReadBounded(Func<Stream> open)
    {
        using var source = open();
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = source.Read(chunk, 0, (int)Math.Min(chunk.Length, MaxBytes + 1 - buffer.Length))) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBytes)
            {
                buffer.SetLength(MaxBytes);
                return (buffer.ToArray(), true);
            }
        }

        return (buffer.ToArray(), false);
    }

    private static AttachmentTextResult Bounded(string text, string? limit) =>
        text.Length > MaxChars ? new AttachmentTextResult(text[..MaxChars], limit ?? $"read the first {MaxChars:N0} characters") : new AttachmentTextResult(text, limit);
}
