using System.Buffers;
using Microsoft.AspNetCore.Http.Features;
using SendGate.Core.Mime;

namespace SendGate.Api.Infrastructure;

internal static class RequestBody
{
    /// <summary>
    /// Reads the whole body, or returns null once it passes <paramref name="limit"/> bytes (from
    /// Content-Length when given, else while reading), so an oversize body never fills memory.
    /// With <paramref name="headers"/>, each chunk also goes through that scanner as it arrives,
    /// and reading stops (null) at the first header rule broken: a hostile header section is
    /// refused after at most its limit in bytes, before anything parses it.
    /// </summary>
    public static async Task<byte[]?> ReadAsync(HttpContext context, long limit, CancellationToken cancellationToken, HeaderScanner? headers = null)
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

        var scanning = headers is not null;
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
                    return headers?.Finish() is null ? body[..read] : null;
                }

                if (scanning && !headers!.Feed(body.AsSpan(read, n)))
                {
                    if (headers.Violation is not null)
                    {
                        return null;
                    }

                    scanning = false;
                }

                read += n;
            }

            return headers?.Finish() is null ? body : null;
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

                if (scanning && !headers!.Feed(chunk.AsSpan(0, count)))
                {
                    if (headers.Violation is not null)
                    {
                        return null;
                    }

                    scanning = false;
                }

                buffer.Write(chunk, 0, count);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return headers?.Finish() is null ? buffer.ToArray() : null;
    }
}
