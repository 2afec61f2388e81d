using MimeKit;

namespace SendGate.Core.Mime;

public sealed record EnvelopeRecipient(string Address, string Kind);

/// <summary>
/// A submission turned into what SendGate stores: the raw MIME bytes and the facts read from it.
/// JSON and MIME submissions both end here, so from this point on they behave identically.
/// Disposing it removes the temporary file a big message built from JSON is kept in.
/// </summary>
public sealed record PreparedMessage(
    string Source,
    MessageBytes Raw,
    MimeMessage Mime,
    string EnvelopeFrom,
    string HeaderFrom,
    string Subject,
    string MessageIdHeader,
    IReadOnlyList<EnvelopeRecipient> Recipients,
    int AttachmentCount,
    IReadOnlyDictionary<string, string>? Metadata,
    string Door = Messages.Doors.Api) : IDisposable
{
    public void Dispose() => Raw.Dispose();
}
