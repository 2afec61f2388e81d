using SendGate.Tests.Shared;

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

    public static ToolRun Run(string dll, string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        // Nothing from the machine or the test run may leak in and change which settings apply.
        var settings = new Dictionary<string, string>(environment)
        {
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        return ExternalTool.Run("dotnet", [dll, .. arguments], workingDirectory, settings);
    }

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
