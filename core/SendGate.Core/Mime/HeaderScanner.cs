using System.Text;
using SendGate.Core.Messages;

namespace SendGate.Core.Mime;

/// <summary>
/// Checks a raw header section byte by byte, fed in chunks as it arrives, before any MIME parser
/// sees it: its size, number of fields and lines per field stay within <see cref="LimitsOptions"/>,
/// and its line endings are unambiguous. A lone CR, a NUL, or a line ending unlike the first one
/// (a bare LF in a CRLF message, a CRLF in an LF-only one) is refused: relays split lines on
/// bytes MimeKit reads as part of a value (a bare CR in To became an extra recipient), so what
/// the policy evaluates would not be what the relay receives.
/// </summary>
public sealed class HeaderScanner(LimitsOptions limits)
{
    private const int MaxNameBytes = 76;

    private readonly byte[] _name = new byte[MaxNameBytes];
    private int _nameLength;
    private bool _inName;
    private long _bytes;
    private int _fields;
    private int _fieldLines;
    private int _lines;
    private bool _lineStart = true;
    private bool _lineEmpty = true;
    private bool _pendingCr;
    private bool? _crlf;

    /// <summary>The first rule broken, once one is.</summary>
    public Violation? Violation { get; private set; }

    /// <summary>The empty line that ends the section was seen: what follows is the body.</summary>
    public bool Complete { get; private set; }

    /// <summary>Bytes of the section so far, its ending line included once <see cref="Complete"/>.</summary>
    public long Length => _bytes;

    /// <summary>Checks the whole section at the start of <paramref name="content"/>; null when it keeps the rules.</summary>
    public static Violation? Check(LimitsOptions limits, ReadOnlySpan<byte> content)
    {
        var scanner = new HeaderScanner(limits);
        scanner.Feed(content);
        return scanner.Finish();
    }

    /// <summary>Reads the next bytes; false once a rule is broken or the section has ended (nothing more is needed).</summary>
    public bool Feed(ReadOnlySpan<byte> chunk)
    {
        for (var i = 0; i < chunk.Length && Violation is null && !Complete; i++)
        {
            Next(chunk[i]);
        }

        return Violation is null && !Complete;
    }

    /// <summary>The end of the input: a section may end without a body; a CR may not be the last byte.</summary>
    public Violation? Finish()
    {
        if (Violation is null && !Complete && _pendingCr)
        {
            Refuse(ViolationCode.HeaderInjection, "a CR not followed by LF ends the header section");
        }

        return Violation;
    }

    private void Next(byte b)
    {
        if (++_bytes > limits.MaxHeaderBytes)
        {
            Limit("body", $"The header section is larger than {limits.MaxHeaderBytes} bytes (SendGate:Limits:MaxHeaderBytes).");
            return;
        }

        if (_pendingCr)
        {
            _pendingCr = false;
            if (b != (byte)'\n')
            {
                if (InFirstName)
                {
                    NotAHeaderSection();
                    return;
                }

                Refuse(ViolationCode.HeaderInjection, "a CR not followed by LF (a bare CR)");
                return;
            }

            EndOfLine(crlf: true);
            return;
        }

        switch (b)
        {
            case (byte)'\r':
                _pendingCr = true;
                return;
            case (byte)'\n':
                EndOfLine(crlf: false);
                return;
            case < 0x20 and not (byte)'\t' when InFirstName:
                NotAHeaderSection();
                return;
            case 0:
                Refuse(ViolationCode.HeaderInjection, "a NUL byte");
                return;
        }

        if (_lineStart)
        {
            _lineStart = false;
            _lineEmpty = false;
            if (b is (byte)' ' or (byte)'\t')
            {
                if (++_fieldLines > limits.MaxHeaderLines)
                {
                    Limit(FieldName, $"Header '{FieldName}' is folded over more than {limits.MaxHeaderLines} lines (SendGate:Limits:MaxHeaderLines).");
                }

                return;
            }

            if (++_fields > limits.MaxHeaderFields)
            {
                Limit("body", $"The header section has more than {limits.MaxHeaderFields} fields (SendGate:Limits:MaxHeaderFields).");
                return;
            }

            _fieldLines = 1;
            _nameLength = 0;
            _inName = true;
        }

        if (_inName)
        {
            if (b == (byte)':')
            {
                _inName = false;
            }
            else if (_nameLength < MaxNameBytes)
            {
                _name[_nameLength++] = b;
            }
        }
    }

    private void EndOfLine(bool crlf)
    {
        if (_crlf is { } expected && expected != crlf)
        {
            Refuse(ViolationCode.HeaderInjection, expected ? "a line ended by LF alone where the others end with CRLF (a bare LF)" : "a line ended by CRLF where the others end with LF alone");
            return;
        }

        if (InFirstName && !_lineEmpty)
        {
            // A first line without a colon: an mbox "From " line, which MimeKit skips, or no header at all.
            if (!_name.AsSpan(0, _nameLength).StartsWith("From "u8))
            {
                NotAHeaderSection();
                return;
            }

            _fields = 0;
        }

        _crlf = crlf;
        _inName = false;
        _lines++;
        if (_lineEmpty)
        {
            Complete = true;
            return;
        }

        _lineStart = true;
        _lineEmpty = true;
    }

    // Still reading the name of the first field: the input may not be a header section at all.
    private bool InFirstName => _lines == 0 && _inName;

    /// <summary>
    /// The input does not begin with a header field (random bytes, a plain letter): there is no
    /// header section to check; the MIME parser refuses it at once, as malformed.
    /// </summary>
    private void NotAHeaderSection() => Complete = true;

    private string FieldName => _fields == 0 ? "body" : Encoding.Latin1.GetString(_name, 0, _nameLength).Trim();

    private void Refuse(string code, string what)
    {
        var where = _fields == 0 ? "the header section" : $"header '{FieldName}'";
        Violation = new Violation(_fields == 0 ? "body" : FieldName, code,
            $"The message has {what} in {where} (line {CurrentLine}): header lines must end with CRLF (or all with LF), without CR, LF or NUL inside.");
    }

    private void Limit(string field, string message) => Violation = new Violation(field, ViolationCode.HeaderLimit, message);

    private int CurrentLine => _lines + 1;
}
