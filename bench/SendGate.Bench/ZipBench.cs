using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using MimeKit;
using SendGate.Core.Encryption;

namespace SendGate.Bench;

/// <summary>
/// Zip encryption speed against 7-Zip (<c>7zz a -tzip</c>) at the same deflate level, on a mixed
/// corpus — random bytes, text, office-like documents (zips of XML, as .docx/.xlsx are) — both
/// measured in this run on this machine. Target: SendGate's time / 7-Zip's time ≤ 1.0.
/// </summary>
internal static class ZipBench
{
    public static int Run(int level, int rounds)
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        var work = Directory.CreateTempSubdirectory("sendgate-zipbench-").FullName;
        try
        {
            var corpus = Corpus(work);
            var total = corpus.Sum(f => new FileInfo(f).Length);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"corpus: {corpus.Count} files, {total / 1048576.0:F1} MiB ({string.Join(", ", corpus.Select(f => $"{Path.GetFileName(f)} {new FileInfo(f).Length / 1048576.0:F1}"))}); deflate level {level}; best of {rounds}"));
            Console.WriteLine($"{"method",-10} {"SendGate",-22} {"SendGate s",11} {"7zz s",8} {"ratio",7} {"SendGate MiB",13} {"7zz MiB",8}");

            var worst = 0.0;
            foreach (var (method, sevenZipMethod) in new[] { ("zipCrypto", "ZipCrypto"), ("aes256", "AES256") })
            {
                var theirs = Enumerable.Range(0, rounds).Select(_ => SevenZip(corpus, sevenZipMethod, level, work)).ToList();
                // The product stores what does not compress; "deflate all" is the same code made to deflate every entry, for comparison.
                foreach (var (label, adaptive) in new[] { ("as shipped", true), ("deflate all entries", false) })
                {
                    var ours = Enumerable.Range(0, rounds).Select(_ => SendGateZip(corpus, method, level, work, adaptive)).ToList();
                    var ratio = ours.Min(r => r.Seconds) / theirs.Min(r => r.Seconds);
                    if (adaptive)
                    {
                        worst = Math.Max(worst, ratio);
                    }

                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{method,-10} {label,-22} {ours.Min(r => r.Seconds),11:F2} {theirs.Min(r => r.Seconds),8:F2} {ratio,6:F2}x {ours[0].Bytes / 1048576.0,13:F1} {theirs[0].Bytes / 1048576.0,8:F1}"));
                }
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"target: SendGate / 7zz <= 1.0 — {(worst <= 1.0 ? "met" : "MISSED")} (worst {worst:F2}x)"));
            return worst <= 1.0 ? 0 : 1;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>The product's path: a MIME message with the files attached, its attachments replaced by the encrypted zip.</summary>
    private static (double Seconds, long Bytes) SendGateZip(IReadOnlyList<string> files, string method, int level, string work, bool adaptive)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("bench@example.co.jp"));
        message.To.Add(MailboxAddress.Parse("to@example.com"));
        var body = new Multipart("mixed") { new TextPart("plain") { Text = "bench" } };
        var streams = new List<Stream>();
        foreach (var file in files)
        {
            var stream = File.OpenRead(file);
            streams.Add(stream);
            // Content stored as it arrives in a submission (base64), so decoding is part of the work, as in delivery.
            body.Add(new MimePart("application", "octet-stream")
            {
                FileName = Path.GetFileName(file),
                Content = new MimeContent(Base64(stream, work), ContentEncoding.Base64),
                ContentTransferEncoding = ContentEncoding.Base64,
            });
        }

        message.Body = body;
        var options = new ZipOptions(method, "utf8", "rfc2231", PassThroughEncrypted: true, level, StoreIncompressible: adaptive);
        using var storage = new FileStream(Path.Combine(work, $"sg-{Guid.NewGuid():N}.zip"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose);
        var start = Stopwatch.GetTimestamp();
        var result = AttachmentZipper.Apply(message, options, ZipPassword.Generate(), "bench.zip", DateTimeOffset.Now, storage)!;
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        streams.ForEach(s => s.Dispose());
        return (seconds, result.ZipBytes);
    }

    private static (double Seconds, long Bytes) SevenZip(IReadOnlyList<string> files, string method, int level, string work)
    {
        var output = Path.Combine(work, $"7z-{Guid.NewGuid():N}.zip");
        var start = new ProcessStartInfo("7zz") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "a", "-tzip", $"-mx={level}", $"-mem={method}", "-pbench-password-12", output }.Concat(files))
        {
            start.ArgumentList.Add(argument);
        }

        var clock = Stopwatch.GetTimestamp();
        using var process = Process.Start(start)!;
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var seconds = Stopwatch.GetElapsedTime(clock).TotalSeconds;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"7zz failed: {process.StandardError.ReadToEnd()}");
        }

        var bytes = new FileInfo(output).Length;
        File.Delete(output);
        return (seconds, bytes);
    }

    /// <summary>The file as MIME stores it: base64 in a temporary file the part reads from.</summary>
    private static Stream Base64(Stream file, string work)
    {
        var path = Path.Combine(work, $"{Guid.NewGuid():N}.b64");
        using (var encoded = File.Create(path))
        using (var transform = new System.Security.Cryptography.CryptoStream(encoded, new System.Security.Cryptography.ToBase64Transform(), System.Security.Cryptography.CryptoStreamMode.Write))
        {
            file.CopyTo(transform);
        }

        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.DeleteOnClose);
    }

    /// <summary>About 40 MiB: random bytes, Japanese and English text, and office-like documents.</summary>
    internal static IReadOnlyList<string> Corpus(string work)
    {
        var random = new Random(5);
        var files = new List<string>();

        var noise = Path.Combine(work, "scan.bin");
        var bytes = new byte[12 * 1024 * 1024];
        random.NextBytes(bytes);
        File.WriteAllBytes(noise, bytes);
        files.Add(noise);

        var text = Path.Combine(work, "議事録.txt");
        var builder = new StringBuilder();
        var words = new[] { "見積", "納期", "契約", "請求", "会議", "資料", "確認", "予定", "the", "quarterly", "report", "shipment", "invoice", "お世話になっております。", "よろしくお願いいたします。" };
        while (builder.Length < 6 * 1024 * 1024)
        {
            builder.Append(words[random.Next(words.Length)]).Append(random.Next(5) == 0 ? "\n" : " ");
            builder.Append(random.Next(100000).ToString(CultureInfo.InvariantCulture)).Append(' ');
        }

        File.WriteAllText(text, builder.ToString());
        files.Add(text);

        for (var d = 0; d < 4; d++)
        {
            // Office documents are zips of XML: already compressed, as real .docx/.xlsx are.
            var office = Path.Combine(work, $"資料{d + 1}.{(d % 2 == 0 ? "docx" : "xlsx")}");
            using (var zip = ZipFile.Open(office, ZipArchiveMode.Create))
            {
                for (var part = 0; part < 6; part++)
                {
                    using var writer = new StreamWriter(zip.CreateEntry($"word/part{part}.xml").Open());
                    writer.Write("<?xml version=\"1.0\"?><w:document>");
                    for (var row = 0; row < 30000; row++)
                    {
                        writer.Write($"<w:p><w:r><w:t>{words[random.Next(words.Length)]} {random.Next(1000000)}</w:t></w:r></w:p>");
                    }

                    writer.Write("</w:document>");
                }

                var media = zip.CreateEntry("word/media/image1.png", CompressionLevel.NoCompression);
                using var image = media.Open();
                var png = new byte[1024 * 1024];
                random.NextBytes(png);
                image.Write(png);
            }

            files.Add(office);
        }

        return files;
    }
}
