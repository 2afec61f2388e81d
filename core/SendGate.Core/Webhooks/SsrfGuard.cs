using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace SendGate.Core.Webhooks;

/// <summary>
/// Keeps webhooks from being aimed at SendGate's own network (SSRF): URLs are checked when an
/// endpoint is saved, and every connection resolves the host and connects only to an address
/// that passes, so a DNS answer that changes after the check cannot sneak past it.
/// </summary>
public sealed class SsrfGuard(IOptions<WebhookOptions> options)
{
    /// <summary>Why the URL may not be used, or null.</summary>
    public string? CheckUrl(string? url)
    {
        if (string.IsNullOrWhiteSpace(url) || url.Length > 2000 || !Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return "url must be an absolute URL of at most 2000 characters.";
        }

        if (uri.Scheme != Uri.UriSchemeHttps && !(uri.Scheme == Uri.UriSchemeHttp && options.Value.AllowHttp))
        {
            return options.Value.AllowHttp ? "url must be http or https." : "url must be https (SendGate:Webhooks:AllowHttp allows http).";
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            return "url may not contain credentials.";
        }

        if (IPAddress.TryParse(uri.IdnHost, out var address) && !Allowed(address, uri.IdnHost))
        {
            return $"{address} is a loopback, private, link-local or otherwise internal address (SendGate:Webhooks:AllowPrivateNetworks or AllowedHosts allow it).";
        }

        if (uri.IdnHost.Equals("localhost", StringComparison.OrdinalIgnoreCase) && !Allowed(IPAddress.Loopback, uri.IdnHost))
        {
            return "localhost is refused (SendGate:Webhooks:AllowPrivateNetworks or AllowedHosts allow it).";
        }

        return null;
    }

    public bool Allowed(IPAddress address, string host) =>
        options.Value.AllowPrivateNetworks
        || options.Value.AllowedHosts.Any(h => h.Equals(host, StringComparison.OrdinalIgnoreCase) || h == address.ToString())
        || !IsInternal(address);

    /// <summary>Resolve, check, then connect to the checked address.</summary>
    public async ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(endpoint.Host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(endpoint.Host, cancellationToken);
        var allowed = addresses.Where(a => Allowed(a, endpoint.Host)).ToList();
        if (allowed.Count == 0)
        {
            throw new HttpRequestException($"{endpoint.Host} resolves only to internal addresses ({string.Join(", ", addresses.Select(a => a.ToString()))}); refused.");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed[0], endpoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static bool IsInternal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.IPv6None))
        {
            return true;
        }

        var b = address.GetAddressBytes();
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            // IPv6 forms that carry an IPv4 address: NAT64 (64:ff9b::/96), 6to4 (2002::/16), IPv4-compatible (::a.b.c.d).
            if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b[4..12].All(x => x == 0))
            {
                return IsInternal(new IPAddress(b[12..16]));
            }

            if (b[0] == 0x20 && b[1] == 0x02)
            {
                return IsInternal(new IPAddress(b[2..6]));
            }

            if (b[..12].All(x => x == 0))
            {
                return IsInternal(new IPAddress(b[12..16]));
            }
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return b[0] == 10 || b[0] == 0 || b[0] >= 224 // private, "this network", multicast and reserved
                || (b[0] == 172 && b[1] is >= 16 and <= 31)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 169 && b[1] == 254) // link-local, including cloud metadata 169.254.169.254
                || (b[0] == 100 && b[1] is >= 64 and <= 127) // carrier-grade NAT
                || (b[0] == 192 && b[1] == 0 && b[2] == 0)
                || (b[0] == 198 && b[1] is 18 or 19); // benchmarking networks
        }

        return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
            || (b[0] & 0xFE) == 0xFC; // unique local fc00::/7
    }
}
