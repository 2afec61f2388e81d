using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace SendGate.Core.Hosting;

/// <summary>
/// The plausible range of a <see cref="TimeSpan"/> setting, in the settings' own form (<c>[d.]hh:mm[:ss[.fff]]</c>).
/// Every duration option carries one: <see cref="Settings"/> refuses to bind a class with a duration that has none.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class DurationAttribute(string min, string max) : Attribute
{
    public TimeSpan Min { get; } = TimeSpan.ParseExact(min, "c", CultureInfo.InvariantCulture);

    public TimeSpan Max { get; } = TimeSpan.ParseExact(max, "c", CultureInfo.InvariantCulture);
}

/// <summary>
/// Binds SendGate's options and checks every value's form before the configuration binder sees it:
/// the binder alone stops the host with its stack trace at the first value it cannot convert, and
/// it reads a bare number as days (<c>Smtp:Timeout=5</c> is five days). Each refusal names the
/// setting, the value and the accepted form, as an <see cref="OptionsValidationException"/> like any
/// other validation failure, so <see cref="Check"/> reports them all the same way.
/// </summary>
public static class Settings
{
    public const string DurationForm = "a duration such as 00:00:30 (hh:mm:ss) or 1.00:00:00 (d.hh:mm:ss)";

    /// <summary>Binds <typeparamref name="T"/> to <paramref name="section"/>, refusing malformed and out-of-range values.</summary>
    public static OptionsBuilder<T> BindSettings<T>(this OptionsBuilder<T> builder, string section) where T : class
    {
        builder.Configure<IConfiguration>((options, configuration) =>
        {
            var values = configuration.GetSection(section);
            var failures = Refusals(typeof(T), values).ToList();
            if (failures.Count > 0)
            {
                throw new OptionsValidationException(builder.Name, typeof(T), failures);
            }

            values.Bind(options);
            // Defaults and values alike: a duration's range holds however it was set.
            failures = OutOfRange(options, section).ToList();
            if (failures.Count > 0)
            {
                throw new OptionsValidationException(builder.Name, typeof(T), failures);
            }
        });
        return builder;
    }

    /// <summary>The malformed values of a section, and of the sections of its nested option classes.</summary>
    private static IEnumerable<string> Refusals(Type type, IConfigurationSection values) =>
        Properties(type).SelectMany(p => IsNested(p.PropertyType)
            ? Refusals(p.PropertyType, values.GetSection(p.Name))
            : Refusal(p, values) is { } refusal ? [refusal] : []);

    private static IEnumerable<string> OutOfRange(object options, string section) =>
        Properties(options.GetType()).SelectMany(p => p.PropertyType == typeof(TimeSpan)
            ? OutOfRange(p, $"{section}:{p.Name}", (TimeSpan)p.GetValue(options)!) is { } failure ? [failure] : []
            : IsNested(p.PropertyType) && p.GetValue(options) is { } nested ? OutOfRange(nested, $"{section}:{p.Name}")
            : []);

    /// <summary>A group of settings of its own (such as one rate limit's PermitLimit and Window), checked like its parent.</summary>
    private static bool IsNested(Type type) =>
        type.IsClass && type != typeof(string) && type.Namespace?.StartsWith("SendGate", StringComparison.Ordinal) == true;

    /// <summary>
    /// Validates every SendGate setting as the host will on start, before a host is built, and
    /// writes each problem on one line to <paramref name="error"/>. False when the host must not start.
    /// </summary>
    /// <param name="hostSettings">Registers the settings only that host has (the API host's rate limits).</param>
    public static bool Check(IConfiguration configuration, TextWriter error, Action<IServiceCollection>? hostSettings = null)
    {
        var services = new ServiceCollection().AddSingleton(configuration).AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSendGateCore();
        hostSettings?.Invoke(services);
        using var provider = services.BuildServiceProvider();
        try
        {
            provider.GetRequiredService<IStartupValidator>().Validate();
            return true;
        }
        catch (Exception ex) when (ex is OptionsValidationException or AggregateException or InvalidOperationException)
        {
            var failures = ex is AggregateException all ? all.InnerExceptions.SelectMany(Failures) : Failures(ex);
            // One bad value fails every options class that depends on it: name it once.
            foreach (var failure in failures.Distinct(StringComparer.Ordinal))
            {
                error.WriteLine($"SendGate: {failure}");
            }

            return false;
        }
    }

    private static IEnumerable<string> Failures(Exception ex) => ex switch
    {
        OptionsValidationException invalid => invalid.Failures,
        // A value of a form no check above knows (the binder's own message names the key).
        _ => [string.Join(" ", ex.Message, ex.InnerException?.Message).Trim()],
    };

    private static IEnumerable<PropertyInfo> Properties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite);

    private static string? Refusal(PropertyInfo property, IConfigurationSection values)
    {
        var key = $"{values.Path}:{property.Name}";
        var raw = values[property.Name];
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        if (type == typeof(TimeSpan) && property.GetCustomAttribute<DurationAttribute>() is null)
        {
            throw new InvalidOperationException($"{property.DeclaringType!.Name}.{property.Name} has no [Duration] range.");
        }

        if (raw is null || (raw.Length == 0 && Nullable.GetUnderlyingType(property.PropertyType) is not null))
        {
            return null;
        }

        var value = raw.Trim();
        if (type == typeof(TimeSpan))
        {
            var range = property.GetCustomAttribute<DurationAttribute>()!;
            // A colon is required: "5" would be five days, never what someone meant by a timeout.
            return value.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParseExact(value, "c", CultureInfo.InvariantCulture, out _)
                ? null
                : Invalid(key, raw, $"expected {DurationForm}, from {range.Min:c} to {range.Max:c}");
        }

        if (type == typeof(int) || type == typeof(long))
        {
            var range = property.GetCustomAttribute<RangeAttribute>();
            var expected = range is null ? "expected a whole number" : $"expected a whole number from {range.Minimum} to {range.Maximum}";
            if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
                || (type == typeof(int) && number is < int.MinValue or > int.MaxValue))
            {
                return Invalid(key, raw, expected);
            }

            return range is not null && (number < Convert.ToInt64(range.Minimum, CultureInfo.InvariantCulture) || number > Convert.ToInt64(range.Maximum, CultureInfo.InvariantCulture))
                ? Invalid(key, raw, expected)
                : null;
        }

        if (type == typeof(bool))
        {
            return bool.TryParse(value, out _) ? null : Invalid(key, raw, "expected true or false");
        }

        if (type.IsEnum)
        {
            // Names only: the binder would also take a number, which says nothing to whoever reads the file.
            return Enum.GetNames(type).Any(n => string.Equals(n, value, StringComparison.OrdinalIgnoreCase))
                ? null
                : Invalid(key, raw, $"expected one of {string.Join(", ", Enum.GetNames(type))}");
        }

        return null;
    }

    private static string? OutOfRange(PropertyInfo property, string key, TimeSpan value)
    {
        var range = property.GetCustomAttribute<DurationAttribute>()!;
        return value >= range.Min && value <= range.Max
            ? null
            : $"invalid setting {key} = \"{value:c}\": expected {DurationForm}, from {range.Min:c} to {range.Max:c}";
    }

    private static string Invalid(string key, string raw, string expected) => $"invalid setting {key} = \"{raw}\": {expected}";
}
