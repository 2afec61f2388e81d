using Microsoft.AspNetCore.Http.Features;

namespace SendGate.Api.Infrastructure;

internal static class RequestBody
{
    /// <summary>
    /// Reads the whole body, or returns null once it passes <paramref name="limit"/> bytes (from
    /// Content-Length when given, else while reading), so an oversize body never fills memory.
    /// </summary>
    public static async Task<byte[]?> ReadAsync(HttpContext context, long limit, CancellationToken cancellationToken)
    {
        var request = context.Request;
        if (request.ContentLength > limit)
        {
            return null;
        }

        // Our own limit applies instead of the server's default, which would answer without a problem body.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = null;
        }

        using var buffer = new MemoryStream(request.ContentLength is { } length ? (int)Math.Min(length, limit) : 16 * 1024);
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
