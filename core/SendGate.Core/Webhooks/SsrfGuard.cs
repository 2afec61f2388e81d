using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace SendGate.Core.Webhooks;

/// <summary>
/// Keeps webhooks from being aimed at SendGate's own machine or network (SSRF): URLs are checked
/// when an endpoint is saved (a name is resolved then too), and every connection resolves the host
/// and connects only to an address that passes, so a DNS answer that changes after the check
/// cannot sneak past it. Refused: every address of this machine's interfaces, and every range of
/// the IANA special-purpose address registries.
/// </summary>
public sealed class SsrfGuard(IOptions<WebhookOptions> options, TimeProvider time, Func<IEnumerable<IPAddress>>? localAddresses = null)
{
    // Interfaces come and go (DHCP, containers, VPNs); a short cache keeps the lookup off every
    // connection without trusting an old list for long.
    private static readonly TimeSpan LocalAddressLifetime = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan ResolveLimit = TimeSpan.FromSeconds(5);

    private static readonly IPNetwork[] SpecialV4 =
    [
        IPNetwork.Parse("0.0.0.0/8"), // "this network"
        IPNetwork.Parse("10.0.0.0/8"), // private
        IPNetwork.Parse("100.64.0.0/10"), // carrier-grade NAT
        IPNetwork.Parse("127.0.0.0/8"), // loopback
        IPNetwork.Parse("169.254.0.0/16"), // link-local, including cloud metadata 169.254.169.254
        IPNetwork.Parse("172.16.0.0/12"), // private
        IPNetwork.Parse("192.0.0.0/24"), // IETF protocol assignments
        IPNetwork.Parse("192.0.2.0/24"), // TEST-NET-1
        IPNetwork.Parse("192.31.196.0/24"), // AS112-v4
        IPNetwork.Parse("192.52.193.0/24"), // AMT
        IPNetwork.Parse("192.88.99.0/24"), // deprecated 6to4 relay anycast
        IPNetwork.Parse("192.168.0.0/16"), // private
        IPNetwork.Parse("192.175.48.0/24"), // AS112 direct delegation
        IPNetwork.Parse("198.18.0.0/15"), // benchmarking
        IPNetwork.Parse("198.51.100.0/24"), // TEST-NET-2
        IPNetwork.Parse("203.0.113.0/24"), // TEST-NET-3
        IPNetwork.Parse("224.0.0.0/4"), // multicast
        IPNetwork.Parse("240.0.0.0/4"), // reserved, including the broadcast 255.255.255.255
    ];

    // IANA allocates unicast only from 2000::/3; everything outside it (::, ::1, ::/96, 64:ff9b:1::/48,
    // 100::/64, 5f00::/16, fc00::/7, fe80::/10, fec0::/10, ff00::/8 ...) is refused as a whole,
    // apart from the two forms below whose embedded IPv4 address decides.
    private static readonly IPNetwork GlobalUnicast = IPNetwork.Parse("2000::/3");

    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");

    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");

    private static readonly IPNetwork[] SpecialV6InGlobalUnicast =
    [
        IPNetwork.Parse("2001::/23"), // IETF protocol assignments, including Teredo 2001::/32 and benchmarking 2001:2::/48
        IPNetwork.Parse("2001:db8::/32"), // documentation
        IPNetwork.Parse("3fff::/20"), // documentation
    ];

    private readonly Func<IEnumerable<IPAddress>> _localAddresses = localAddresses ?? InterfaceAddresses;
    private readonly Lock _lock = new();
    private HashSet<IPAddress>? _local;
    private long _localUntil;

    /// <summary>Why the URL may not be used, or null; without resolving the host (see <see cref="CheckUrlAsync"/>).</summary>
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
            return $"{address} is an address of this machine, or a loopback, private, link-local or otherwise special-purpose address "
                + "(SendGate:Webhooks:AllowPrivateNetworks or AllowedHosts allow it).";
        }

        // RFC 6761: localhost and every name under it mean this machine, whatever DNS says.
        if ((uri.IdnHost.Equals("localhost", StringComparison.OrdinalIgnoreCase) || uri.IdnHost.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
            && !Allowed(IPAddress.Loopback, uri.IdnHost))
        {
            return "localhost is refused (SendGate:Webhooks:AllowPrivateNetworks or AllowedHosts allow it).";
        }

        return null;
    }

    /// <summary>
    /// <see cref="CheckUrl"/>, then the host name resolved: a name that leads to this machine or an
    /// internal network is refused when the endpoint is saved, not only later at every connection.
    /// A name that does not resolve (yet) passes here; the connection check still applies.
    /// </summary>
    public async Task<string?> CheckUrlAsync(string? url, CancellationToken cancellationToken)
    {
        if (CheckUrl(url) is { } refused)
        {
            return refused;
        }

        var host = new Uri(url!).IdnHost;
        if (IPAddress.TryParse(host, out _))
        {
            return null;
        }

        IPAddress[] addresses;
        try
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(ResolveLimit);
            addresses = await Dns.GetHostAddressesAsync(host, limit.Token);
        }
        catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }

        // The addresses are not echoed: the answer would tell a caller what internal names resolve to.
        return addresses.Any(a => !Allowed(a, host))
            ? $"{host} resolves to an address of this machine, or a loopback, private, link-local or otherwise special-purpose address "
                + "(SendGate:Webhooks:AllowPrivateNetworks or AllowedHosts allow it)."
            : null;
    }

    public bool Allowed(IPAddress address, string host) =>
        options.Value.AllowPrivateNetworks
        || options.Value.AllowedHosts.Any(h => h.Equals(host, StringComparison.OrdinalIgnoreCase) || h == address.ToString())
        || !(IsInternal(address) || IsLocal(address));

    /// <summary>Resolve, check, then connect to a checked address only.</summary>
    public async ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(endpoint.Host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(endpoint.Host, cancellationToken);
        var allowed = addresses.Where(a => Allowed(a, endpoint.Host)).ToList();
        if (allowed.Count == 0)
        {
            throw new HttpRequestException($"{endpoint.Host} resolves only to internal addresses (this machine or special-purpose ranges); refused.");
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

    /// <summary>Whether the address is one of this machine's own (any interface, including an IPv4 address carried in IPv6).</summary>
    public bool IsLocal(IPAddress address)
    {
        var local = LocalAddresses();
        return local.Contains(Comparable(address)) || (Embedded(address) is { } v4 && local.Contains(v4));
    }

    /// <summary>Whether the address is in a range of the IANA IPv4 or IPv6 special-purpose address registry.</summary>
    public static bool IsInternal(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return SpecialV4.Any(n => n.Contains(address));
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return true;
        }

        if (Embedded(address) is { } v4)
        {
            return IsInternal(v4);
        }

        var plain = Comparable(address);
        return !GlobalUnicast.Contains(plain) || SpecialV6InGlobalUnicast.Any(n => n.Contains(plain));
    }

    /// <summary>The IPv4 address an IPv4-mapped (::ffff:0:0/96), NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address carries.</summary>
    private static IPAddress? Embedded(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return null;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        var plain = Comparable(address);
        var b = plain.GetAddressBytes();
        return Nat64.Contains(plain) ? new IPAddress(b[12..16])
            : SixToFour.Contains(plain) ? new IPAddress(b[2..6])
            : null;
    }

    // A zone (fe80::1%eth0) does not make it a different address.
    private static IPAddress Comparable(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0 ? new IPAddress(address.GetAddressBytes()) : address;

    private HashSet<IPAddress> LocalAddresses()
    {
        var now = time.GetTimestamp();
        lock (_lock)
        {
            if (_local is null || now >= _localUntil)
            {
                _local = _localAddresses().Select(Comparable).ToHashSet();
                _localUntil = now + (long)(LocalAddressLifetime.TotalSeconds * time.TimestampFrequency);
            }

            return _local;
        }
    }

    private static IEnumerable<IPAddress> InterfaceAddresses()
    {
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces().SelectMany(i => i.GetIPProperties().UnicastAddresses).Select(u => u.Address).ToList();
        }
        catch (NetworkInformationException)
        {
            // Without the list, the special-purpose ranges still apply; loopback is among them.
            return [];
        }
    }
}
