using MimeKit;
using MimeKit.Text;
using SendGate.Core.Mime;
using SendGate.Core.Policies.Detectors;

namespace SendGate.Core.Policies;

public sealed record RecipientFact(string Address, string Domain, string Kind, string? DisplayName);

/// <summary>
/// What the rules look at, read once from the parsed message. Expensive facts (body text, its
/// normalised form, decoded attachment sizes) are computed on first use, so a policy that never
/// asks for them never pays for them.
/// </summary>
public sealed class MessageFacts
{
    private readonly MimeMessage _mime;
    private string? _bodyText;
    private string? _normalizedBody;
    private string? _normalizedSubject;
    private MailText? _text;
    private IReadOnlyList<AddressedCompany>? _companies;
    private IReadOnlyList<(AddressedCompany Company, string Where, bool Issued)>? _documentCompanies;
    private IReadOnlyList<(string Name, string Key, string Where)>? _englishCompanies;
    private IReadOnlyList<(string FileName, IReadOnlyList<string> Companies)>? _documentMentions;
    private IReadOnlyList<(string FileName, IReadOnlyList<string> Companies, IReadOnlyList<string> EnglishKeys)>? _documentListings;

    public MessageFacts(PreparedMessage message)
    {
        _mime = message.Mime;
        Sender = message.EnvelopeFrom.ToLowerInvariant();
        SenderDomain = DomainOf(Sender);
        Subject = message.Subject;
        var names = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var mailbox in _mime.To.Mailboxes.Concat(_mime.Cc.Mailboxes).Concat(_mime.Bcc.Mailboxes))
        {
            if (!string.IsNullOrWhiteSpace(mailbox.Name))
            {
                names.TryAdd(mailbox.Address, mailbox.Name);
            }
        }

        Recipients = message.Recipients
            .Select(r => new RecipientFact(r.Address.ToLowerInvariant(), DomainOf(r.Address), r.Kind, names.GetValueOrDefault(r.Address)))
            .ToList();
        Attachments = _mime.Attachments.OfType<MimePart>().Select(p => new AttachmentFact(p)).ToList();
    }

    public string Sender { get; }
    public string SenderDomain { get; }
    public IReadOnlyList<RecipientFact> Recipients { get; }
    public string Subject { get; }
    public IReadOnlyList<AttachmentFact> Attachments { get; }
    public HeaderList Headers => _mime.Headers;

    public string NormalizedSubject => _normalizedSubject ??= TextNormalizer.Normalize(Subject);

    /// <summary>The text body, or the HTML body as text when there is no text part.</summary>
    public string BodyText => _bodyText ??= ReadBody();

    public string NormalizedBody => _normalizedBody ??= TextNormalizer.Normalize(BodyText);

    /// <summary>The body split into the sender's new text, their signature and the quoted or forwarded mail.</summary>
    public MailText Text => _text ??= MailText.Split(BodyText);

    /// <summary>The companies the salutation names (<see cref="Salutation.AddressCompanies"/>).</summary>
    public IReadOnlyList<AddressedCompany> SalutationCompanies => _companies ??= Salutation.AddressCompanies(Text.NewText);

    /// <summary>
    /// The companies the mail is addressed to beyond its salutation: a company addressed in the
    /// subject (…株式会社クライアント様), and each readable attachment's addressee (its file name, its
    /// first page's 御中 / 様 lines), with where it was found.
    /// </summary>
    /// <remarks>
    /// <c>Issued</c> says the addressee may be judged against the recipients' usual names: a subject or
    /// a file name is made out to its addressee, and so is a file whose first page also names another
    /// company (its issuer: a supplier's quote to the tenant); a blank form addressed to the tenant
    /// itself, naming nobody else, is not.
    /// </remarks>
    public IReadOnlyList<(AddressedCompany Company, string Where, bool Issued)> DocumentCompanies => _documentCompanies ??=
        Salutation.AddressedCompanies("", Subject).Select(c => (c, "the subject", true))
            .Concat(Attachments.Where(a => !a.EncryptedZip && !Salutation.IsPublicDocument(a.FileName, a.Text.Text)).SelectMany(a =>
            {
                var inName = Salutation.AddressedCompanies(a.FileName, "");
                var named = Salutation.CompaniesNamed(a.Text.Text);
                return Salutation.AddressedCompanies(a.FileName, a.Text.Text)
                    .Select(c => (c, $"attachment {a.FileName}", inName.Contains(c) || named.Any(n => n != c.Key)));
            }))
            .ToList();

    /// <summary>
    /// Per readable attachment (not a public document such as a case study), the companies with a
    /// legal form in its heading (<see cref="Salutation.HeadingCompanies"/>), addressed or not: the
    /// owner of a drawing, the parties of a contract.
    /// </summary>
    public IReadOnlyList<(string FileName, IReadOnlyList<string> Companies)> DocumentMentions => _documentMentions ??=
        Attachments.Where(a => !a.EncryptedZip && !Salutation.IsPublicDocument(a.FileName, a.Text.Text))
            .Select(a => (a.FileName, Salutation.HeadingCompanies(a.Text.Text)))
            .Where(m => m.Item2.Count > 0)
            .ToList();

    /// <summary>
    /// Per readable attachment (not a public document), the companies the rows of its tables name,
    /// in Japanese with a legal form and in English with one (up to <see cref="ListedChars"/>
    /// characters): a receivables list or a customer list names one per row.
    /// </summary>
    public IReadOnlyList<(string FileName, IReadOnlyList<string> Companies, IReadOnlyList<string> EnglishKeys)> DocumentListings => _documentListings ??=
        Attachments.Where(a => !a.EncryptedZip && !Salutation.IsPublicDocument(a.FileName, a.Text.Text))
            .Select(a => (a.FileName, Rows: Salutation.TableRows(a.Text.Text, ListedChars)))
            .Where(a => a.Rows.Length > 0)
            .Select(a => (a.FileName, Salutation.CompaniesNamed(a.Rows, ListedChars),
                (IReadOnlyList<string>)Salutation.EnglishCompanies(a.Rows, ListedChars).Select(c => c.Key).ToList()))
            .Where(l => l.Item2.Count + l.Item3.Count >= 2)
            .ToList();

    /// <summary>How much of a file is read for the companies it lists.</summary>
    public const int ListedChars = 20_000;

    /// <summary>
    /// English company names (Global Parts Ltd.) in the addressee lines of the new text, the subject,
    /// and each readable attachment's name and first page, with where they were found.
    /// </summary>
    public IReadOnlyList<(string Name, string Key, string Where)> EnglishCompanies => _englishCompanies ??=
        Salutation.EnglishCompanies(string.Join('\n', Text.NewText.Split('\n', 7).Take(6))).Select(c => (c.Name, c.Key, "宛名 (the salutation)"))
            .Concat(Salutation.EnglishCompanies(Subject).Concat(Salutation.SubjectTopic(Subject)).DistinctBy(c => c.Key).Select(c => (c.Name, c.Key, "the subject")))
            .Concat(Attachments.Where(a => !a.EncryptedZip).SelectMany(a =>
                Salutation.EnglishCompanies(a.FileName.Replace('_', ' ') + "\n" + Salutation.HeadingText(a.Text.Text)).Select(c => (c.Name, c.Key, $"attachment {a.FileName}"))))
            .ToList();

    public static string DomainOf(string address)
    {
        var at = address.LastIndexOf('@');
        return at < 0 ? "" : address[(at + 1)..].TrimEnd('.').ToLowerInvariant();
    }

    private string ReadBody() => BodyTextOf(_mime);

    /// <summary>What a reader of the message reads: the text part, or else the HTML part as text; empty without either.</summary>
    internal static string BodyTextOf(MimeMessage mime)
    {
        if (mime.TextBody is { } text)
        {
            return text;
        }

        return mime.HtmlBody is { } html ? HtmlText(html) : "";
    }

    /// <summary>The text of an HTML body, one line per block, without scripts and styles.</summary>
    private static string HtmlText(string html)
    {
        var text = new System.Text.StringBuilder(html.Length / 2);
        using var reader = new StringReader(html);
        var tokenizer = new HtmlTokenizer(reader) { DecodeCharacterReferences = true };
        var skip = 0;
        while (tokenizer.ReadNextToken(out var token))
        {
            switch (token)
            {
                case HtmlDataToken data when skip == 0:
                    text.Append(data.Data);
                    break;
                case HtmlTagToken tag when tag.Id is HtmlTagId.Script or HtmlTagId.Style:
                    skip = Math.Max(0, skip + (tag.IsEndTag ? -1 : tag.IsEmptyElement ? 0 : 1));
                    break;
                case HtmlTagToken tag when tag.Id is HtmlTagId.Br or HtmlTagId.P or HtmlTagId.Div or HtmlTagId.TR or HtmlTagId.LI
                    or HtmlTagId.H1 or HtmlTagId.H2 or HtmlTagId.H3 or HtmlTagId.Table or HtmlTagId.BlockQuote:
                    text.Append('\n');
                    break;
            }
        }

        return text.ToString();
    }
}

/// <summary>One attachment as the rules see it.</summary>
public sealed class AttachmentFact(MimePart part)
{
    private long? _size;
    private bool? _encryptedZip;
    private AttachmentTextResult? _text;

    public string FileName { get; } = part.FileName ?? "";

    /// <summary>Lower-case, without the dot; empty when the name has none.</summary>
    public string Extension => Path.GetExtension(FileName) is { Length: > 1 } ext ? ext[1..].ToLowerInvariant() : "";

    public string ContentType { get; } = part.ContentType.MimeType.ToLowerInvariant();

    /// <summary>Decoded size in bytes.</summary>
    public long Size => _size ??= MeasureDecoded();

    /// <summary>A zip whose first entry is encrypted (ZipCrypto or AES): encrypting it again helps nobody.</summary>
    public bool EncryptedZip => _encryptedZip ??= ReadZipEncryptionFlag();

    public bool IsZip => Extension == "zip" || ContentType is "application/zip" or "application/x-zip-compressed";

    /// <summary>The text inside the file (<see cref="AttachmentText"/>), read on first use, within its bounds.</summary>
    public AttachmentTextResult Text => _text ??= part.Content is null ? AttachmentTextResult.None : AttachmentText.Read(FileName, ContentType, () => part.Content.Open());

    /// <summary><see cref="Text"/> folded as the detectors compare (NFKC, lower case).</summary>
    public string NormalizedText => _normalizedText ??= TextNormalizer.Normalize(Text.Text);

    private string? _normalizedText;

    private long MeasureDecoded()
    {
        if (part.Content is null)
        {
            return 0;
        }

        using var counter = new CountingStream();
        part.Content.DecodeTo(counter);
        return counter.Length;
    }

    private bool ReadZipEncryptionFlag()
    {
        if (!IsZip || part.Content is null)
        {
            return false;
        }

        // Local file header: signature PK\x03\x04, then version (2 bytes), then the general-purpose
        // flags, whose bit 0 says the entry is encrypted.
        using var decoded = part.Content.Open();
        Span<byte> header = stackalloc byte[8];
        var read = 0;
        while (read < header.Length && decoded.Read(header[read..]) is var n and > 0)
        {
            read += n;
        }

        return read == header.Length && header[0] == 0x50 && header[1] == 0x4B && header[2] == 0x03 && header[3] == 0x04
            && (header[6] & 0x01) != 0;
    }

    private sealed class CountingStream : Stream
    {
        private long _length;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;
        public override long Position { get => _length; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => _length += count;
        public override void Write(ReadOnlySpan<byte> buffer) => _length += buffer.Length;
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
