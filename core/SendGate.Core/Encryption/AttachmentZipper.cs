using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using ICSharpCode.SharpZipLib.Zip;
using MimeKit;
using SendGate.Core.Mime;
using SendGate.Core.Policies;

namespace SendGate.Core.Encryption;

/// <summary>How the attachments are zipped.</summary>
/// <param name="Method">"zipCrypto" (Windows Explorer opens it) or "aes256" (7-Zip and similar tools only).</param>
/// <param name="NameEncoding">"utf8" (language-encoding flag set) or "cp932" (Shift_JIS bytes, no flag, for older Japanese Windows).</param>
/// <param name="FileNameEncoding">How the zip's own MIME file name is written: "rfc2231" or "rfc2047".</param>
/// <param name="PassThroughEncrypted">Attachments that are already encrypted zips stay as they are instead of being zipped again.</param>
/// <param name="CompressionLevel">Deflate level, 0 (stored in deflate blocks) to 9.</param>
/// <param name="StoreIncompressible">Store rather than deflate an attachment whose sample does not compress (JPEG, PDF, Office files, zips).</param>
public sealed record ZipOptions(
    string Method,
    string NameEncoding,
    string FileNameEncoding,
    bool PassThroughEncrypted,
    int CompressionLevel = 6,
    bool StoreIncompressible = true);

/// <summary>What <see cref="AttachmentZipper.Apply"/> did.</summary>
/// <param name="ZipName">The zip's file name in the message.</param>
/// <param name="Encrypted">The entry names inside the zip, in order (after cleaning and de-duplication).</param>
/// <param name="PassedThrough">File names of already encrypted zips left in the message as they were.</param>
/// <param name="ZipBytes">Size of the zip before transfer encoding.</param>
public sealed record ZipResult(string ZipName, IReadOnlyList<string> Encrypted, IReadOnlyList<string> PassedThrough, long ZipBytes);

/// <summary>
/// Replaces a message's attachments by one password-protected zip. Attachment content is streamed
/// from the MIME part through deflate and encryption into caller-owned storage; no attachment is
/// ever held whole in memory.
/// </summary>
public static class AttachmentZipper
{
    // Info-ZIP applies the Unix mode in the external attributes when the host is Unix; 0 would
    // extract unreadable files. Regular file, rw-r--r--.
    private const int RegularFileMode = 0x81A4;

    private static readonly SearchValues<char> Unsafe = SearchValues.Create("/\\<>:\"|?*");

    /// <summary>
    /// Replaces the message's attachments by one encrypted zip named <paramref name="zipName"/>
    /// whose content is written to <paramref name="zipStorage"/> (empty, seekable, readable and
    /// writable, owned by the caller and kept open until the message has been written, e.g. a
    /// temp <see cref="FileStream"/> with <see cref="FileOptions.DeleteOnClose"/>). Inline parts
    /// and bodies stay where they are, unchanged. When <paramref name="notice"/> is given, an
    /// inline text/plain part with it goes right before the zip.
    /// </summary>
    /// <returns>
    /// Null, with nothing changed, when there is nothing to encrypt (no attachment, or only
    /// passed-through encrypted zips).
    /// </returns>
    public static ZipResult? Apply(MimeMessage message, ZipOptions options, string password, string zipName,
        DateTimeOffset entryTime, Stream zipStorage, string? notice = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(zipStorage);
        ArgumentException.ThrowIfNullOrWhiteSpace(zipName);
        var settings = Settings.From(options);
        CheckPassword(password);
        if (!zipStorage.CanSeek || !zipStorage.CanRead || !zipStorage.CanWrite || zipStorage.Length != 0)
        {
            throw new ArgumentException("Zip storage must be an empty, seekable, readable and writable stream.", nameof(zipStorage));
        }

        // Materialised first: the tree is changed below, and Attachments is a lazy walk over it.
        var toZip = new List<MimeEntity>();
        var passedThrough = new List<string>();
        foreach (var attachment in message.Attachments)
        {
            if (options.PassThroughEncrypted && attachment is MimePart part && new AttachmentFact(part) is { EncryptedZip: true } fact)
            {
                passedThrough.Add(fact.FileName);
            }
            else
            {
                toZip.Add(attachment);
            }
        }

        if (toZip.Count == 0)
        {
            return null;
        }

        var entryNames = WriteZip(toZip, settings, password, entryTime, zipStorage);
        foreach (var attachment in toZip)
        {
            Detach(message, attachment);
        }

        zipStorage.Position = 0;
        AppendToMixed(message, notice, ZipPart(zipStorage, zipName, settings.FileNameMethod));
        return new ZipResult(zipName, entryNames, passedThrough, zipStorage.Length);
    }

    private static List<string> WriteZip(List<MimeEntity> attachments, Settings settings, string password,
        DateTimeOffset entryTime, Stream zipStorage)
    {
        // Shift_JIS names need both: the codec, and IsUnicodeText = false on each entry (ZipEntry
        // defaults to true, which writes UTF-8 with the flag whatever the codec says). The forced
        // legacy encoding keeps the codec from choosing UTF-8 for anything else it encodes.
        var codec = settings.Cp932 ? StringCodec.FromCodePage(932).WithForcedLegacyEncoding() : StringCodec.Default;
        var names = EntryNames(attachments, settings.Cp932);

        // The default (Dynamic) gives every entry of unknown size a Zip64 extra field and "version
        // needed 4.5", which older unzippers refuse; a mail attachment never nears 4 GB.
        using var zip = new ZipOutputStream(zipStorage, codec) { IsStreamOwner = false, UseZip64 = UseZip64.Off };
        zip.SetLevel(settings.CompressionLevel);
        zip.Password = password;
        for (var i = 0; i < attachments.Count; i++)
        {
            zip.PutNextEntry(new ZipEntry(names[i])
            {
                // Zip stores local wall time; the sender's offset is the natural local time.
                DateTime = entryTime.DateTime,
                HostSystem = (int)HostSystemID.Unix,
                ExternalFileAttributes = RegularFileMode << 16,
                IsUnicodeText = !settings.Cp932,
                AESKeySize = settings.Aes ? 256 : 0,
                CompressionMethod = settings.StoreIncompressible && attachments[i] is MimePart sampled && Incompressible(sampled)
                    ? CompressionMethod.Stored
                    : CompressionMethod.Deflated,
            });
            switch (attachments[i])
            {
                case MimePart { Content: { } content }:
                    using (var decoded = content.Open())
                    {
                        CopyInLargeWrites(decoded, zip);
                    }

                    break;
                case MessagePart { Message: { } attached }:
                    // CRLF as RFC 5322 has it: the .eml is opened by Windows mail clients.
                    attached.WriteTo(MessageIntake.WriteFormat, zip);
                    break;
            }

            zip.CloseEntry();
        }

        zip.Finish();
        return names;
    }

    /// <summary>
    /// The zip stream's encryptor allocates a buffer on every Write call, and decoders hand out a
    /// few KB at a time: gathering 80 KB per write keeps a 25 MB attachment from churning 25 MB.
    /// </summary>
    private static void CopyInLargeWrites(Stream source, Stream target)
    {
        const int ChunkSize = 80 * 1024;
        var chunk = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            while (true)
            {
                int filled = 0, n;
                while (filled < ChunkSize && (n = source.Read(chunk, filled, ChunkSize - filled)) > 0)
                {
                    filled += n;
                }

                if (filled == 0)
                {
                    return;
                }

                target.Write(chunk, 0, filled);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    /// <summary>
    /// Deflating data that is already compressed (JPEG, PDF streams, Office documents, zips) costs
    /// most of the CPU of zipping and gains nothing; a fast trial on the first 64 KB decides.
    /// </summary>
    private static bool Incompressible(MimePart part)
    {
        const int SampleSize = 64 * 1024;
        if (part.Content is null)
        {
            return false;
        }

        var sample = ArrayPool<byte>.Shared.Rent(SampleSize);
        try
        {
            int read = 0, n;
            using (var decoded = part.Content.Open())
            {
                while (read < SampleSize && (n = decoded.Read(sample, read, SampleSize - read)) > 0)
                {
                    read += n;
                }
            }

            if (read < 4096)
            {
                return false;
            }

            using var compressed = new MemoryStream(SampleSize);
            using (var deflate = new System.IO.Compression.DeflateStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            {
                deflate.Write(sample, 0, read);
            }

            return compressed.Length > read * 0.9;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(sample);
        }
    }

    private static List<string> EntryNames(List<MimeEntity> attachments, bool cp932)
    {
        var legacy = cp932 ? Encoding.GetEncoding(932, new EncoderReplacementFallback("_"), DecoderFallback.ReplacementFallback) : null;
        var taken = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var names = new List<string>(attachments.Count);
        for (var i = 0; i < attachments.Count; i++)
        {
            var name = Clean(RawName(attachments[i]));
            if (legacy is not null)
            {
                // What a Shift_JIS reader will see; characters CP932 lacks become '_' rather than '?'.
                name = legacy.GetString(legacy.GetBytes(name));
            }

            if (name.Trim('.', ' ').Length == 0)
            {
                name = $"attachment-{i + 1}{FallbackExtension(attachments[i])}";
            }

            var unique = name;
            for (var n = 2; !taken.Add(unique); n++)
            {
                unique = $"{Path.GetFileNameWithoutExtension(name)} ({n}){Path.GetExtension(name)}";
            }

            names.Add(unique);
        }

        return names;
    }

    private static string RawName(MimeEntity attachment)
    {
        if (attachment is MessagePart message)
        {
            var name = attachment.ContentDisposition?.FileName ?? attachment.ContentType.Name ?? message.Message?.Subject;
            return string.IsNullOrWhiteSpace(name) ? "" : name.EndsWith(".eml", StringComparison.OrdinalIgnoreCase) ? name : name + ".eml";
        }

        return (attachment as MimePart)?.FileName ?? "";
    }

    private static string FallbackExtension(MimeEntity attachment) =>
        attachment is MessagePart ? ".eml"
        : MimeTypes.TryGetExtension(attachment.ContentType.MimeType, out var extension) ? extension
        : ".bin";

    /// <summary>
    /// Path separators, control characters and the characters Windows refuses in file names
    /// become '_', so every entry extracts as one plain file where the recipient opens it.
    /// </summary>
    private static string Clean(string name) =>
        string.Create(name.Length, name, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                var c = source[i];
                span[i] = char.IsControl(c) || Unsafe.Contains(c) ? '_' : c;
            }
        }).Trim();

    internal static void Detach(MimeMessage message, MimeEntity attachment)
    {
        if (ReferenceEquals(message.Body, attachment))
        {
            message.Body = null;
            return;
        }

        RemoveFrom(message.Body, attachment);
    }

    private static bool RemoveFrom(MimeEntity? node, MimeEntity target)
    {
        if (node is not Multipart multipart)
        {
            return false;
        }

        if (multipart.Remove(target))
        {
            return true;
        }

        for (var i = 0; i < multipart.Count; i++)
        {
            if (RemoveFrom(multipart[i], target))
            {
                // A nested multipart that only held attachments would be left as an empty shell.
                if (multipart[i] is Multipart { Count: 0 })
                {
                    multipart.RemoveAt(i);
                }

                return true;
            }
        }

        return false;
    }

    /// <summary>The notice (and the zip, when there is one) appended to the message's multipart/mixed, made when missing.</summary>
    internal static void AppendToMixed(MimeMessage message, string? notice, MimePart? zip)
    {
        if (message.Body is not Multipart mixed || !mixed.ContentType.IsMimeType("multipart", "mixed"))
        {
            mixed = new Multipart("mixed");
            if (message.Body is not null)
            {
                mixed.Add(message.Body);
            }

            message.Body = mixed;
        }

        if (notice is not null)
        {
            var text = new TextPart("plain") { ContentDisposition = new ContentDisposition(ContentDisposition.Inline) };
            text.SetText(Encoding.UTF8, notice);
            text.ContentTransferEncoding = text.GetBestEncoding(EncodingConstraint.SevenBit);
            mixed.Add(text);
        }

        if (zip is not null)
        {
            mixed.Add(zip);
        }
    }

    private static MimePart ZipPart(Stream zipStorage, string zipName, ParameterEncodingMethod method)
    {
        var part = new MimePart("application", "zip")
        {
            Content = new MimeContent(zipStorage),
            ContentDisposition = new ContentDisposition(ContentDisposition.Attachment),
            ContentTransferEncoding = ContentEncoding.Base64,
            FileName = zipName,
        };
        SetEncoding(part.ContentDisposition.Parameters, "filename", method);
        SetEncoding(part.ContentType.Parameters, "name", method);
        return part;
    }

    private static void SetEncoding(ParameterList parameters, string name, ParameterEncodingMethod method)
    {
        if (parameters.TryGetValue(name, out Parameter? parameter))
        {
            parameter.EncodingMethod = method;
            parameter.Encoding = Encoding.UTF8;
        }
    }

    private static void CheckPassword(string password)
    {
        ArgumentException.ThrowIfNullOrEmpty(password);

        // Zip tools disagree on how they encode non-ASCII passwords (ZipCrypto has no rule at all),
        // so such a password might open in one tool and not in another.
        if (!password.All(c => c is >= '!' and <= '~'))
        {
            throw new ArgumentException("The zip password must be printable ASCII without spaces.", nameof(password));
        }
    }

    private sealed record Settings(bool Aes, bool Cp932, ParameterEncodingMethod FileNameMethod, int CompressionLevel, bool StoreIncompressible)
    {
        public static Settings From(ZipOptions options)
        {
            var aes = Choose(options.Method, nameof(options.Method), ("zipCrypto", false), ("aes256", true));
            var cp932 = Choose(options.NameEncoding, nameof(options.NameEncoding), ("utf8", false), ("cp932", true));
            var method = Choose(options.FileNameEncoding, nameof(options.FileNameEncoding),
                ("rfc2231", ParameterEncodingMethod.Rfc2231), ("rfc2047", ParameterEncodingMethod.Rfc2047));
            if (options.CompressionLevel is < 0 or > 9)
            {
                throw new ArgumentException($"CompressionLevel must be 0 to 9, not {options.CompressionLevel}.", nameof(options));
            }

            return new Settings(aes, cp932, method, options.CompressionLevel, options.StoreIncompressible);
        }

        private static T Choose<T>(string? value, string field, params (string Name, T Value)[] choices)
        {
            foreach (var (name, result) in choices)
            {
                if (string.Equals(value, name, StringComparison.OrdinalIgnoreCase))
                {
                    return result;
                }
            }

            throw new ArgumentException(
                $"{field} must be one of {string.Join(", ", choices.Select(c => $"\"{c.Name}\""))}, not \"{value}\".", "options");
        }
    }
}

/// <summary>Passwords for the zips, meant to be read off a screen and typed.</summary>
public static class ZipPassword
{
    /// <summary>Letters and digits without look-alikes (no 0/O/o, 1/l/I).</summary>
    public const string Alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";

    /// <summary>A uniformly random password of <paramref name="length"/> (12 to 64) characters from <see cref="Alphabet"/>.</summary>
    public static string Generate(int length = 12)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 12);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, 64);

        // GetString picks each character with GetInt32-style rejection sampling: no modulo bias.
        return RandomNumberGenerator.GetString(Alphabet, length);
    }
}
