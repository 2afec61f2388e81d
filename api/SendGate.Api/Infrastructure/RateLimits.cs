using System.Net;
using System.Net.Sockets;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using SendGate.Api.Auth;
using SendGate.Core.Hosting;

namespace SendGate.Api.Infrastructure;

/// <summary>One limit: <see cref="PermitLimit"/> requests per <see cref="Window"/>; a limit of 0 switches it off.</summary>
public sealed class QuotaOptions
{
    [System.ComponentModel.DataAnnotations.Range(0, int.MaxValue)]
    public int PermitLimit { get; set; }

    [Duration("00:00:01", "1.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// <c>SendGate:RateLimits</c>. The defaults are set far above what a business produces, so that
/// they only ever stop a runaway client or a key-guessing flood (README, "Rate limits").
/// </summary>
public sealed class RateLimitOptions
{
    public const string Section = "SendGate:RateLimits";

    /// <summary>Submissions and dry runs of one API key: 50 a second, 180,000 an hour, is more than one application sends.</summary>
    public QuotaOptions SubmitPerKey { get; set; } = new() { PermitLimit = 3000 };

    /// <summary>Submissions and dry runs of all of a tenant's keys together.</summary>
    public QuotaOptions SubmitPerTenant { get; set; } = new() { PermitLimit = 12000 };

    /// <summary>Failed API key authentications from one client address (an IPv6 client counts by its /64).</summary>
    public QuotaOptions AuthFailuresPerAddress { get; set; } = new() { PermitLimit = 100 };

    /// <summary>Requests to the signed approval links (<c>/approve/{token}</c>) from one client address.</summary>
    public QuotaOptions ApprovalLinksPerAddress { get; set; } = new() { PermitLimit = 120 };

    /// <summary>Requests to the download links (<c>/download/{token}</c>, their files) from one client address.</summary>
    public QuotaOptions DownloadLinksPerAddress { get; set; } = new() { PermitLimit = 120 };

    /// <summary>
    /// Requests to one download link (its page, its forms, its files), from whatever address: 120 in
    /// 10 minutes is far more than its recipients open it, and stops a flood spread over many addresses.
    /// </summary>
    public QuotaOptions DownloadLinksPerLink { get; set; } = new() { PermitLimit = 120, Window = TimeSpan.FromMinutes(10) };

    internal static IEnumerable<(string Name, QuotaOptions Quota)> All(RateLimitOptions o) =>
    [
        (nameof(SubmitPerKey), o.SubmitPerKey), (nameof(SubmitPerTenant), o.SubmitPerTenant),
        (nameof(AuthFailuresPerAddress), o.AuthFailuresPerAddress), (nameof(ApprovalLinksPerAddress), o.ApprovalLinksPerAddress),
        (nameof(DownloadLinksPerAddress), o.DownloadLinksPerAddress), (nameof(DownloadLinksPerLink), o.DownloadLinksPerLink),
    ];
}

/// <summary>
/// Rate limits with ASP.NET Core's limiter: per API key and per tenant on submissions and dry runs
/// (both apply, the key's first), per client address on the approval and download links, per link on
/// the download links (whatever the address); the per-address limit on
/// failed authentication lives in the authentication handler, before the key lookup it protects.
/// A refusal is 429 with <c>Retry-After</c> and the RateLimit-Policy / RateLimit fields of
/// draft-ietf-httpapi-ratelimit-headers-10. Limits are kept per host process.
/// </summary>
internal static class RateLimits
{
    public const string ApprovalLinks = "approval-links";
    public const string DownloadLinks = "download-links";
    public const string DownloadLink = "download-link";
    public const string SubmitPerKey = "submit-key";
    public const string SubmitPerTenant = "submit-tenant";
    public const string AuthFailures = "auth-failures";
    public const string ProblemCode = "rate-limited";

    private static readonly RateLimitPartition<string> Unlimited = RateLimitPartition.GetNoLimiter("");

    /// <summary>The <c>SendGate:RateLimits</c> settings, checked like every other (<see cref="Settings.Check"/>).</summary>
    public static IServiceCollection AddRateLimitSettings(this IServiceCollection services)
    {
        var options = services.AddOptions<RateLimitOptions>().BindSettings(RateLimitOptions.Section);
        foreach (var (name, _) in RateLimitOptions.All(new RateLimitOptions()))
        {
            options.Validate(o => Quota(o, name).Window.Ticks % TimeSpan.TicksPerSecond == 0,
                $"{RateLimitOptions.Section}:{name}:Window must be whole seconds (RateLimit-Policy states it in seconds).");
        }

        options.ValidateOnStart();
        return services;
    }

    public static IServiceCollection AddSendGateRateLimits(this IServiceCollection services)
    {
        services.AddRateLimitSettings();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitOptions>>((o, configured) =>
        {
            var limits = configured.Value;
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = (rejected, _) => new ValueTask(TooManyRequests.WriteAsync(rejected.HttpContext, rejected.Lease));
            // Key first: a key over its own limit does not use up the tenant's.
            // The per-link limit is global too: an endpoint has one policy, and the download links' is per address.
            o.GlobalLimiter = new BothQuotas<HttpContext>(
                new BothQuotas<HttpContext>(
                    PartitionedRateLimiter.Create<HttpContext, string>(c => Submission(c, SubmitPerKey, limits.SubmitPerKey, c.User.KeyId())),
                    PartitionedRateLimiter.Create<HttpContext, string>(c => Submission(c, SubmitPerTenant, limits.SubmitPerTenant,
                        c.User.FindFirstValue(ApiKeyAuthenticationHandler.TenantClaim)))),
                PartitionedRateLimiter.Create<HttpContext, string>(c => PerLink(c, limits.DownloadLinksPerLink)));
            o.AddPolicy(ApprovalLinks, c => PerAddress(ApprovalLinks, limits.ApprovalLinksPerAddress, ClientAddress.Of(c)));
            o.AddPolicy(DownloadLinks, c => PerAddress(DownloadLinks, limits.DownloadLinksPerAddress, ClientAddress.Of(c)));
        });
        return services;
    }

    /// <summary>Marks an endpoint as a submission: the per-key and per-tenant limits count it.</summary>
    public static RouteHandlerBuilder RequireSubmissionLimits(this RouteHandlerBuilder builder) =>
        builder.WithMetadata(SubmissionLimited.Instance).ProducesProblem(StatusCodes.Status429TooManyRequests);

    /// <summary>Marks the download links' endpoints: the per-link limit counts them by their <c>token</c>.</summary>
    public static TBuilder RequirePerLinkLimit<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(LinkLimited.Instance);

    /// <summary>A partition of one client address, or none when the limit is off.</summary>
    public static RateLimitPartition<string> PerAddress(string name, QuotaOptions options, string address) =>
        options.PermitLimit == 0
            ? Unlimited
            : RateLimitPartition.Get(address, _ => new QuotaLimiter(new Quota(name, options.PermitLimit, options.Window)));

    private static QuotaOptions Quota(RateLimitOptions o, string name) => RateLimitOptions.All(o).Single(q => q.Name == name).Quota;

    private static RateLimitPartition<string> Submission(HttpContext context, string name, QuotaOptions options, string? partition) =>
        options.PermitLimit == 0 || partition is null || context.GetEndpoint()?.Metadata.GetMetadata<SubmissionLimited>() is null
            ? Unlimited
            : RateLimitPartition.Get(partition, _ => new QuotaLimiter(new Quota(name, options.PermitLimit, options.Window)));

    /// <summary>One link's partition, by its token's hash (no token is kept in memory), or none.</summary>
    private static RateLimitPartition<string> PerLink(HttpContext context, QuotaOptions options) =>
        options.PermitLimit == 0 || context.GetEndpoint()?.Metadata.GetMetadata<LinkLimited>() is null
            || context.Request.RouteValues["token"] is not string { Length: > 0 } token
            ? Unlimited
            : RateLimitPartition.Get(SendGate.Core.LinkTokens.Hash(token), _ => new QuotaLimiter(new Quota(DownloadLink, options.PermitLimit, options.Window)));

    private sealed class SubmissionLimited
    {
        public static readonly SubmissionLimited Instance = new();
    }

    private sealed class LinkLimited
    {
        public static readonly LinkLimited Instance = new();
    }
}

/// <summary>The client address a per-address limit counts.</summary>
internal static class ClientAddress
{
    /// <summary>
    /// The remote address (behind a reverse proxy, only what the forwarded-headers middleware
    /// makes of it). An IPv6 client owns at least a /64, so it counts as its /64; a request with
    /// no remote address at all (an in-process host, a Unix socket) shares one partition.
    /// </summary>
    public static string Of(HttpContext context) => Of(context.Connection.RemoteIpAddress);

    /// <summary>The same for an address known otherwise (an SMTP client's).</summary>
    public static string Of(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var bytes = address.GetAddressBytes();
            Array.Clear(bytes, 8, 8);
            return new IPAddress(bytes) + "/64";
        }

        return address.ToString();
    }
}

/// <summary>The 429 answer: a problem for the API, a readable page for the approval links.</summary>
internal static class TooManyRequests
{
    public static Task WriteAsync(HttpContext context, RateLimitLease lease)
    {
        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds));
        var quota = lease.TryGetMetadata(QuotaLimiter.QuotaMetadata, out var met) ? met : null;
        var response = context.Response;
        response.StatusCode = StatusCodes.Status429TooManyRequests;
        response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (quota is not null)
        {
            // Structured fields: the policy's name as a string, q and w (seconds); r left and t seconds to the reset.
            response.Headers["RateLimit-Policy"] = $"\"{quota.Name}\";q={quota.PermitLimit};w={(long)quota.Window.TotalSeconds}";
            response.Headers["RateLimit"] = $"\"{quota.Name}\";r=0;t={seconds}";
        }

        if (quota?.Name is RateLimits.ApprovalLinks or RateLimits.DownloadLinks or RateLimits.DownloadLink)
        {
            return Page(response, seconds, quota.Name);
        }

        var problem = new ProblemDetails
        {
            Status = StatusCodes.Status429TooManyRequests,
            Type = Problems.Type(RateLimits.ProblemCode),
            Title = "Too many requests",
            Detail = $"{Describe(quota)} Retry after {seconds} s.",
        };
        problem.Extensions["retryAfter"] = seconds;
        if (quota is not null)
        {
            problem.Extensions["policy"] = quota.Name;
            problem.Extensions["limit"] = quota.PermitLimit;
            problem.Extensions["window"] = (long)quota.Window.TotalSeconds;
        }

        return context.RequestServices.GetRequiredService<IProblemDetailsService>()
            .WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem }).AsTask();
    }

    private static string Describe(Quota? quota) => quota?.Name switch
    {
        RateLimits.SubmitPerKey => $"This API key has made {quota.PermitLimit} submissions or dry runs within {Seconds(quota)}, its limit.",
        RateLimits.SubmitPerTenant => $"The tenant's API keys together have made {quota.PermitLimit} submissions or dry runs within {Seconds(quota)}, its limit.",
        RateLimits.AuthFailures => $"Too many requests from this address failed authentication ({quota.PermitLimit} within {Seconds(quota)}); API keys from it are not checked until the limit resets.",
        _ => "The request rate limit is reached.",
    };

    private static string Seconds(Quota quota) => $"{(long)quota.Window.TotalSeconds} s";

    private static Task Page(HttpResponse response, long seconds, string policy)
    {
        var (ja, en) = policy switch
        {
            RateLimits.DownloadLinks => ("このネットワークからのダウンロードリンクへのアクセスが多すぎます", "Too many download links were opened from this network"),
            RateLimits.DownloadLink => ("このダウンロードリンクへのアクセスが多すぎます", "This download link was opened too often"),
            _ => ("このネットワークからの承認リンクへのアクセスが多すぎます", "Too many approval links were opened from this network"),
        };
        var (jaNothing, enNothing) = policy == RateLimits.ApprovalLinks ? ("何も決定されていません。", " Nothing was decided.") : ("", "");
        response.ContentType = "text/html; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers["X-Robots-Tag"] = "noindex";
        response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";
        // The tenant's language is only known after looking the token up, which is what this answer spares: both languages.
        return response.WriteAsync($$"""
            <!doctype html>
            <html lang="ja"><head><meta charset="utf-8"><meta name="robots" content="noindex">
            <meta name="viewport" content="width=device-width, initial-scale=1"><title>アクセスが集中しています / Too many requests - SendGate</title>
            <style>body{font-family:sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}</style>
            </head><body>
            <h1>アクセスが集中しています</h1>
            <p>{{ja}}。{{seconds}} 秒ほど待ってから、もう一度リンクを開いてください。{{jaNothing}}</p>
            <h1 lang="en">Too many requests</h1>
            <p lang="en">{{en}}. Wait about {{seconds}} seconds, then open the link again.{{enNothing}}</p>
            </body></html>
            """, response.HttpContext.RequestAborted);
    }
}
