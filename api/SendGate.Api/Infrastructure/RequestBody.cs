using System.Buffers;
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

        if (request.ContentLength is { } length)
        {
            // The common case: read straight into an array of the announced size.
            var body = new byte[length];
            var read = 0;
            while (read < body.Length)
            {
                var n = await request.Body.ReadAsync(body.AsMemory(read), cancellationToken);
                if (n == 0)
                {
                    return body[..read];
                }

                read += n;
            }

            return body;
        }

        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            int count;
            while ((count = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + count > limit)
                {
                    return null;
                }

                buffer.Write(chunk, 0, count);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return buffer.ToArray();
    }
}
