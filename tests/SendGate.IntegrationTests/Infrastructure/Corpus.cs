namespace SendGate.IntegrationTests.Infrastructure;

/// <summary>
/// The shared corpus of real-world MIME messages (MimeKit's test data), read from
/// <c>../shared/corpus/</c> beside the repository. A fresh clone has no such folder; CI does.
/// </summary>
internal static class Corpus
{
    public static readonly string? RepositoryRoot = FindRepositoryRoot();

    /// <summary>Where the MimeKit corpus is expected, whether it exists or not.</summary>
    public static readonly string ExpectedFolder = RepositoryRoot is null
        ? "(no SendGate.sln above " + AppContext.BaseDirectory + ")"
        : Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "corpus", "mimekit"));

    /// <summary>The MimeKit corpus folder, or null when it is absent.</summary>
    public static readonly string? MimeKitFolder = Directory.Exists(ExpectedFolder) ? ExpectedFolder : null;

    /// <summary>In CI a missing corpus is a failure, not a skip.</summary>
    public static bool Required => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public const string MissingEntry = "(corpus missing)";

    /// <summary>
    /// One name per message: <c>messages/&lt;file&gt;</c>, or <c>mbox/&lt;file&gt;#&lt;n&gt;</c> for the
    /// n-th message (from 1) of an mbox file.
    /// </summary>
    public static IEnumerable<string> Entries()
    {
        if (MimeKitFolder is null)
        {
            yield return MissingEntry;
            yield break;
        }

        foreach (var file in Directory.EnumerateFiles(Path.Combine(MimeKitFolder, "messages")).Order(StringComparer.Ordinal))
        {
            yield return $"messages/{Path.GetFileName(file)}";
        }

        foreach (var file in Directory.EnumerateFiles(Path.Combine(MimeKitFolder, "mbox"), "*.mbox.txt").Order(StringComparer.Ordinal))
        {
            var count = SplitMbox(File.ReadAllBytes(file)).Count;
            for (var i = 1; i <= count; i++)
            {
                yield return $"mbox/{Path.GetFileName(file)}#{i}";
            }
        }
    }

    public static byte[] Load(string entry)
    {
        var folder = MimeKitFolder ?? throw new InvalidOperationException($"The corpus is not at {ExpectedFolder}.");
        var hash = entry.LastIndexOf('#');
        if (hash < 0)
        {
            return File.ReadAllBytes(Path.Combine(folder, entry));
        }

        var messages = SplitMbox(File.ReadAllBytes(Path.Combine(folder, entry[..hash])));
        return messages[int.Parse(entry[(hash + 1)..], System.Globalization.CultureInfo.InvariantCulture) - 1];
    }

    /// <summary>
    /// Splits an mbox on lines that start with <c>"From "</c>; the separator line itself is the
    /// mbox envelope, not part of the message, and is dropped. A leading UTF-8 BOM is ignored.
    /// </summary>
    public static List<byte[]> SplitMbox(byte[] mbox)
    {
        var start = mbox.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;
        var messages = new List<byte[]>();
        var current = new List<byte>();
        var seenSeparator = false;
        var lineStart = start;
        while (lineStart < mbox.Length)
        {
            var newline = Array.IndexOf(mbox, (byte)'\n', lineStart);
            var lineEnd = newline < 0 ? mbox.Length : newline + 1;
            var line = mbox.AsSpan(lineStart, lineEnd - lineStart);
            if (line.StartsWith("From "u8))
            {
                if (seenSeparator || current.Any(b => b is not ((byte)'\r' or (byte)'\n')))
                {
                    messages.Add(current.ToArray());
                }

                current.Clear();
                seenSeparator = true;
            }
            else
            {
                current.AddRange(line.ToArray());
            }

            lineStart = lineEnd;
        }

        if (seenSeparator || current.Count > 0)
        {
            messages.Add(current.ToArray());
        }

        return messages;
    }

    private static string? FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SendGate.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}

/// <summary>
/// A theory over the corpus that reports itself skipped, with the reason, when the corpus folder
/// is absent; with <c>CI=true</c> it runs anyway, and the missing corpus fails it.
/// (xunit 2 has no dynamic skip; setting <see cref="FactAttribute.Skip"/> here is read at discovery.)
/// </summary>
public sealed class CorpusTheoryAttribute : TheoryAttribute
{
    public CorpusTheoryAttribute()
    {
        if (Corpus.MimeKitFolder is null && !Corpus.Required)
        {
            Skip = $"The MIME corpus is not at {Corpus.ExpectedFolder} (../shared/corpus/mimekit beside the repository); set CI=true to make its absence a failure.";
        }
    }
}
