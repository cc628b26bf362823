namespace NRepl.Protocol.Bencode;

/// <summary>
/// Limits that keep a hostile or broken peer from making the server allocate or recurse without
/// bound. Zero means "use the default", so <c>default(BencodeReaderOptions)</c> is safe.
/// </summary>
public struct BencodeReaderOptions
{
    /// <summary>Deep enough for any real nREPL message (they nest 2-3 levels), shallow enough to keep consumers' recursion safe.</summary>
    internal const int DefaultMaxDepth = 64;

    /// <summary>Far above any source file or eval result a person sends, far below memory trouble.</summary>
    internal const long DefaultMaxStringLength = 16 * 1024 * 1024;

    /// <summary>Same as the string limit: a message is essentially its largest string.</summary>
    internal const long DefaultMaxMessageSize = 16 * 1024 * 1024;

    private int _maxDepth;
    private long _maxStringLength;
    private long _maxMessageSize;

    /// <summary>
    /// How many lists and dicts may be open at once. Defaults to 64 when 0.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int MaxDepth
    {
        readonly get => _maxDepth;
        set
        {
            if (value < 0)
            {
                ThrowHelper.ThrowArgumentOutOfRange_NegativeLimit(nameof(MaxDepth), value);
            }

            _maxDepth = value;
        }
    }

    /// <summary>
    /// The largest byte string, in bytes. Checked against the length prefix as soon as its
    /// <c>:</c> is read, before any payload arrives. Defaults to 16 MiB when 0.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public long MaxStringLength
    {
        readonly get => _maxStringLength;
        set
        {
            if (value < 0)
            {
                ThrowHelper.ThrowArgumentOutOfRange_NegativeLimit(nameof(MaxStringLength), value);
            }

            _maxStringLength = value;
        }
    }

    /// <summary>
    /// The largest top-level value (one nREPL message), in bytes, including bytes a length
    /// prefix announces but that have not arrived yet. Defaults to 16 MiB when 0.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public long MaxMessageSize
    {
        readonly get => _maxMessageSize;
        set
        {
            if (value < 0)
            {
                ThrowHelper.ThrowArgumentOutOfRange_NegativeLimit(nameof(MaxMessageSize), value);
            }

            _maxMessageSize = value;
        }
    }

    /// <summary>A copy with every 0 replaced by its default, done once per reader instead of per byte.</summary>
    internal readonly BencodeReaderOptions WithDefaults() => new()
    {
        _maxDepth = _maxDepth == 0 ? DefaultMaxDepth : _maxDepth,
        _maxStringLength = _maxStringLength == 0 ? DefaultMaxStringLength : _maxStringLength,
        _maxMessageSize = _maxMessageSize == 0 ? DefaultMaxMessageSize : _maxMessageSize,
    };
}
