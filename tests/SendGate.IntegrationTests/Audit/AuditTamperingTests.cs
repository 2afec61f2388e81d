using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using DbUp;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SendGate.Core.Audit;
using SendGate.Core.Data;
using SendGate.Core.Tenants;
using SendGate.IntegrationTests.Infrastructure;

namespace SendGate.IntegrationTests.Audit;

/// <summary>
/// What someone with write access to the database, but not the audit key, can do to the trail —
/// and that <c>GET /v1/audit/verify</c> reports each of it with the first entry affected.
/// </summary>
public sealed class AuditTamperingTests : AppTest
{
    private const int Entries = 8;

    private string _tenantId = "";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        for (var i = 0; i < Entries; i++)
        {
            (await Client.PatchAsJsonAsync("/v1/tenant", new { name = $"Example {i}" })).EnsureSuccessStatusCode();
        }

        _tenantId = (await (await Client.GetAsync("/v1/tenant")).JsonAsync()).Str("id");
    }

    private async Task<JsonElement> VerifyAsync(HttpClient? client = null) => await (await (client ?? Client).GetAsync("/v1/audit/verify")).JsonAsync();

    private async Task ExecuteAsync(string sql, object? args = null)
    {
        await using var connection = await App.Service<IDbConnectionFactory>().OpenAsync();
        await connection.ExecuteAsync(sql, args ?? new { tenantId = _tenantId });
    }

    private async Task<List<AuditRow>> RowsAsync()
    {
        await using var connection = await App.Service<IDbConnectionFactory>().OpenAsync();
        return (await connection.QueryAsync<AuditRow>("""
            SELECT tenant_id AS TenantId, seq AS Seq, at AS At, actor AS Actor, action AS Action, resource AS Resource, detail AS Detail, ip AS Ip,
                   status_code AS StatusCode, prev_hash AS PrevHash, hash AS Hash, chain_version AS ChainVersion
            FROM audit_log WHERE tenant_id = @tenantId ORDER BY seq
            """, new { tenantId = _tenantId })).AsList();
    }

    /// <summary>Changes one entry's actor and computes every hash from there on again, with <paramref name="hash"/>.</summary>
    private async Task RewriteFromAsync(long seq, Func<AuditRow, string> hash, int chainVersion)
    {
        var rows = await RowsAsync();
        var previous = rows.Single(r => r.Seq == seq - 1).Hash;
        foreach (var row in rows.Where(r => r.Seq >= seq))
        {
            var changed = row with { Actor = row.Seq == seq ? "someone else" : row.Actor, PrevHash = previous, ChainVersion = chainVersion };
            changed = changed with { Hash = hash(changed) };
            await ExecuteAsync("UPDATE audit_log SET actor = @Actor, prev_hash = @PrevHash, hash = @Hash, chain_version = @ChainVersion WHERE tenant_id = @TenantId AND seq = @Seq", changed);
            previous = changed.Hash;
        }

        // The head is brought in line too, as far as one can without the key.
        await ExecuteAsync("UPDATE audit_heads SET last_hash = @previous WHERE tenant_id = @tenantId", new { tenantId = _tenantId, previous });
    }

    private static void AssertReported(JsonElement verification, string reason, long firstBrokenSeq)
    {
        Assert.False(verification.GetProperty("intact").GetBoolean(), verification.ToString());
        Assert.Equal(reason, verification.Str("reason"));
        Assert.Equal(firstBrokenSeq, verification.GetProperty("firstBrokenSeq").GetInt64());
        Assert.False(string.IsNullOrWhiteSpace(verification.Str("problem")));
    }

    [Fact]
    public async Task The_untouched_trail_is_intact_and_the_head_counts_it()
    {
        var verification = await VerifyAsync();
        Assert.True(verification.GetProperty("intact").GetBoolean(), verification.ToString());
        Assert.Equal(Entries, verification.GetProperty("entries").GetInt64());
        Assert.Equal(Entries, verification.GetProperty("expectedEntries").GetInt64());
        Assert.Equal(JsonValueKind.Null, verification.GetProperty("firstBrokenSeq").ValueKind);
        Assert.Equal(JsonValueKind.Null, verification.GetProperty("reason").ValueKind);
    }

    [Fact]
    public async Task Deleting_the_last_three_entries_is_reported_from_the_first_one_removed_and_stays_visible_after_new_entries()
    {
        await ExecuteAsync("DELETE FROM audit_log WHERE tenant_id = @tenantId AND seq > @keep", new { tenantId = _tenantId, keep = Entries - 3 });
        var truncated = await VerifyAsync();
        AssertReported(truncated, "truncated", Entries - 2);
        Assert.Equal(Entries - 3, truncated.GetProperty("entries").GetInt64());
        Assert.Equal(Entries, truncated.GetProperty("expectedEntries").GetInt64());

        // The next entry continues from the signed head, so the gap cannot be written over.
        (await Client.PatchAsJsonAsync("/v1/tenant", new { name = "After" })).EnsureSuccessStatusCode();
        AssertReported(await VerifyAsync(), "removed", Entries - 2);
        Assert.Equal(Entries + 1, (await RowsAsync())[^1].Seq);
    }

    [Fact]
    public async Task Deleting_the_whole_trail_is_reported()
    {
        await ExecuteAsync("DELETE FROM audit_log WHERE tenant_id = @tenantId");
        var verification = await VerifyAsync();
        AssertReported(verification, "truncated", 1);
        Assert.Equal(0, verification.GetProperty("entries").GetInt64());
        Assert.Contains($"all {Entries} entries", verification.Str("problem"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Altering_an_entry_and_computing_the_plain_sha256_chain_again_is_reported()
    {
        await RewriteFromAsync(3, AuditTrail.HashOf, AuditTrail.UnkeyedChain);
        AssertReported(await VerifyAsync(), "altered", 3);

        // Kept as a keyed entry, the plain hash does not pass for its HMAC either.
        await RewriteFromAsync(3, AuditTrail.HashOf, AuditTrail.KeyedChain);
        AssertReported(await VerifyAsync(), "altered", 3);
    }

    [Fact]
    public async Task Altering_an_entry_and_computing_an_hmac_chain_with_another_key_is_reported()
    {
        var otherKey = new AuditTrail(App.Service<IDbConnectionFactory>(), App.Time,
            Options.Create(new AuditOptions { Key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) }), NullLogger<AuditTrail>.Instance);
        await RewriteFromAsync(5, otherKey.MacOf, AuditTrail.KeyedChain);
        AssertReported(await VerifyAsync(), "altered", 5);
    }

    [Fact]
    public async Task A_deleted_or_forged_head_is_reported()
    {
        await ExecuteAsync("UPDATE audit_heads SET entries = entries - 2 WHERE tenant_id = @tenantId");
        await ExecuteAsync("DELETE FROM audit_log WHERE tenant_id = @tenantId AND seq > @keep", new { tenantId = _tenantId, keep = Entries - 2 });
        var forged = await VerifyAsync();
        AssertReported(forged, "head-mismatch", Entries - 1);
        Assert.Equal(JsonValueKind.Null, forged.GetProperty("expectedEntries").ValueKind);

        await ExecuteAsync("DELETE FROM audit_heads WHERE tenant_id = @tenantId");
        AssertReported(await VerifyAsync(), "head-missing", Entries - 1);

        // New entries are still recorded, but they do not bring back a head nobody can vouch for.
        (await Client.PatchAsJsonAsync("/v1/tenant", new { name = "After" })).EnsureSuccessStatusCode();
        AssertReported(await VerifyAsync(), "head-missing", Entries);
    }

    [Fact]
    public async Task An_entry_added_behind_SendGates_back_is_reported()
    {
        var last = (await RowsAsync())[^1];
        await ExecuteAsync("""
            INSERT INTO audit_log (tenant_id, seq, at, actor, action, status_code, prev_hash, hash, chain_version)
            VALUES (@TenantId, @Seq, @At, 'intruder', 'POST /v1/nothing', 200, @PrevHash, @Hash, 2)
            """, last with { Seq = last.Seq + 1, PrevHash = last.Hash, Hash = new string('a', 64) });
        AssertReported(await VerifyAsync(), "altered", Entries + 1);
    }

    [Fact]
    public async Task An_older_signed_head_put_back_is_reported_where_it_ends()
    {
        const string columns = "tenant_id AS TenantId, entries AS Entries, last_hash AS LastHash, keyed_from AS KeyedFrom, signature AS Signature, updated_at AS UpdatedAt";
        (string TenantId, long Entries, string LastHash, long? KeyedFrom, string Signature, long UpdatedAt) saved;
        await using (var connection = await App.Service<IDbConnectionFactory>().OpenAsync())
        {
            saved = await connection.QuerySingleAsync<(string, long, string, long?, string, long)>(
                $"SELECT {columns} FROM audit_heads WHERE tenant_id = @tenantId", new { tenantId = _tenantId });
        }

        (await Client.PatchAsJsonAsync("/v1/tenant", new { name = "Later 1" })).EnsureSuccessStatusCode();
        (await Client.PatchAsJsonAsync("/v1/tenant", new { name = "Later 2" })).EnsureSuccessStatusCode();
        await ExecuteAsync("""
            UPDATE audit_heads SET entries = @Entries, last_hash = @LastHash, keyed_from = @KeyedFrom, signature = @Signature, updated_at = @UpdatedAt
            WHERE tenant_id = @TenantId
            """, new { saved.TenantId, saved.Entries, saved.LastHash, saved.KeyedFrom, saved.Signature, saved.UpdatedAt });
        AssertReported(await VerifyAsync(), "inserted", Entries + 1);
    }

    [Fact]
    public async Task The_other_tenants_trail_is_not_affected()
    {
        using var other = App.ClientFor(await App.CreateOtherTenantAdminKeyAsync());
        (await other.PatchAsJsonAsync("/v1/tenant", new { name = "Other" })).EnsureSuccessStatusCode();
        await ExecuteAsync("DELETE FROM audit_log WHERE tenant_id = @tenantId");
        Assert.False((await VerifyAsync()).GetProperty("intact").GetBoolean());
        Assert.True((await VerifyAsync(other)).GetProperty("intact").GetBoolean());
    }
}

/// <summary>A trail written before the keyed chain (migration 0015) keeps verifying after the upgrade, and is sealed once.</summary>
public sealed class AuditUpgradeTests
{
    [Fact]
    public async Task Entries_written_with_the_plain_chain_before_the_upgrade_still_verify_and_are_sealed_once()
    {
        if (TestDatabase.SqlServer is not null)
        {
            Console.WriteLine("Not run against SQL Server: it builds a SQLite database as of migration 0014 by hand.");
            return;
        }

        var folder = Path.Combine(Path.GetTempPath(), "sendgate-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            // The database as it was before this version: migrations up to 0014, a tenant, and five
            // entries chained with plain SHA-256 as that version wrote them.
            var connectionString = $"Data Source={Path.Combine(folder, "sendgate.db")}";
            var upgrade = DeployChanges.To.SqliteDatabase(connectionString)
                .WithScriptsEmbeddedInAssembly(typeof(AuditTrail).Assembly,
                    name => name.StartsWith("sql.sqlite.", StringComparison.Ordinal) && string.CompareOrdinal(name, "sql.sqlite.0015") < 0)
                .WithTransactionPerScript().LogToNowhere().Build().PerformUpgrade();
            Assert.True(upgrade.Successful, upgrade.Error?.ToString());
            const string tenantId = "tnt_legacy";
            await using (var connection = new SqliteConnection(connectionString))
            {
                await connection.ExecuteAsync("INSERT INTO tenants (id, name, created_at) VALUES (@tenantId, 'Legacy', 0)", new { tenantId });
                var previous = AuditTrail.Genesis;
                for (var seq = 1; seq <= 5; seq++)
                {
                    var row = new AuditRow
                    {
                        TenantId = tenantId, Seq = seq, At = SendGateApp.Start.AddMinutes(-60 + seq).ToUnixTimeMilliseconds(), Actor = "api-key:key_old",
                        Action = "PATCH /v1/tenant", Resource = seq % 2 == 0 ? "id=x" : null, Detail = null, Ip = "192.0.2.10", StatusCode = 200, PrevHash = previous,
                    };
                    row = row with { Hash = AuditTrail.HashOf(row) };
                    await connection.ExecuteAsync("""
                        INSERT INTO audit_log (tenant_id, seq, at, actor, action, resource, detail, ip, status_code, prev_hash, hash)
                        VALUES (@TenantId, @Seq, @At, @Actor, @Action, @Resource, @Detail, @Ip, @StatusCode, @PrevHash, @Hash)
                        """, row);
                    previous = row.Hash;
                }
            }

            SqliteConnection.ClearAllPools();
            string secret;
            await using (var app = new SendGateApp(folder: folder))
            {
                (_, secret) = await app.Service<TenantStore>().CreateKeyAsync(tenantId, "admin", [Roles.Admin]);
                using var client = app.ClientFor(secret);
                var verification = await (await client.GetAsync("/v1/audit/verify")).JsonAsync();
                Assert.True(verification.GetProperty("intact").GetBoolean(), verification.ToString());
                Assert.Equal(6, verification.GetProperty("entries").GetInt64());

                var seal = (await (await client.GetAsync("/v1/audit?limit=1")).JsonAsync()).GetProperty("items")[0];
                Assert.Equal("SEAL audit trail", seal.Str("action"));
                Assert.Equal("system:upgrade", seal.Str("actor"));
                Assert.Contains("Entries 1 to 5", seal.Str("detail"), StringComparison.Ordinal);

                (await client.PatchAsJsonAsync("/v1/tenant", new { name = "Legacy, upgraded" })).EnsureSuccessStatusCode();
                Assert.True((await (await client.GetAsync("/v1/audit/verify")).JsonAsync()).GetProperty("intact").GetBoolean());

                // An old entry changed and its plain chain computed again: the seal still notices.
                await using var connection = await app.Service<IDbConnectionFactory>().OpenAsync();
                var rows = (await connection.QueryAsync<AuditRow>("""
                    SELECT tenant_id AS TenantId, seq AS Seq, at AS At, actor AS Actor, action AS Action, resource AS Resource, detail AS Detail, ip AS Ip,
                           status_code AS StatusCode, prev_hash AS PrevHash, hash AS Hash, chain_version AS ChainVersion
                    FROM audit_log WHERE tenant_id = @tenantId AND seq <= 5 ORDER BY seq
                    """, new { tenantId })).AsList();
                Assert.All(rows, r => Assert.Equal(AuditTrail.UnkeyedChain, r.ChainVersion));
                var previous = rows[1].Hash;
                foreach (var row in rows.Skip(2))
                {
                    var changed = row with { Actor = row.Seq == 3 ? "someone else" : row.Actor, PrevHash = previous };
                    changed = changed with { Hash = AuditTrail.HashOf(changed) };
                    await connection.ExecuteAsync("UPDATE audit_log SET actor = @Actor, prev_hash = @PrevHash, hash = @Hash WHERE tenant_id = @TenantId AND seq = @Seq", changed);
                    previous = changed.Hash;
                }

                var rewritten = await (await client.GetAsync("/v1/audit/verify")).JsonAsync();
                Assert.False(rewritten.GetProperty("intact").GetBoolean());
                Assert.Equal("altered", rewritten.Str("reason"));
                Assert.Equal(5, rewritten.GetProperty("firstBrokenSeq").GetInt64());
            }

            // A second start finds nothing to seal: one seal entry only.
            SqliteConnection.ClearAllPools();
            await using (var again = new SendGateApp(folder: folder))
            {
                using var client = again.ClientFor(secret);
                var seals = (await (await client.GetAsync("/v1/audit?action=SEAL")).JsonAsync()).GetProperty("items").GetArrayLength();
                Assert.Equal(1, seals);
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }
}
