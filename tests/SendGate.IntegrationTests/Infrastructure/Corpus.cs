using SendGate.Tests.ExternalTools;

namespace SendGate.IntegrationTests.Infrastructure;

/// <summary>
/// An optional corpus of real-world MIME messages (MimeKit's test data: a folder with
/// <c>messages/</c> and <c>mbox/*.mbox.txt</c>), found only through <see cref="Variable"/>.
/// Without the variable the corpus test is skipped, with the reason; with it, a folder that is
/// missing or holds no message fails the test, so a CI that means to run the corpus cannot pass
/// without it. The repository's own edge cases (<see cref="EdgeCaseMime"/>) run everywhere.
/// </summary>
internal static class Corpus
{
    public const string Variable = "SENDGATE_TEST_MIME_CORPUS";

    /// <summary>The folder the variable names (full path), or null when it is not set.</summary>
    public static readonly string? Folder = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } folder
        ? Path.GetFullPath(folder)
        : null;

    public const string MissingEntry = "(corpus missing)";

    /// <summary>Why the corpus test is skipped: the variable is not set; null when it is.</summary>
    public static string? SkipReason(string? folder) => folder is null
        ? $"{Variable} is not set: the optional MIME corpus (a folder with messages/ and mbox/, e.g. MimeKit's UnitTests/TestData) was not run."
        : null;

    /// <summary>
    /// One name per message in <paramref name="folder"/>: <c>messages/&lt;file&gt;</c>, or
    /// <c>mbox/&lt;file&gt;#&lt;n&gt;</c> for the n-th message (from 1) of an mbox file;
    /// <see cref="MissingEntry"/> alone when the folder is missing or holds no message, so that the
    /// theory has a case that reports it.
    /// </summary>
    public static IReadOnlyList<string> Entries(string? folder)
    {
        var entries = folder is null || !Directory.Exists(folder) ? [] : FindEntries(folder).ToList();
        return entries.Count > 0 ? entries : [MissingEntry];
    }

    /// <summary>Why the corpus in <paramref name="folder"/> cannot be read; null when it can, or when no folder is named.</summary>
    public static string? Problem(string? folder) => folder is null
        ? null
        : !Directory.Exists(folder)
            ? $"{Variable} is set to {folder}, but there is no such folder."
            : !FindEntries(folder).Any()
                ? $"{Variable} is set to {folder}, but it holds no message (expected messages/* or mbox/*.mbox.txt)."
                : null;

    public static byte[] Load(string entry)
    {
        var folder = Folder ?? throw new InvalidOperationException($"{Variable} is not set.");
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

    private static IEnumerable<string> FindEntries(string folder)
    {
        var messages = Path.Combine(folder, "messages");
        if (Directory.Exists(messages))
        {
            foreach (var file in Directory.EnumerateFiles(messages).Order(StringComparer.Ordinal))
            {
                yield return $"messages/{Path.GetFileName(file)}";
            }
        }

        var mbox = Path.Combine(folder, "mbox");
        if (Directory.Exists(mbox))
        {
            foreach (var file in Directory.EnumerateFiles(mbox, "*.mbox.txt").Order(StringComparer.Ordinal))
            {
                var count = SplitMbox(File.ReadAllBytes(file)).Count;
                for (var i = 1; i <= count; i++)
                {
                    yield return $"mbox/{Path.GetFileName(file)}#{i}";
                }
            }
        }
    }
}

/// <summary>
/// A theory over the corpus that reports itself skipped, with the reason, when
/// <see cref="Corpus.Variable"/> is not set (also with CI=true: the corpus is optional).
/// (xunit 2 has no dynamic skip; setting <see cref="FactAttribute.Skip"/> here is read at discovery.)
/// </summary>
public sealed class CorpusTheoryAttribute : ReasonedTheoryAttribute
{
    public CorpusTheoryAttribute()
    {
        Skip = Corpus.SkipReason(Corpus.Folder);
    }
}
