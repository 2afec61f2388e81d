using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using SendGate.Core.Hosting;

namespace SendGate.UnitTests;

/// <summary>
/// deploy/systemd as shipped: the services run sandboxed as their own user, and every setting the
/// example environment file names is a real one that reaches its options class (a misspelt
/// variable is silently ignored by the configuration, and the host then runs on the default).
/// </summary>
public sealed partial class DeploySettingsTests
{
    private static readonly string Folder = Path.Combine(SqlServerDialectTests.RepositoryRoot(), "deploy", "systemd");

    public static TheoryData<string> Units => new() { "sendgate-api.service", "sendgate-worker.service" };

    [Theory]
    [MemberData(nameof(Units))]
    public void A_unit_runs_as_its_own_user_in_a_sandbox_writing_only_its_state_directory(string unit)
    {
        var service = Service(unit);

        Assert.Equal("sendgate", service["User"].Single());
        Assert.Equal("sendgate", service["Group"].Single());
        foreach (var (name, value) in new[]
        {
            ("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("ProtectHome", "yes"), ("PrivateTmp", "yes"),
            ("StateDirectory", "sendgate"), ("StateDirectoryMode", "0700"), ("UMask", "0077"), ("ReadWritePaths", "/var/lib/sendgate"),
            ("WorkingDirectory", "/var/lib/sendgate"), ("EnvironmentFile", "/etc/sendgate/sendgate.env"), ("Restart", "on-failure"),
            ("CapabilityBoundingSet", ""), ("AmbientCapabilities", ""),
        })
        {
            Assert.True(service.TryGetValue(name, out var values) && values.SequenceEqual([value]), $"{unit}: expected {name}={value}");
        }

        // Longer than the host's own shutdown timeout, so running work is finished, not killed.
        var stop = TimeSpan.FromSeconds(int.Parse(service["TimeoutStopSec"].Single(), CultureInfo.InvariantCulture));
        Assert.True(stop > new HostOptions().ShutdownTimeout, $"{unit}: TimeoutStopSec {stop} is not longer than the host's shutdown timeout");
        Assert.StartsWith("/usr/bin/dotnet /opt/sendgate/", service["ExecStart"].Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_command_line_wrapper_runs_as_the_services_do()
    {
        var api = Service("sendgate-api.service");
        var cli = File.ReadAllText(Path.Combine(Folder, "sendgate-cli"));

        Assert.Contains($"--uid={api["User"].Single()}", cli, StringComparison.Ordinal);
        Assert.Contains($"--working-directory={api["WorkingDirectory"].Single()}", cli, StringComparison.Ordinal);
        Assert.Contains($"--property=EnvironmentFile={api["EnvironmentFile"].Single()}", cli, StringComparison.Ordinal);
        Assert.Contains($"--property=UMask={api["UMask"].Single()}", cli, StringComparison.Ordinal);
        foreach (var environment in api["Environment"])
        {
            Assert.Contains($"--property=Environment={environment}", cli, StringComparison.Ordinal);
        }

        Assert.Contains(api["ExecStart"].Single() + " \"$@\"", cli, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_setting_of_the_example_environment_file_binds_to_an_options_property()
    {
        var settings = ExampleSettings();
        Assert.Contains(settings, s => s.Key == "SendGate:Database:ConnectionString" && s.Active);
        Assert.Contains(settings, s => s.Key == "SendGate:Audit:Key" && !s.Active);

        foreach (var setting in settings)
        {
            Assert.Equal(setting.Value, Bind(setting.Variable, setting.Value), StringComparer.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void Every_setting_of_the_container_files_binds_to_an_options_property()
    {
        var root = SqlServerDialectTests.RepositoryRoot();
        var variables = File.ReadAllLines(Path.Combine(root, "deploy", "compose.yaml"))
            .Concat(File.ReadAllLines(Path.Combine(root, "Dockerfile")))
            .SelectMany(l => ContainerVariable().Matches(l).Select(m => m.Groups[1].Value))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        Assert.Contains("SendGate__Database__ConnectionString", variables);
        Assert.Contains("SendGate__Worker__InProcess", variables);

        // Their values are interpolated by compose: only the names are checked, against the options' properties.
        Assert.All(variables, v =>
        {
            var key = v.Replace("__", ":", StringComparison.Ordinal);
            var section = SectionOf(key);
            var type = Sections[section];
            foreach (var part in key[(section.Length + 1)..].Split(':'))
            {
                var property = type.GetProperty(part, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
                Assert.True(property is { CanWrite: true }, $"{v}: {type.Name} has no settable property {part}");
                type = property.PropertyType;
            }
        });
    }

    private static readonly Dictionary<string, Type> Sections = typeof(Settings).Assembly.GetTypes()
        .Select(t => (Type: t, Section: t.GetField("Section", BindingFlags.Public | BindingFlags.Static)?.GetRawConstantValue() as string))
        .Where(t => t.Section is not null)
        .ToDictionary(t => t.Section!, t => t.Type, StringComparer.OrdinalIgnoreCase);

    /// <summary>The options class of the longest section the key lies in (SendGate:Audit for SendGate:Audit:KeyFile).</summary>
    private static string SectionOf(string key)
    {
        var section = Sections.Keys.Where(s => key.StartsWith(s + ":", StringComparison.OrdinalIgnoreCase)).MaxBy(s => s.Length);
        Assert.True(section is not null, $"no options class binds a section of {key}");
        return section;
    }

    /// <summary>Binds one variable into a fresh instance of its options class, refusing a key no property takes; what arrived, as text.</summary>
    private static string? Bind(string variable, string value)
    {
        var key = variable.Replace("__", ":", StringComparison.Ordinal);
        var section = SectionOf(key);
        var options = Activator.CreateInstance(Sections[section])!;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new(key, value)]).Build();
        try
        {
            configuration.GetSection(section).Bind(options, o => o.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException ex) when (ex.Message.Contains("ErrorOnUnknownConfiguration", StringComparison.Ordinal))
        {
            Assert.Fail($"{variable}: {ex.Message}");
        }

        return Read(options, key[(section.Length + 1)..].Split(':'));
    }

    [Fact]
    public void The_example_environment_file_as_it_stands_passes_the_hosts_checks()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(ExampleSettings().Where(s => s.Active).Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
        var error = new StringWriter();

        Assert.True(Settings.Check(configuration, error), error.ToString());
    }

    [Fact]
    public void Every_path_the_example_sets_is_inside_the_state_directory_the_services_may_write()
    {
        var writable = Service("sendgate-api.service")["ReadWritePaths"].Single();
        Assert.Equal(writable, Service("sendgate-worker.service")["ReadWritePaths"].Single());

        var paths = ExampleSettings()
            .Where(s => s.Active && (s.Key.EndsWith("File", StringComparison.Ordinal) || s.Key.EndsWith("Folder", StringComparison.Ordinal)
                || s.Key.EndsWith("Directory", StringComparison.Ordinal)))
            .Select(s => s.Value)
            .Append(SqliteFile().Match(ExampleSettings().Single(s => s.Key == "SendGate:Database:ConnectionString" && s.Active).Value).Groups[1].Value)
            .ToList();
        Assert.Contains(paths, p => p.EndsWith("/keyring", StringComparison.Ordinal));
        Assert.All(paths, p => Assert.StartsWith(writable + "/", p, StringComparison.Ordinal));
    }

    private sealed record ExampleSetting(string Variable, string Key, string Value, bool Active);

    /// <summary>The SendGate__ lines of sendgate.env.example, set or commented out, as systemd reads a value (surrounding double quotes removed).</summary>
    private static List<ExampleSetting> ExampleSettings() =>
        File.ReadAllLines(Path.Combine(Folder, "sendgate.env.example"))
            .Select(l => EnvironmentLine().Match(l))
            .Where(m => m.Success)
            .Select(m =>
            {
                var value = m.Groups["value"].Value.Trim();
                if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
                {
                    value = value[1..^1];
                }

                var variable = m.Groups["name"].Value;
                return new ExampleSetting(variable, variable.Replace("__", ":", StringComparison.Ordinal), value, m.Groups["comment"].Length == 0);
            })
            .ToList();

    /// <summary>The [Service] section of a unit: each name with its values in order.</summary>
    private static Dictionary<string, List<string>> Service(string unit)
    {
        var service = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var inService = false;
        foreach (var raw in File.ReadAllLines(Path.Combine(Folder, unit)))
        {
            var line = raw.Trim();
            if (line.StartsWith('['))
            {
                inService = line == "[Service]";
            }
            else if (inService && line.Length > 0 && !line.StartsWith('#') && line.IndexOf('=', StringComparison.Ordinal) is var eq and > 0)
            {
                var name = line[..eq];
                if (!service.TryGetValue(name, out var values))
                {
                    service[name] = values = [];
                }

                values.Add(line[(eq + 1)..]);
            }
        }

        return service;
    }

    /// <summary>What the options object holds at <paramref name="path"/> (property names, list indexes), as text.</summary>
    private static string? Read(object options, string[] path)
    {
        object? current = options;
        foreach (var part in path)
        {
            current = current switch
            {
                null => null,
                IList list when int.TryParse(part, CultureInfo.InvariantCulture, out var index) => index < list.Count ? list[index] : null,
                _ => current.GetType().GetProperty(part, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase)?.GetValue(current),
            };
        }

        return current switch
        {
            TimeSpan span => span.ToString("c", CultureInfo.InvariantCulture),
            IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
            _ => current?.ToString(),
        };
    }

    [GeneratedRegex(@"^(?<comment>#\s*)?(?<name>SendGate__[A-Za-z0-9_]+)=(?<value>.*)$")]
    private static partial Regex EnvironmentLine();

    /// <summary>A compose environment key or a Dockerfile ENV name.</summary>
    [GeneratedRegex(@"(?:^|\s)(SendGate__[A-Za-z0-9_]+)[:=]")]
    private static partial Regex ContainerVariable();

    [GeneratedRegex("Data Source=([^;]+)")]
    private static partial Regex SqliteFile();
}
