using System.Buffers;
using System.Globalization;
using System.Text;
using NRepl.Protocol.Bencode;

namespace NRepl.Protocol.Tests.Support;

/// <summary>
/// Reads every token into a compact text such as <c>{ "id" "1" [ 1 -2 ] }</c>, so reader tests
/// compare one string whatever way the input was cut.
/// </summary>
internal static class TokenDump
{
    public static string Read(ref BencodeReader reader)
    {
        var builder = new StringBuilder();
        while (reader.Read())
        {
            Append(builder, ref reader);
        }

        return builder.ToString().TrimEnd();
    }

    /// <summary>Whole input as one span, final block.</summary>
    public static string FromSpan(byte[] data, BencodeReaderOptions options = default)
    {
        var reader = new BencodeReader(data, options);
        return Read(ref reader);
    }

    /// <summary>Whole input as one sequence cut at <paramref name="splits"/>, final block.</summary>
    public static string FromSequence(ReadOnlySequence<byte> data, BencodeReaderOptions options = default)
    {
        var reader = new BencodeReader(data, options);
        return Read(ref reader);
    }

    /// <summary>
    /// Input arriving in chunks: each chunk is read by a new reader resumed from the previous
    /// state, together with the bytes the previous reader did not consume (as a separate segment,
    /// or copied into one span when <paramref name="asSpan"/>).
    /// </summary>
    public static string FromChunks(byte[] data, int[] splits, bool asSpan, BencodeReaderOptions options = default)
    {
        var builder = new StringBuilder();
        BencodeReaderState state = new(options);
        List<byte[]> pending = [];
        int[] bounds = [.. splits.Order(), data.Length];
        int start = 0;
        for (int i = 0; i < bounds.Length; i++)
        {
            pending.Add(data[start..bounds[i]]);
            start = bounds[i];
            bool isFinal = i == bounds.Length - 1;
            ReadOnlySequence<byte> input = Segments.FromPieces(pending);
            long consumed;
            if (asSpan)
            {
                var reader = new BencodeReader(input.ToArray(), isFinal, state);
                while (reader.Read())
                {
                    Append(builder, ref reader);
                }

                consumed = reader.BytesConsumed;
                state = reader.CurrentState;
            }
            else
            {
                var reader = new BencodeReader(input, isFinal, state);
                while (reader.Read())
                {
                    Append(builder, ref reader);
                }

                consumed = reader.BytesConsumed;
                Assert.That(input.Slice(reader.Position).Length, Is.EqualTo(input.Length - consumed), "Position agrees with BytesConsumed");
                state = reader.CurrentState;
            }

            pending = Segments.ToPieces(input.Slice(consumed));
        }

        return builder.ToString().TrimEnd();
    }

    private static void Append(StringBuilder builder, ref BencodeReader reader)
    {
        switch (reader.TokenType)
        {
            case BencodeTokenType.StartDict:
                builder.Append("{ ");
                break;
            case BencodeTokenType.EndDict:
                builder.Append("} ");
                break;
            case BencodeTokenType.StartList:
                builder.Append("[ ");
                break;
            case BencodeTokenType.EndList:
                builder.Append("] ");
                break;
            case BencodeTokenType.Integer:
                Assert.That(reader.ValueSpan.IsEmpty && !reader.HasValueSequence, "integers carry no raw value");
                builder.Append(reader.GetInt64().ToString(CultureInfo.InvariantCulture)).Append(' ');
                break;
            case BencodeTokenType.String:
                byte[] raw = reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan.ToArray();
                Assert.That(reader.GetString(), Is.EqualTo(Encoding.UTF8.GetString(raw)), "GetString decodes the raw value");
                builder.Append('"').Append(reader.GetString()).Append("\" ");
                break;
            default:
                Assert.Fail($"Read() returned true with token {reader.TokenType}");
                break;
        }
    }
}
