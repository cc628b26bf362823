using System.Runtime.InteropServices;
using NRepl.Protocol.Bencode;

namespace NRepl.Protocol.Messages;

/// <summary>
/// Turns reader tokens into message values, keeping half-built containers between calls so that
/// a message arriving in pieces is never re-read from its start.
/// </summary>
internal sealed class MessageBuilder
{
    // Open containers, innermost last. Its count always equals the reader's depth.
    private readonly List<Frame> _frames = [];

    public bool IsEmpty => _frames.Count == 0;

    /// <summary>Adds the reader's current token; returns the top-level dict when this token closed it.</summary>
    public Dictionary<string, object>? Accept(ref BencodeReader reader)
    {
        switch (reader.TokenType)
        {
            case BencodeTokenType.StartDict:
                _frames.Add(new Frame(new Dictionary<string, object>(StringComparer.Ordinal), null));
                return null;
            case BencodeTokenType.StartList:
                _frames.Add(new Frame(null, []));
                return null;
            case BencodeTokenType.String:
                AddValue(reader.GetString());
                return null;
            case BencodeTokenType.Integer:
                AddValue(reader.GetInt64());
                return null;
            default:
                Frame closed = _frames[^1];
                _frames.RemoveAt(_frames.Count - 1);
                object value = (object?)closed.Dict ?? closed.List!;
                if (_frames.Count == 0)
                {
                    // The reader only lets a dict be a top-level value here.
                    return closed.Dict;
                }

                AddValue(value);
                return null;
        }
    }

    private void AddValue(object value)
    {
        ref Frame top = ref CollectionsMarshal.AsSpan(_frames)[^1];
        if (top.List is not null)
        {
            top.List.Add(value);
        }
        else if (top.PendingKey is null)
        {
            // The reader guarantees that a dict key is a byte string.
            top.PendingKey = (string)value;
        }
        else
        {
            // Duplicate keys (CIDER can send them): the last one wins.
            top.Dict![top.PendingKey] = value;
            top.PendingKey = null;
        }
    }

    private struct Frame(Dictionary<string, object>? dict, List<object>? list)
    {
        public readonly Dictionary<string, object>? Dict = dict;
        public readonly List<object>? List = list;
        public string? PendingKey;
    }
}
