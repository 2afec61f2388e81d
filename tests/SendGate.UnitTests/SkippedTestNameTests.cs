using SendGate.Tests.ExternalTools;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace SendGate.UnitTests;

/// <summary>
/// A test skipped because something it needs is missing names the reason in its display name,
/// the only part of a skipped test that <c>dotnet test</c> prints by default.
/// </summary>
public sealed class SkippedTestNameTests
{
    [Fact]
    public void A_skipped_fact_is_named_with_its_reason()
    {
        var testCase = Assert.Single(Discover(nameof(Samples.SkippedFact)));

        Assert.Equal($"{typeof(Samples).FullName}.{nameof(Samples.SkippedFact)} [skipped: {Samples.Reason}]", testCase.DisplayName);
        Assert.Equal(Samples.Reason, testCase.SkipReason);
    }

    [Fact]
    public void A_skipped_theory_is_one_test_named_with_its_reason()
    {
        var testCase = Assert.Single(Discover(nameof(Samples.SkippedTheory)));

        Assert.Equal($"{typeof(Samples).FullName}.{nameof(Samples.SkippedTheory)} [skipped: {Samples.Reason}]", testCase.DisplayName);
        Assert.Equal(Samples.Reason, testCase.SkipReason);
    }

    [Fact]
    public void Tests_that_run_keep_their_plain_names()
    {
        var fact = Assert.Single(Discover(nameof(Samples.RunningFact)));
        var theory = Discover(nameof(Samples.RunningTheory)).ToList();

        Assert.Equal($"{typeof(Samples).FullName}.{nameof(Samples.RunningFact)}", fact.DisplayName);
        Assert.Null(fact.SkipReason);
        Assert.Equal(2, theory.Count);
        Assert.All(theory, t => Assert.DoesNotContain("skipped", t.DisplayName, StringComparison.Ordinal));
    }

    [Fact]
    public void The_discoverers_are_found_in_this_assembly() =>
        Assert.Equal(TestAssemblyName.Value, typeof(SkippedTestNameTests).Assembly.GetName().Name);

    /// <summary>Discovers a method of <see cref="Samples"/> as xunit does: through the discoverer its attribute names.</summary>
    private static IEnumerable<IXunitTestCase> Discover(string method)
    {
        var type = typeof(Samples);
        var assembly = new TestAssembly(Reflector.Wrap(type.Assembly));
        var testClass = new TestClass(new TestCollection(assembly, null, "samples"), Reflector.Wrap(type));
        var testMethod = new TestMethod(testClass, Reflector.Wrap(type.GetMethod(method)!));
        var attribute = testMethod.Method.GetCustomAttributes(typeof(FactAttribute)).Single();
        var named = attribute.GetCustomAttributes(typeof(XunitTestCaseDiscovererAttribute)).First().GetConstructorArguments().Cast<string>().ToList();
        var discovererType = Type.GetType($"{named[0]}, {named[1]}", throwOnError: true)!;
        var discoverer = ExtensibilityPointFactory.GetXunitTestCaseDiscoverer(new NoMessages(), discovererType);
        return discoverer.Discover(new DefaultOptions(), testMethod, attribute);
    }

    [AttributeUsage(AttributeTargets.Method)]
    private sealed class SampleFactAttribute : ReasonedFactAttribute
    {
        public SampleFactAttribute(bool skip) => Skip = skip ? Samples.Reason : null;
    }

    [AttributeUsage(AttributeTargets.Method)]
    private sealed class SampleTheoryAttribute : ReasonedTheoryAttribute
    {
        public SampleTheoryAttribute(bool skip) => Skip = skip ? Samples.Reason : null;
    }

    // Private, so the test run itself never discovers these.
#pragma warning disable xUnit1000
    private sealed class Samples
#pragma warning restore xUnit1000
    {
        public const string Reason = "'no-such-tool' is not on PATH";

        [SampleFact(skip: true)]
        public void SkippedFact()
        {
        }

        [SampleTheory(skip: true)]
        [InlineData(1)]
        public void SkippedTheory(int value) => Assert.Equal(1, value);

        [SampleFact(skip: false)]
        public void RunningFact()
        {
        }

        [SampleTheory(skip: false)]
        [InlineData(1)]
        [InlineData(2)]
        public void RunningTheory(int value) => Assert.True(value > 0);
    }

    private sealed class NoMessages : LongLivedMarshalByRefObject, IMessageSink
    {
        public bool OnMessage(IMessageSinkMessage message) => true;
    }

    private sealed class DefaultOptions : ITestFrameworkDiscoveryOptions
    {
        public TValue GetValue<TValue>(string name) => default!;

        public void SetValue<TValue>(string name, TValue value)
        {
        }
    }
}
