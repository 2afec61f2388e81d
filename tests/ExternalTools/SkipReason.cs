using Xunit.Abstractions;
using Xunit.Sdk;

namespace SendGate.Tests.ExternalTools;

/// <summary>
/// A fact whose skip reason shows in the test's name. The console logger of <c>dotnet test</c>
/// prints only the name of a skipped test at its default verbosity, so a reason kept in
/// <see cref="FactAttribute.Skip"/> alone would never be seen; subclasses set Skip in their
/// constructor when what they need is missing.
/// </summary>
[XunitTestCaseDiscoverer("SendGate.Tests.ExternalTools.ReasonedFactDiscoverer", TestAssemblyName.Value)]
[AttributeUsage(AttributeTargets.Method)]
public abstract class ReasonedFactAttribute : FactAttribute;

/// <summary>A theory whose skip reason shows in the test's name; see <see cref="ReasonedFactAttribute"/>.</summary>
[XunitTestCaseDiscoverer("SendGate.Tests.ExternalTools.ReasonedTheoryDiscoverer", TestAssemblyName.Value)]
[AttributeUsage(AttributeTargets.Method)]
public abstract class ReasonedTheoryAttribute : TheoryAttribute;

/// <summary>Discovers as xunit does, except that a skipped test is named with its reason.</summary>
public sealed class ReasonedFactDiscoverer(IMessageSink diagnosticMessageSink) : IXunitTestCaseDiscoverer
{
    private readonly FactDiscoverer _inner = new(diagnosticMessageSink);

    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute) =>
        SkippedTestCase.Discover(diagnosticMessageSink, discoveryOptions, testMethod, factAttribute)
        ?? _inner.Discover(discoveryOptions, testMethod, factAttribute);
}

/// <summary>Discovers as xunit does, except that a skipped theory is named with its reason.</summary>
public sealed class ReasonedTheoryDiscoverer(IMessageSink diagnosticMessageSink) : IXunitTestCaseDiscoverer
{
    private readonly TheoryDiscoverer _inner = new(diagnosticMessageSink);

    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute) =>
        SkippedTestCase.Discover(diagnosticMessageSink, discoveryOptions, testMethod, factAttribute)
        ?? _inner.Discover(discoveryOptions, testMethod, factAttribute);
}

/// <summary>The one test case xunit makes for a skipped fact or theory, its display name ending in the reason.</summary>
public sealed class SkippedTestCase : XunitTestCase
{
    [Obsolete("For the deserializer only.", error: true)]
    public SkippedTestCase()
    {
    }

    private SkippedTestCase(IMessageSink diagnosticMessageSink, TestMethodDisplay display, TestMethodDisplayOptions displayOptions, ITestMethod testMethod)
        : base(diagnosticMessageSink, display, displayOptions, testMethod)
    {
    }

    /// <summary>The skipped test case, or null when the attribute does not skip.</summary>
    internal static IXunitTestCase[]? Discover(IMessageSink sink, ITestFrameworkDiscoveryOptions options, ITestMethod testMethod, IAttributeInfo attribute) =>
        string.IsNullOrEmpty(attribute.GetNamedArgument<string>(nameof(FactAttribute.Skip)))
            ? null
            : [new SkippedTestCase(sink, options.MethodDisplayOrDefault(), options.MethodDisplayOptionsOrDefault(), testMethod)];

    // Runs again after deserialization, so the name is the same in discovery and in the results.
    protected override void Initialize()
    {
        base.Initialize();
        if (!string.IsNullOrEmpty(SkipReason))
        {
            DisplayName = $"{DisplayName} [skipped: {SkipReason}]";
        }
    }
}
