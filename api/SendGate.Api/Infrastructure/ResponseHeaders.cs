using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace SendGate.Api.Infrastructure;

/// <summary>
/// Headers every answer carries. API answers hold mail content, recipients, keys and webhook
/// secrets, so no cache (a proxy's, the browser's) may keep one; no answer may be sniffed into
/// another media type (a stored MIME part shown as HTML); and the server does not name itself.
/// </summary>
internal static class ResponseHeaders
{
    public static IServiceCollection AddSendGateResponseHeaders(this IServiceCollection services) =>
        services.Configure<KestrelServerOptions>(o => o.AddServerHeader = false);

    /// <summary>Early in the pipeline, so that error answers (exception handler, 401, 429) get the headers too.</summary>
    public static IApplicationBuilder UseSendGateResponseHeaders(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            context.Response.OnStarting(static state =>
            {
                var context = (HttpContext)state;
                var headers = context.Response.Headers;
                headers.XContentTypeOptions = "nosniff";
                if (context.Request.Path.StartsWithSegments("/v1", StringComparison.OrdinalIgnoreCase))
                {
                    headers.CacheControl = "no-store";
                }

                return Task.CompletedTask;
            }, context);
            return next(context);
        });
}
