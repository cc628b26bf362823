using System.Buffers;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using NRepl.Protocol.Bencode;
using NRepl.Protocol.Messages;
using NRepl.Protocol.Tests.Support;

namespace NRepl.Protocol.Tests.Messages;

/// <summary>Generated messages survive writer then reader, however the bytes are cut.</summary>
public class RoundTripProperties
{
    private static readonly Arbitrary<Dictionary<string, object?>> s_messages = Arb.From(BencodeGen.Message);
    private static readonly Arbitrary<Dictionary<string, object?>[]> s_messageBatches = Arb.From(Gen.ArrayOf(BencodeGen.Message).Resize(12));
    private static readonly Arbitrary<int[]> s_splitSeeds = Arb.From(BencodeGen.SplitSeeds);

    [FsCheck.NUnit.Property(MaxTest = 300)]
    public Property WriteThenRead_WholeBuffer_GivesSameValues() =>
        Prop.ForAll(s_messages, message =>
        {
            byte[] bytes = NReplMessageWriter.ToBytes(message);
            NReplMessage decoded = PipeLoop.ParseAll(bytes, []).Single();
            Assert.That(Canonical.Render(decoded.Fields), Is.EqualTo(Canonical.Render(BencodeGen.Expected(message))));
        });

    [FsCheck.NUnit.Property(MaxTest = 300)]
    public Property WriteThenRead_RandomSplits_GivesSameValues() =>
        Prop.ForAll(s_messages, s_splitSeeds, (message, seeds) =>
        {
            byte[] bytes = NReplMessageWriter.ToBytes(message);
            int[] splits = seeds.Select(seed => seed % (bytes.Length + 1)).ToArray();
            NReplMessage decoded = PipeLoop.ParseAll(bytes, splits).Single();
            Assert.That(Canonical.Render(decoded.Fields), Is.EqualTo(Canonical.Render(BencodeGen.Expected(message))));
        });

    [FsCheck.NUnit.Property(MaxTest = 200)]
    public Property WriteThenRead_BackToBackMessagesWithRandomSplits_GivesEachMessage() =>
        Prop.ForAll(s_messageBatches, s_splitSeeds, (messages, seeds) =>
        {
            var output = new ArrayBufferWriter<byte>();
            foreach (Dictionary<string, object?> message in messages)
            {
                NReplMessageWriter.WriteMessage(message, output);
            }

            byte[] bytes = output.WrittenSpan.ToArray();
            int[] splits = seeds.Select(seed => seed % (bytes.Length + 1)).ToArray();
            List<NReplMessage> decoded = PipeLoop.ParseAll(bytes, splits);
            Assert.That(
                decoded.Select(m => Canonical.Render(m.Fields)),
                Is.EqualTo(messages.Select(m => Canonical.Render(BencodeGen.Expected(m)))));
        });

    [FsCheck.NUnit.Property(MaxTest = 300)]
    public Property Write_AnyMessage_SortsKeysByUtf8BytesAtEveryLevel() =>
        Prop.ForAll(s_messages, message =>
        {
            byte[] bytes = NReplMessageWriter.ToBytes(message);
            var reader = new BencodeReader(bytes);
            var frames = new Stack<Frame>();
            int keysChecked = 0;
            while (reader.Read())
            {
                BencodeTokenType token = reader.TokenType;
                if (token is BencodeTokenType.EndDict or BencodeTokenType.EndList)
                {
                    frames.Pop();
                    continue;
                }

                if (frames.Count > 0 && frames.Peek().IsDict)
                {
                    Frame frame = frames.Pop();
                    if (frame.ExpectingKey)
                    {
                        byte[] key = reader.ValueSpan.ToArray();
                        Assert.That(frame.PreviousKey is null || frame.PreviousKey.AsSpan().SequenceCompareTo(key) < 0, Is.True,
                            $"key {Bytes.Show(key)} after {Bytes.Show(frame.PreviousKey ?? [])}");
                        keysChecked++;
                        frame = frame with { PreviousKey = key, ExpectingKey = false };
                    }
                    else
                    {
                        frame = frame with { ExpectingKey = true };
                    }

                    frames.Push(frame);
                }

                if (token is BencodeTokenType.StartDict or BencodeTokenType.StartList)
                {
                    frames.Push(new Frame(token == BencodeTokenType.StartDict, token == BencodeTokenType.StartDict, null));
                }
            }

            Assert.That(keysChecked, Is.GreaterThanOrEqualTo(message.Count(kv => kv.Value is not null)));
        });

    [FsCheck.NUnit.Property(MaxTest = 200)]
    public Property ReadTokens_ResumedAtRandomSplits_MatchWholeRead() =>
        Prop.ForAll(s_messages, s_splitSeeds, (message, seeds) =>
        {
            byte[] bytes = NReplMessageWriter.ToBytes(message);
            int[] splits = seeds.Select(seed => seed % (bytes.Length + 1)).Distinct().ToArray();
            string whole = TokenDump.FromSpan(bytes);
            Assert.That(TokenDump.FromChunks(bytes, splits, asSpan: false), Is.EqualTo(whole));
            Assert.That(TokenDump.FromChunks(bytes, splits, asSpan: true), Is.EqualTo(whole));
        });

    private sealed record Frame(bool IsDict, bool ExpectingKey, byte[]? PreviousKey);
}
