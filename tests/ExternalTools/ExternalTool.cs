using System.Diagnostics;
using System.Text;

namespace SendGate.Tests.ExternalTools;

/// <summary>The outcome of running an external program; <see cref="Output"/> is stdout as raw bytes.</summary>
public sealed record ToolRun(int ExitCode, byte[] Output, string StdErr)
{
    public string StdOut => Encoding.UTF8.GetString(Output);

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{StdOut}\n--- stderr\n{StdErr}";
}

/// <summary>
/// Real programs (7-Zip, Info-ZIP, MTAs) that tests check our output against. A test that needs
/// one is skipped, with the reason, where the program is missing, except on CI (CI=true), where
/// it must run and so fails loudly instead of passing silently.
/// </summary>
public static class ExternalTool
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static bool IsOnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, tool)) || (OperatingSystem.IsWindows() && File.Exists(Path.Combine(dir, tool + ".exe"))));

    /// <summary>Why a test needing <paramref name="tool"/> is skipped, or null when it must run.</summary>
    public static string? SkipReason(string tool, string? ci, Func<string, bool> isOnPath) =>
        string.Equals(ci, "true", StringComparison.OrdinalIgnoreCase) || isOnPath(tool)
            ? null
            : $"'{tool}' is not on PATH; install it to run this test (with CI=true it runs and fails instead).";

    internal static string? SkipReason(string tool) => SkipReason(tool, Environment.GetEnvironmentVariable("CI"), IsOnPath);

    /// <summary>
    /// Runs <paramref name="tool"/> with each argument passed as is (no shell), stdin closed, and
    /// returns its exit code and output; kills it and throws after <see cref="Timeout"/>.
    /// </summary>
    public static ToolRun Run(string tool, IEnumerable<string> arguments, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(tool)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start '{tool}'.");

        // A tool that prompts (a password, an overwrite) must see end of input, not hang.
        process.StandardInput.Close();
        using var output = new MemoryStream();
        var stdout = process.StandardOutput.BaseStream.CopyToAsync(output);
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{tool} {string.Join(' ', start.ArgumentList)}' did not finish within {Timeout.TotalSeconds} s.");
        }

        process.WaitForExit();
        stdout.GetAwaiter().GetResult();
        return new ToolRun(process.ExitCode, output.ToArray(), stderr.GetAwaiter().GetResult());
    }
}

/// <summary>A fact that needs an external program; see <see cref="ExternalTool"/>.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ToolFactAttribute : ReasonedFactAttribute
{
    public ToolFactAttribute(params string[] tools)
    {
        Tools = tools;
        Skip = tools.Select(ExternalTool.SkipReason).FirstOrDefault(reason => reason is not null);
    }

    public IReadOnlyList<string> Tools { get; }
}

/// <summary>A theory that needs an external program; see <see cref="ExternalTool"/>.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ToolTheoryAttribute : ReasonedTheoryAttribute
{
    public ToolTheoryAttribute(params string[] tools)
    {
        Tools = tools;
        Skip = tools.Select(ExternalTool.SkipReason).FirstOrDefault(reason => reason is not null);
    }

    public IReadOnlyList<string> Tools { get; }
}
