using System.Text.RegularExpressions;

namespace SendGate.Api.Infrastructure;

/// <summary>
/// Keeps the secret of a signed link out of log scopes. ASP.NET Core opens a scope for every request
/// with its path (<c>RequestPath</c>), and for <c>/download/{token}</c>, <c>/approve/{token}</c> and
/// <c>/console/link/{token}</c> the path is the link's secret: with
/// <c>Logging:Console:FormatterOptions:IncludeScopes</c> on (for the trace ids), every line written
/// while such a request runs would carry it. The providers are shown the scopes with the token
/// replaced by <c>{token}</c>; what the application reads from the request is unchanged.
/// </summary>
public static partial class LogScopeRedaction
{
    public const string RequestPathKey = "RequestPath";

    /// <summary>
    /// Gives the logger factory a scope provider that redacts: the framework's own (the request's
    /// scope, the activity's trace and span ids), seen through <see cref="RedactingScopes"/>. Every
    /// provider that reads scopes from the factory (console, JSON console, OpenTelemetry) is handed
    /// it, whenever it was added, and keeps its own filter rules.
    /// </summary>
    public static ILoggingBuilder RedactLinkTokensInScopes(this ILoggingBuilder logging)
    {
        logging.Services.AddSingleton<IExternalScopeProvider>(services =>
        {
            // The framework's scope provider is not public; a logger factory hands it to a provider
            // that asks for it, which is how this one obtains it.
            var probe = new ScopeProbe();
            using (new LoggerFactory([probe], services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<LoggerFilterOptions>>(),
                       services.GetService<Microsoft.Extensions.Options.IOptions<LoggerFactoryOptions>>()))
            {
            }

            return new RedactingScopes(probe.Scopes ?? throw new InvalidOperationException("The logger factory handed out no scope provider."));
        });
        return logging;
    }

    private sealed class ScopeProbe : ILoggerProvider, ISupportExternalScope
    {
        public IExternalScopeProvider? Scopes { get; private set; }

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => Scopes = scopeProvider;

        public ILogger CreateLogger(string categoryName) => Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

        public void Dispose()
        {
        }
    }

    /// <summary><paramref name="path"/> with a link's token replaced, or null when it carries none.</summary>
    public static string? Redacted(string path)
    {
        var match = LinkPath().Match(path);
        return match.Success ? string.Concat(path.AsSpan(0, match.Groups["token"].Index), "{token}", path.AsSpan(match.Groups["token"].Index + match.Groups["token"].Length)) : null;
    }

    [GeneratedRegex(@"^(?:/[^/]*)*?/(?:download|approve|console/link)/(?<token>[^/]+)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex LinkPath();

    private sealed class RedactingScopes(IExternalScopeProvider inner) : IExternalScopeProvider
    {
        public void ForEachScope<TState>(Action<object?, TState> callback, TState state) =>
            inner.ForEachScope(static (scope, pair) => pair.Callback(Redact(scope), pair.State), (Callback: callback, State: state));

        public IDisposable Push(object? state) => inner.Push(state);

        private static object? Redact(object? scope)
        {
            if (scope is not IReadOnlyList<KeyValuePair<string, object?>> values)
            {
                return scope;
            }

            for (var i = 0; i < values.Count; i++)
            {
                if (values[i].Key == RequestPathKey && values[i].Value is string path && Redacted(path) is { } redacted)
                {
                    return new RedactedScope(values.Select((v, j) => j == i ? new KeyValuePair<string, object?>(RequestPathKey, redacted) : v).ToList());
                }
            }

            return scope;
        }
    }

    /// <summary>A scope's values with the path redacted, written as ASP.NET Core writes its request scope ("RequestPath:/x RequestId:y").</summary>
    private sealed class RedactedScope(List<KeyValuePair<string, object?>> values) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public KeyValuePair<string, object?> this[int index] => values[index];

        public int Count => values.Count;

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => values.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => string.Join(' ', values.Where(v => v.Key != "{OriginalFormat}").Select(v => $"{v.Key}:{v.Value}"));
    }
}
