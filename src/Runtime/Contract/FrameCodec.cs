using System.Buffers.Binary;
using System.Text;

namespace NRepl.Runtime.Contract;

/// <summary>
/// Frame layout shared by both ends of the IPC link:
/// <c>int32 little-endian payload length</c>, then one <see cref="MessageKind"/> byte, then the payload.
/// The length counts the payload only (not the kind byte), so an empty message is 5 bytes on the wire.
/// </summary>
internal static class FrameCodec
{
    /// <summary>Length prefix plus kind byte.</summary>
    public const int HeaderSize = 5;

    /// <summary>
    /// Largest payload either side accepts. Worlds and deltas are at most a few MiB; anything near
    /// this bound is a corrupted length prefix, and refusing it avoids a huge allocation.
    /// </summary>
    public const int DefaultMaxPayload = 512 * 1024 * 1024;

    /// <summary>UTF-8 without BOM, and lenient about lone surrogates (they become U+FFFD), like BinaryWriter's default.</summary>
    internal static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Appends one whole frame for <paramref name="message"/> to <paramref name="destination"/>.</summary>
    public static void Encode(TargetMessage message, MemoryStream destination, int maxPayload = DefaultMaxPayload)
    {
        var start = destination.Position;
        Span<byte> header = stackalloc byte[HeaderSize];
        destination.Write(header);
        using (var writer = new BinaryWriter(destination, Utf8, leaveOpen: true))
        {
            message.WritePayload(writer);
        }
        var end = destination.Position;
        var payloadLength = end - start - HeaderSize;
        if (payloadLength > maxPayload)
        {
            destination.SetLength(start);
            destination.Position = start;
            throw new InvalidDataException($"{message.Kind} payload of {payloadLength} bytes exceeds the frame limit of {maxPayload} bytes.");
        }
        BinaryPrimitives.WriteInt32LittleEndian(header, (int)payloadLength);
        header[4] = (byte)message.Kind;
        destination.Position = start;
        destination.Write(header);
        destination.Position = end;
    }

    /// <summary>One whole frame as a new array (tests and one-off writes).</summary>
    public static byte[] Encode(TargetMessage message)
    {
        using var buffer = new MemoryStream();
        Encode(message, buffer);
        return buffer.ToArray();
    }
}

/// <summary>A frame read off the wire whose payload has not been decoded yet.</summary>
internal readonly record struct RawFrame(MessageKind Kind, byte[] Payload);

/// <summary>Maps a <see cref="MessageKind"/> to the message's decoder.</summary>
internal static class MessageSerializer
{
    /// <summary>
    /// Decodes a payload. Unknown kinds and malformed payloads throw <see cref="InvalidDataException"/>;
    /// trailing bytes are ignored so a newer peer may append fields.
    /// </summary>
    public static TargetMessage Deserialize(MessageKind kind, byte[] payload)
    {
        using var stream = new MemoryStream(payload, writable: false);
        using var r = new BinaryReader(stream, FrameCodec.Utf8);
        try
        {
            return kind switch
            {
                MessageKind.LoadWorld => LoadWorld.Read(r),
                MessageKind.ApplyDelta => ApplyDelta.Read(r),
                MessageKind.StartEval => StartEval.Read(r),
                MessageKind.Interrupt => Interrupt.Read(r),
                MessageKind.Stdin => Stdin.Read(r),
                MessageKind.ForgetSession => ForgetSession.Read(r),
                MessageKind.Shutdown => new Shutdown(),
                MessageKind.Hello => Hello.Read(r),
                MessageKind.WorldLoaded => WorldLoaded.Read(r),
                MessageKind.DeltaApplied => DeltaApplied.Read(r),
                MessageKind.Output => Output.Read(r),
                MessageKind.NeedInput => NeedInput.Read(r),
                MessageKind.EvalCompleted => EvalCompleted.Read(r),
                MessageKind.Log => Log.Read(r),
                MessageKind.PrepareMigration => PrepareMigration.Read(r),
                MessageKind.MigrationPrepared => MigrationPrepared.Read(r),
                MessageKind.CommitMigration => CommitMigration.Read(r),
                MessageKind.AbortMigration => AbortMigration.Read(r),
                MessageKind.ChooseRestart => ChooseRestart.Read(r),
                MessageKind.ResolveHooks => ResolveHooks.Read(r),
                MessageKind.RestartChosen => RestartChosen.Read(r),
                MessageKind.Ping => Ping.Read(r),
                MessageKind.Pong => Pong.Read(r),
                _ => throw new InvalidDataException($"Unknown message kind {(byte)kind}."),
            };
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{kind} payload of {payload.Length} bytes is truncated.", e);
        }
    }
}
