using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace SendGate.IntegrationTests.Infrastructure;

/// <summary>Keeps every log line (message, its values, exception, the scopes around it) so tests can search them.</summary>
public sealed class CollectingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private IExternalScopeProvider? _scopes;

    public ConcurrentQueue<string> Lines { get; } = new();

    /// <summary>Scopes come from the host's logger factory, as the console logger's do with IncludeScopes: each line ends with them.</summary>
    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public ILogger CreateLogger(string categoryName) => new Collector(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Collector(CollectingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var structured = state is IEnumerable<KeyValuePair<string, object?>> values ? string.Join(" ", values.Select(v => $"{v.Key}={v.Value}")) : "";
            var scopes = new System.Text.StringBuilder();
            owner._scopes?.ForEachScope((scope, text) => text.Append(" |scope| ").Append(scope), scopes);
            owner.Lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {structured} {exception}{scopes}");
        }
    }
}
