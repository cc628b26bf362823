using System.Text;
using NRepl.Runtime.Contract;
using NRepl.Runtime.Evaluation;

namespace NRepl.Runtime.IO;

/// <summary>
/// Replaces <see cref="Console.Out"/>, <see cref="Console.Error"/> and <see cref="Console.In"/> with
/// writers and a reader that route by the calling code's eval context: output goes to that eval's
/// buffers, stdin reads come from that eval's session. Code running outside any eval writes to an
/// ambient buffer (eval 0, session "") and reads end of input.
/// </summary>
internal sealed class ConsoleRouter
{
    private readonly OutputBuffer _ambientOut;
    private readonly OutputBuffer _ambientErr;

    public ConsoleRouter(Action<TargetMessage> post)
    {
        Post = post;
        _ambientOut = new OutputBuffer(0, "", OutputStream.Out, post);
        _ambientErr = new OutputBuffer(0, "", OutputStream.Err, post);
        Out = new RoutedWriter(this, OutputStream.Out);
        Error = new RoutedWriter(this, OutputStream.Err);
        In = new RoutedReader(this);
    }

    public Action<TargetMessage> Post { get; }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    public TextReader In { get; }

    /// <summary>Installs the routed streams as the process console.</summary>
    public void Install()
    {
        Console.SetOut(Out);
        Console.SetError(Error);
        Console.SetIn(In);
    }

    /// <summary>Sends pending text written outside any eval.</summary>
    public void FlushAmbient()
    {
        _ambientOut.Flush();
        _ambientErr.Flush();
    }

    internal OutputBuffer BufferFor(OutputStream stream)
    {
        var eval = EvalContext.Current;
        return stream == OutputStream.Out ? eval?.Out ?? _ambientOut : eval?.Err ?? _ambientErr;
    }

    private sealed class RoutedWriter(ConsoleRouter router, OutputStream stream) : TextWriter
    {
        private static readonly Encoding s_encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

        public override Encoding Encoding => s_encoding;

        public override void Write(char value) => router.BufferFor(stream).Write(new ReadOnlySpan<char>(in value));

        public override void Write(string? value) => router.BufferFor(stream).Write(value);

        public override void Write(char[] buffer, int index, int count) => router.BufferFor(stream).Write(buffer.AsSpan(index, count));

        public override void Write(ReadOnlySpan<char> buffer) => router.BufferFor(stream).Write(buffer);

        // Text and its newline go in one call, so a line is never cut between them by another thread.
        public override void WriteLine() => router.BufferFor(stream).Write(CoreNewLine);

        public override void WriteLine(string? value) => router.BufferFor(stream).Write(string.Concat(value, NewLine));

        public override void WriteLine(ReadOnlySpan<char> buffer) => router.BufferFor(stream).Write(string.Concat(buffer, NewLine));

        public override void Flush() => router.BufferFor(stream).Flush();
    }

    private sealed class RoutedReader(ConsoleRouter router) : TextReader
    {
        private SessionInput? Input(out EvalContext? eval)
        {
            eval = EvalContext.Current;
            return eval is null ? null : SessionStore.Get(eval.SessionId).Input;
        }

        public override int Peek() => Input(out _)?.Peek() ?? -1;

        public override int Read() => Input(out var eval) is { } input ? input.Read(eval!, router.Post) : -1;

        public override int Read(char[] buffer, int index, int count) => Read(buffer.AsSpan(index, count));

        public override int Read(Span<char> buffer) => Input(out var eval) is { } input ? input.Read(buffer, eval!, router.Post) : 0;

        public override string? ReadLine() => Input(out var eval) is { } input ? input.ReadLine(eval!, router.Post) : null;

        public override string ReadToEnd()
        {
            var text = new StringBuilder();
            Span<char> chunk = stackalloc char[1024];
            int n;
            while ((n = Read(chunk)) > 0) text.Append(chunk[..n]);
            return text.ToString();
        }
    }
}
