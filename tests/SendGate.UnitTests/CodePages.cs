using System.Runtime.CompilerServices;
using System.Text;

namespace SendGate.UnitTests;

internal static class CodePages
{
    // Before any test touches MimeKit: its charset table is built once, from the encodings known then,
    // and ISO-2022-JP / Shift_JIS would be missing for the whole run if a test without them came first.
    [ModuleInitializer]
    internal static void Register() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
}
