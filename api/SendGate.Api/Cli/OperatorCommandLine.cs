using SendGate.Api.Infrastructure;
using SendGate.Api.SmtpIngress;
using SendGate.Core;
using SendGate.Core.Audit;
using SendGate.Core.Data;
using SendGate.Core.Hosting;
using SendGate.Core.Tenants;

namespace SendGate.Api.Cli;

/// <summary>
/// What runs before the web server: the settings check, and the operator's commands on the host
/// (<c>keys create</c>, <c>keys list</c>), which use the service's own configuration and database
/// and exit without serving. The way back in when every admin key of a tenant is lost: the
/// bootstrap key only ever applies to an empty database.
/// </summary>
internal static class OperatorCommandLine
{
    public const int Refused = 2;

    private const string Usage = """
        Usage:
          SendGate.Api keys create --tenant <name or id> --name <key name> --role <role> [--role <role> ...] [--approver-address <address>]
          SendGate.Api keys list --tenant <name or id>
          SendGate.Api operator create-key --name <key name>
          SendGate.Api operator list-keys
          SendGate.Api operator revoke-key --id <key id>
          SendGate.Api migrate
          SendGate.Api audit verify (--tenant <name or id> | --operator)
        Roles: sender, reviewer, approver, admin. Uses the service's configuration (appsettings.json, SendGate__... variables).
        """;

    private static readonly string[] Commands = ["keys", "operator", "migrate", "audit"];

    /// <summary>The process's exit code when it must not go on to serve; null to start the web server.</summary>
    public static async Task<int?> RunAsync(string[] args, IConfiguration configuration)
    {
        if (!Settings.Check(configuration, Console.Error, s => s.AddRateLimitSettings().AddSmtpIngressSettings()))
        {
            return Refused;
        }

        if (args.Length == 0 || !Commands.Contains(args[0]))
        {
            return null;
        }

        var services = new ServiceCollection().AddSingleton(configuration).AddLogging();
        services.AddSendGateCore();
        await using var provider = services.BuildServiceProvider();
        var output = Console.Out;
        var error = Console.Error;
        try
        {
            return args[0] switch
            {
                "keys" => await RunKeysAsync(args[1..], provider, output, error),
                "operator" => await RunOperatorAsync(args[1..], provider, output, error),
                "migrate" => await MigrateAsync(args[1..], provider, output),
                _ => await RunAuditAsync(args[1..], provider, output, error),
            };
        }
        catch (UsageException ex)
        {
            error.WriteLine($"SendGate: {ex.Message}");
            error.WriteLine(Usage);
            return Refused;
        }
    }

    /// <summary>Brings the database up to date and exits: for a deployment that migrates before it starts the new version.</summary>
    private static async Task<int> MigrateAsync(string[] args, IServiceProvider services, TextWriter output)
    {
        Expect(Parse(args));
        var migrator = services.GetRequiredService<DatabaseMigrator>();
        var pending = migrator.PendingScripts();
        await migrator.MigrateAsync();
        output.WriteLine(pending.Count == 0 ? "The database is up to date." : $"Applied {pending.Count} migration(s): {string.Join(", ", pending)}.");
        return 0;
    }

    /// <summary>
    /// The operator's keys, made on the machine: the first one can only come from here, as the
    /// operator API itself needs one. The secret is printed once; the trail records who made it.
    /// </summary>
    private static async Task<int> RunOperatorAsync(string[] args, IServiceProvider services, TextWriter output, TextWriter error)
    {
        var verb = args.Length > 0 ? args[0] : throw new UsageException("operator needs a verb: create-key, list-keys or revoke-key.");
        var options = Parse(args[1..]);
        if (await NotMigratedAsync(services, error) is { } refused)
        {
            return refused;
        }

        var keys = services.GetRequiredService<OperatorKeys>();
        var actor = $"operator:{Environment.UserName}@{Environment.MachineName}";
        switch (verb)
        {
            case "create-key":
                Expect(options, "name");
                var name = Single(options, "name")?.Trim();
                if (string.IsNullOrEmpty(name) || name.Length > 200 || name.Any(char.IsControl))
                {
                    throw new UsageException("--name is required: 1 to 200 characters without control characters.");
                }

                if (await AuditKeyMissingAsync(services, error) is { } missing)
                {
                    return missing;
                }

                var (key, secret) = await keys.CreateAsync(name);
                await services.GetRequiredService<OperatorTrail>().RecordAsync(actor, "CLI operator create-key", $"id={key.Id}", $"channel=cli; name={name}", null,
                    StatusCodes.Status201Created);
                output.WriteLine($"Created operator key {key.Id} ({name}).");
                output.WriteLine("The secret is shown this once and cannot be read again; store it now:");
                output.WriteLine(secret);
                return 0;
            case "list-keys":
                Expect(options);
                foreach (var row in await keys.ListAsync())
                {
                    var state = row.RevokedAt is { } revoked ? $"revoked {Rfc3339.Format(Clock.FromMs(revoked))}" : "active";
                    output.WriteLine($"{row.Id}  {row.Prefix}…  {state,-32}  {row.Name}");
                }

                return 0;
            case "revoke-key":
                Expect(options, "id");
                var id = Single(options, "id") ?? throw new UsageException("--id is required.");
                if (!await keys.RevokeAsync(id))
                {
                    error.WriteLine($"SendGate: no active operator key has the id '{id}'.");
                    return 1;
                }

                await services.GetRequiredService<OperatorTrail>().RecordAsync(actor, "CLI operator revoke-key", $"id={id}", "channel=cli", null, StatusCodes.Status204NoContent);
                output.WriteLine($"Revoked operator key {id}.");
                return 0;
            default:
                throw new UsageException($"'{verb}' is not an operator verb: use create-key, list-keys or revoke-key.");
        }
    }

    /// <summary>Checks a tenant's trail (or the operator's) with the service's key; exit code 3 when it is not intact.</summary>
    private static async Task<int> RunAuditAsync(string[] args, IServiceProvider services, TextWriter output, TextWriter error)
    {
        var verb = args.Length > 0 ? args[0] : throw new UsageException("audit needs a verb: verify.");
        if (verb != "verify")
        {
            throw new UsageException($"'{verb}' is not an audit verb: use verify.");
        }

        var options = Parse(args[1..].Select(a => a == "--operator" ? "--operator=yes" : a).ToArray());
        Expect(options, "tenant", "operator");
        if (await NotMigratedAsync(services, error) is { } refused)
        {
            return refused;
        }

        if (await AuditKeyMissingAsync(services, error) is { } missing)
        {
            return missing;
        }

        AuditVerification result;
        string what;
        if (Single(options, "operator") is not null)
        {
            result = await services.GetRequiredService<OperatorTrail>().VerifyAsync();
            what = "The operator's trail";
        }
        else
        {
            var tenantName = Single(options, "tenant") ?? throw new UsageException("--tenant or --operator is required.");
            var found = await services.GetRequiredService<TenantStore>().FindTenantsAsync(tenantName);
            if (found.Count != 1)
            {
                error.WriteLine(found.Count == 0
                    ? $"SendGate: no tenant has the name or id '{tenantName}'."
                    : $"SendGate: {found.Count} tenants are named '{tenantName}'; give one of their ids: {string.Join(", ", found.Select(t => t.Id))}.");
                return 1;
            }

            result = await services.GetRequiredService<AuditTrail>().VerifyAsync(found[0].Id);
            what = $"The audit trail of tenant '{found[0].Name}' ({found[0].Id})";
        }

        if (result.Intact)
        {
            output.WriteLine($"{what} is intact: {result.Entries} entries.");
            return 0;
        }

        output.WriteLine($"{what} is NOT intact: {result.Finding} at entry {result.FirstBrokenSeq} ({result.Problem}).");
        return 3;
    }

    private static Task<int?> NotMigratedAsync(IServiceProvider services, TextWriter error)
    {
        var pending = services.GetRequiredService<DatabaseMigrator>().PendingScripts();
        if (pending.Count > 0)
        {
            error.WriteLine($"SendGate: the database is not up to date ({pending.Count} migration(s) pending); run 'migrate' or start the service once, then run this again.");
            return Task.FromResult<int?>(1);
        }

        return Task.FromResult<int?>(null);
    }

    /// <summary>The trail must be written and checked with the service's key: from another folder a relative key file would not be found and a new key made.</summary>
    private static Task<int?> AuditKeyMissingAsync(IServiceProvider services, TextWriter error)
    {
        var audit = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AuditOptions>>().Value;
        if (string.IsNullOrEmpty(audit.Key) && !File.Exists(audit.KeyFile))
        {
            error.WriteLine($"SendGate: the audit key file {Path.GetFullPath(audit.KeyFile)} does not exist; run this in the service's folder with its settings (SendGate:Audit:KeyFile).");
            return Task.FromResult<int?>(1);
        }

        return Task.FromResult<int?>(null);
    }

    private static async Task<int> RunKeysAsync(string[] args, IServiceProvider services, TextWriter output, TextWriter error)
    {
        var verb = args.Length > 0 ? args[0] : throw new UsageException("keys needs a verb: create or list.");
        var options = Parse(args[1..]);
        var tenantName = Single(options, "tenant") ?? throw new UsageException("--tenant is required.");

        // Against an older schema the statements below would fail half-way; the service migrates on start.
        var pending = services.GetRequiredService<DatabaseMigrator>().PendingScripts();
        if (pending.Count > 0)
        {
            error.WriteLine($"SendGate: the database is not up to date ({pending.Count} migration(s) pending); start the service once, then run this again.");
            return 1;
        }

        // create records what it did in the audit trail, with the service's key; from another folder a relative
        // key file would not be found, a new key made, and the trail's chain broken by the entry written with it.
        var audit = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AuditOptions>>().Value;
        if (verb == "create" && string.IsNullOrEmpty(audit.Key) && !File.Exists(audit.KeyFile))
        {
            error.WriteLine($"SendGate: the audit key file {Path.GetFullPath(audit.KeyFile)} does not exist; run this in the service's folder with its settings (SendGate:Audit:KeyFile).");
            return 1;
        }

        var tenants = services.GetRequiredService<TenantStore>();
        var found = await tenants.FindTenantsAsync(tenantName);
        if (found.Count != 1)
        {
            error.WriteLine(found.Count == 0
                ? $"SendGate: no tenant has the name or id '{tenantName}'."
                : $"SendGate: {found.Count} tenants are named '{tenantName}'; give one of their ids: {string.Join(", ", found.Select(t => t.Id))}.");
            return 1;
        }

        var tenant = found[0];
        switch (verb)
        {
            case "list":
                Expect(options, "tenant");
                foreach (var key in await tenants.ListKeysAsync(tenant.Id))
                {
                    var state = key.RevokedAt is { } revoked ? $"revoked {Rfc3339.Format(Clock.FromMs(revoked))}" : "active";
                    output.WriteLine($"{key.Id}  {key.Prefix}…  {string.Join(',', key.RoleList),-24}  {state,-32}  {key.Name}");
                }

                return 0;
            case "create":
                Expect(options, "tenant", "name", "role", "approver-address");
                return await CreateAsync(tenant, options, services, output);
            default:
                throw new UsageException($"'{verb}' is not a keys verb: use create or list.");
        }
    }

    private static async Task<int> CreateAsync(TenantRow tenant, Dictionary<string, List<string>> options, IServiceProvider services, TextWriter output)
    {
        var name = Single(options, "name")?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 200 || name.Any(char.IsControl))
        {
            throw new UsageException("--name is required: 1 to 200 characters without control characters.");
        }

        var roles = options.GetValueOrDefault("role", []).SelectMany(r => r.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct().ToList();
        if (roles.Count == 0)
        {
            throw new UsageException("--role is required.");
        }

        if (roles.FirstOrDefault(r => !Roles.IsKnown(r)) is { } unknown)
        {
            throw new UsageException($"'{unknown}' is not a role.");
        }

        var approver = Single(options, "approver-address")?.Trim();
        if (roles.Contains(Roles.Approver) != (approver is not null) || (approver is not null && (!approver.Contains('@', StringComparison.Ordinal) || approver.Any(char.IsWhiteSpace))))
        {
            throw new UsageException("--approver-address (an e-mail address) goes with the approver role, and only with it.");
        }

        var (key, secret) = await services.GetRequiredService<TenantStore>().CreateKeyAsync(tenant.Id, name, roles, approver);
        // Whoever ran it on the machine, as far as the machine can tell: there is no API key to name.
        var actor = $"operator:{Environment.UserName}@{Environment.MachineName}";
        await services.GetRequiredService<AuditTrail>().RecordAsync(new AuditEntry(tenant.Id, actor, "CLI keys create", $"id={key.Id}",
            $"channel=cli; name={name}; roles={string.Join(',', roles)}", null, StatusCodes.Status201Created));

        output.WriteLine($"Created API key {key.Id} ({name}; {string.Join(", ", roles)}) for tenant '{tenant.Name}' ({tenant.Id}).");
        output.WriteLine("The secret is shown this once and cannot be read again; store it now:");
        output.WriteLine(secret);
        return 0;
    }

    private static Dictionary<string, List<string>> Parse(string[] args)
    {
        var options = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || args[i].Length == 2)
            {
                throw new UsageException($"unexpected '{args[i]}'.");
            }

            var option = args[i][2..];
            var equals = option.IndexOf('=', StringComparison.Ordinal);
            string value;
            if (equals >= 0)
            {
                value = option[(equals + 1)..];
                option = option[..equals];
            }
            else if (i + 1 < args.Length)
            {
                value = args[++i];
            }
            else
            {
                throw new UsageException($"--{option} needs a value.");
            }

            if (!options.TryGetValue(option, out var values))
            {
                options[option] = values = [];
            }

            values.Add(value);
        }

        return options;
    }

    private static string? Single(Dictionary<string, List<string>> options, string option) =>
        options.TryGetValue(option, out var values)
            ? values.Count == 1 ? values[0] : throw new UsageException($"--{option} is given {values.Count} times.")
            : null;

    private static void Expect(Dictionary<string, List<string>> options, params string[] known)
    {
        if (options.Keys.FirstOrDefault(o => !known.Contains(o)) is { } unknown)
        {
            throw new UsageException($"--{unknown} is not an option of this command.");
        }
    }

    private sealed class UsageException(string message) : Exception(message);
}
