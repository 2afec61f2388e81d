using System.Net;
using SendGate.IntegrationTests.Infrastructure;

namespace SendGate.IntegrationTests;

public sealed class ApiKeyCacheTests
{
    [Fact]
    public async Task A_key_revoked_on_one_host_stops_working_on_another_within_the_cache_duration()
    {
        await using var first = new SendGateApp();
        await using var second = new SendGateApp(folder: first.Folder, time: first.Time);
        var key = await first.CreateKeyAsync("reviewer");
        using var onSecond = second.ClientFor(key);
        Assert.Equal(HttpStatusCode.OK, (await onSecond.GetAsync("/v1/messages")).StatusCode);

        using var admin = first.Admin();
        var id = (await (await admin.GetAsync("/v1/api-keys")).JsonAsync()).GetProperty("items").EnumerateArray()
            .Single(k => k.GetProperty("roles")[0].GetString() == "reviewer").Str("id");
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/v1/api-keys/{id}")).StatusCode);

        using var onFirst = first.ClientFor(key);
        Assert.Equal(HttpStatusCode.Unauthorized, (await onFirst.GetAsync("/v1/messages")).StatusCode);

        first.Time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.Unauthorized, (await onSecond.GetAsync("/v1/messages")).StatusCode);
    }
}
