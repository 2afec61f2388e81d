using SendGate.Tests.ExternalTools;

namespace SendGate.IntegrationTests.Operator;

/// <summary>
/// The built hosts run as an operator runs them (<c>dotnet SendGate.Api.dll ...</c>), in a folder
/// of their own, configured by environment variables only: what happens before a host is built is
/// out of reach of the WebApplicationFactory.
/// </summary>
internal static class HostProcess
{
    public static string ApiDll => Built("api/SendGate.Api", "SendGate.Api.dll");

    public static string WorkerDll => Built("worker/SendGate.Worker", "SendGate.Worker.dll");

    public static ToolRun Run(string dll, string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        ExternalTool.Run("dotnet", [dll, .. arguments], workingDirectory, Isolated(environment));

    /// <summary>Starts a host that keeps running until the returned handle is disposed (which kills it).</summary>
    public static RunningHost Start(string dll, string workingDirectory, IReadOnlyDictionary<string, string> environment)
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add(dll);
        foreach (var (name, value) in Isolated(environment))
        {
            start.Environment[name] = value;
        }

        return new RunningHost(System.Diagnostics.Process.Start(start) ?? throw new InvalidOperationException($"Could not start {dll}."));
    }

    // Nothing from the machine or the test run may leak in and change which settings apply.
    private static Dictionary<string, string> Isolated(IReadOnlyDictionary<string, string> environment) => new(environment)
    {
        ["DOTNET_ENVIRONMENT"] = "Production",
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
        ["Logging__LogLevel__Default"] = "Warning",
    };

    private static string Built(string project, string dll)
    {
        // The test binaries sit in tests/SendGate.IntegrationTests/bin/<configuration>/<framework>/.
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = framework.Parent!.Name;
        var root = framework;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "SendGate.sln")))
        {
            root = root.Parent;
        }

        var path = Path.Combine(root?.FullName ?? throw new InvalidOperationException("SendGate.sln not found above the test binaries."),
            project, "bin", configuration, framework.Name, dll);
        return File.Exists(path) ? path : throw new InvalidOperationException($"{path} is not built; build the solution first.");
    }
}

/// <summary>A host process started by a test; disposing it kills it (and only it) and keeps what it wrote.</summary>
internal sealed class RunningHost : IDisposable
{
    private readonly System.Diagnostics.Process _process;
    private readonly System.Text.StringBuilder _output = new();

    public RunningHost(System.Diagnostics.Process process)
    {
        _process = process;
        _process.StandardInput.Close();
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the host wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    private bool _disposed;

    /// <summary>Kills the host (SIGKILL: nothing of it runs on), once; later calls do nothing.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.WaitForExit();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}
