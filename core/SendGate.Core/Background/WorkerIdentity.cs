using Microsoft.Extensions.Options;

namespace SendGate.Core.Background;

/// <summary>
/// The name this process claims work under (the lease owner of every queue). A random suffix keeps
/// two processes apart even when an operator gives both the same <see cref="WorkerOptions.Name"/>.
/// </summary>
public sealed class WorkerIdentity(IOptions<WorkerOptions> options)
{
    public string Name { get; } = string.IsNullOrWhiteSpace(options.Value.Name)
        ? $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}"
        : options.Value.Name;
}
