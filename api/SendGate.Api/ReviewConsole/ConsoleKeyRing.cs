using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Options;
using SendGate.Core.ReviewConsole;

namespace SendGate.Api.ReviewConsole;

/// <summary>
/// The keys behind the console's session, form and notice cookies (and the OpenID Connect state),
/// kept in <see cref="ConsoleOptions.KeyRingFolder"/> under one application name. Data Protection's
/// default ring lives in the service user's home (or only in memory where it has none), so a restart
/// or a second API host behind the same name signed everyone out and failed every open form.
/// </summary>
internal static class ConsoleKeyRing
{
    public const string ApplicationName = "SendGate";

    public static IServiceCollection AddConsoleKeyRing(this IServiceCollection services)
    {
        services.AddDataProtection().SetApplicationName(ApplicationName);
        // What PersistKeysToFileSystem installs, from the validated setting rather than a path known at registration.
        services.AddOptions<KeyManagementOptions>().Configure<IOptions<ConsoleOptions>, ILoggerFactory>((o, console, logs) =>
            o.XmlRepository = new FileSystemXmlRepository(Create(console.Value.KeyRingFolder), logs));
        services.AddHostedService<KeyRingAtStart>();
        return services;
    }

    /// <summary>The folder, created readable by the service's user alone when it does not exist; an existing one is left as it is.</summary>
    public static DirectoryInfo Create(string folder)
    {
        var path = Path.GetFullPath(folder);
        if (!Directory.Exists(path))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(path);
            }
            else
            {
                Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        return new DirectoryInfo(path);
    }

    /// <summary>Makes the folder at start, so that an unwritable path stops the host now rather than at the first page.</summary>
    private sealed class KeyRingAtStart(IOptions<KeyManagementOptions> options) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            _ = options.Value;
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
