using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace SendGate.IntegrationTests.Infrastructure;

/// <summary>
/// Test only: the in-memory test server has no remote address; this takes it from a request
/// header, as Kestrel would give it from the connection, so limits per client can be met.
/// </summary>
public sealed class RemoteAddressFromHeader : IStartupFilter
{
    public const string Header = "X-Test-Remote-Address";

    /// <summary>The same host (same database and clock) with the filter in front of it.</summary>
    public static WebApplicationFactory<Program> Around(SendGateApp app) =>
        app.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<IStartupFilter, RemoteAddressFromHeader>()));

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, proceed) =>
        {
            if (context.Request.Headers.TryGetValue(Header, out var address))
            {
                context.Connection.RemoteIpAddress = IPAddress.Parse(address.ToString());
            }

            return proceed(context);
        });
        next(app);
    };
}
