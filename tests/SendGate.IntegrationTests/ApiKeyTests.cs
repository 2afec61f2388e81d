using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;

namespace SendGate.IntegrationTests;

/// <summary><c>/v1/api-keys</c>: the secret is shown once, revocation is final, the last admin key stays.</summary>
public sealed class ApiKeyTests : AppTest
{
    [Fact]
    public async Task Created_key_is_shown_once_and_works()
    {
        var response = await Client.PostAsJsonAsync("/v1/api-keys", new { name = "billing app", roles = new[] { "sender" } });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.JsonAsync();
        var id = created.Str("id");
        var secret = created.Str("key");
        Assert.Equal($"/v1/api-keys/{id}", response.Headers.Location?.OriginalString);
        Assert.StartsWith("sg_", secret);
        Assert.True(secret.Length >= 40, "the secret carries 256 random bits");
        Assert.Equal("billing app", created.Str("name"));
        Assert.Equal(["sender"], created.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.StartsWith(created.Str("prefix"), secret);
        Assert.True(created.Str("prefix").Length < secret.Length / 2);

        using var client = App.ClientFor(secret);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/v1/messages", Mail())).StatusCode);

        var listText = await Client.GetStringAsync("/v1/api-keys");
        var oneText = await Client.GetStringAsync($"/v1/api-keys/{id}");
        foreach (var text in new[] { listText, oneText })
        {
            Assert.DoesNotContain(secret, text);
            Assert.DoesNotContain(secret[10..], text);
            Assert.DoesNotContain(Sha256Hex(secret), text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(SendGateApp.AdminKey, text);
            Assert.DoesNotContain("\"key\"", text);
            Assert.DoesNotContain("hash", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("secret", text, StringComparison.OrdinalIgnoreCase);
        }

        var listed = JsonDocument.Parse(listText).RootElement.GetProperty("items").EnumerateArray().Single(k => k.Str("id") == id);
        Assert.Equal(created.Str("prefix"), listed.Str("prefix"));
        Assert.Equal(JsonValueKind.Null, listed.GetProperty("revokedAt").ValueKind);
    }

    [Fact]
    public async Task Revoked_key_no_longer_authenticates_and_shows_when_it_was_revoked()
    {
        var (id, secret) = await CreateAsync("sender");
        using var client = App.ClientFor(secret);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/messages")).StatusCode);
        App.Time.Advance(TimeSpan.FromMinutes(3));

        var revoke = await Client.DeleteAsync($"/v1/api-keys/{id}");

        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        Assert.Empty(await revoke.Content.ReadAsByteArrayAsync());
        await (await client.GetAsync("/v1/messages")).ProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        var key = await (await Client.GetAsync($"/v1/api-keys/{id}")).JsonAsync();
        Assert.Equal(SendGateApp.Start.AddMinutes(3), key.GetProperty("revokedAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task Revoking_twice_is_a_conflict()
    {
        var (id, _) = await CreateAsync("reviewer");
        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync($"/v1/api-keys/{id}")).StatusCode);

        var again = await Client.DeleteAsync($"/v1/api-keys/{id}");

        var problem = await again.ProblemAsync(HttpStatusCode.Conflict, "already-revoked");
        Assert.Contains(id, problem.Str("detail"));
    }

    [Fact]
    public async Task Revoking_an_unknown_key_is_not_found()
    {
        await (await Client.DeleteAsync("/v1/api-keys/key_nope")).ProblemAsync(HttpStatusCode.NotFound, "not-found");
        await (await Client.GetAsync("/v1/api-keys/key_nope")).ProblemAsync(HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task The_lastClient_key_cannot_be_revoked()
    {
        var bootstrap = await BootstrapKeyIdAsync();

        var response = await Client.DeleteAsync($"/v1/api-keys/{bootstrap}");

        var problem = await response.ProblemAsync(HttpStatusCode.Conflict, "last-admin-key");
        Assert.Contains("admin", problem.Str("detail"));
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync("/v1/api-keys")).StatusCode);
    }

    [Fact]
    public async Task With_a_secondClient_the_first_can_go_and_the_second_becomes_the_last()
    {
        var bootstrap = await BootstrapKeyIdAsync();
        var (second, secret) = await CreateAsync("admin", "sender");
        using var newAdmin = App.ClientFor(secret);

        Assert.Equal(HttpStatusCode.NoContent, (await newAdmin.DeleteAsync($"/v1/api-keys/{bootstrap}")).StatusCode);
        await (await Client.GetAsync("/v1/api-keys")).ProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");

        await (await newAdmin.DeleteAsync($"/v1/api-keys/{second}")).ProblemAsync(HttpStatusCode.Conflict, "last-admin-key");
    }

    [Fact]
    public async Task RevokedClient_keys_do_not_count_as_the_otherClient()
    {
        var bootstrap = await BootstrapKeyIdAsync();
        var (other, _) = await CreateAsync("admin");
        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync($"/v1/api-keys/{other}")).StatusCode);

        await (await Client.DeleteAsync($"/v1/api-keys/{bootstrap}")).ProblemAsync(HttpStatusCode.Conflict, "last-admin-key");
    }

    [Theory]
    [InlineData("superuser", "roles[0]")]
    [InlineData("Admin", "roles[0]")]
    public async Task Unknown_role_is_a_field_error(string role, string field)
    {
        var response = await Client.PostAsJsonAsync("/v1/api-keys", new { name = "n", roles = new[] { role } });

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, "invalid-field", field);
        Assert.Contains(role, problem.Str("detail"));
        await AssertOnlyBootstrapKeyAsync();
    }

    [Fact]
    public async Task Unknown_role_among_known_ones_names_its_index()
    {
        var response = await Client.PostAsJsonAsync("/v1/api-keys", new { name = "n", roles = new[] { "sender", "root" } });

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, "invalid-field", "roles[1]");
        Assert.False(problem.GetProperty("errors").TryGetProperty("roles[0]", out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    [InlineData("line\nbreak")]
    public async Task Empty_or_control_character_name_is_a_field_error(string? name)
    {
        var response = await Client.PostAsJsonAsync("/v1/api-keys", new { name, roles = new[] { "sender" } });

        await response.ProblemAsync(HttpStatusCode.BadRequest, "invalid-field", "name");
        await AssertOnlyBootstrapKeyAsync();
    }

    [Fact]
    public async Task Missing_roles_and_name_are_both_reported()
    {
        var response = await Client.PostAsJsonAsync("/v1/api-keys", new { });

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, "invalid-field", "name");
        Assert.True(problem.GetProperty("errors").TryGetProperty("roles", out _));
        await AssertOnlyBootstrapKeyAsync();
    }

    [Fact]
    public async Task Malformed_json_is_a_problem_too()
    {
        using var content = new StringContent("{\"name\": \"x\", \"roles\": ", Encoding.UTF8, "application/json");

        var response = await Client.PostAsync("/v1/api-keys", content);

        await response.ProblemAsync(HttpStatusCode.BadRequest, "malformed-json", "roles");
        await AssertOnlyBootstrapKeyAsync();
    }

    [Fact]
    public async Task A_misspelt_member_is_named_not_ignored()
    {
        var response = await Client.PostAsJsonAsync("/v1/api-keys", new { name = "承認者", roles = new[] { "approver" }, aproverAddress = "boss@example.co.jp" });

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, "malformed-json");
        Assert.Contains("aproverAddress", problem.Str("detail"), StringComparison.Ordinal);
        await AssertOnlyBootstrapKeyAsync();
    }

    private async Task<(string Id, string Secret)> CreateAsync(params string[] roles)
    {
        var response = await Client.PostAsJsonAsync("/v1/api-keys", new { name = $"key {string.Join('+', roles)}", roles });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.JsonAsync();
        return (body.Str("id"), body.Str("key"));
    }

    private async Task<string> BootstrapKeyIdAsync()
    {
        var keys = (await (await Client.GetAsync("/v1/api-keys")).JsonAsync()).GetProperty("items").EnumerateArray();
        var bootstrap = Assert.Single(keys);
        Assert.Equal(["admin"], bootstrap.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.StartsWith(bootstrap.Str("prefix"), SendGateApp.AdminKey);
        return bootstrap.Str("id");
    }

    private async Task AssertOnlyBootstrapKeyAsync() =>
        Assert.Single((await (await Client.GetAsync("/v1/api-keys")).JsonAsync()).GetProperty("items").EnumerateArray());

    private static string Sha256Hex(string secret) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
}
