namespace SendGate.Tests.ExternalTools;

/// <summary>This test assembly's name, for the discoverers in the shared test sources (attribute arguments must be constants).</summary>
internal static class TestAssemblyName
{
    public const string Value = "SendGate.IntegrationTests";
}
