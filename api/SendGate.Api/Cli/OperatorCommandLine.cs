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
        Roles: sender, reviewer, approver, admin. Uses the service's configuration (appsettings.json, SendGate__... variables).
        """;

    /// <summary>The process's exit code when it must not go on to serve; null to start the web server.</summary>
    public static async Task<int?> RunAsync(string[] args, IConfiguration configuration)
    {
        if (!Settings.Check(configuration, Console.Error, s => s.AddRateLimitSettings().AddSmtpIngressSettings()))
        {
            return Refused;
        }

        if (args.Length == 0 || args[0] != "keys")
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
            return await RunKeysAsync(args[1..], provider, output, error);
        }
        catch (UsageException ex)
        {
            error.WriteLine($"SendGate: {ex.Message}");
            error.WriteLine(Usage);
            return Refused;
        }
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
