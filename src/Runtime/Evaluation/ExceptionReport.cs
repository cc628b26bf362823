using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using NRepl.Runtime.Hosting;

namespace NRepl.Runtime.Evaluation;

/// <summary>
/// The user-facing description of an exception thrown by world code: its type, the type of its
/// innermost cause, and "Type: message" followed by the stack frames of the world assembly only
/// (the runtime's and reflection's frames are noise to the user).
/// </summary>
internal sealed record ExceptionReport(string ExceptionType, string RootExceptionType, string Text)
{
    /// <summary>Frames listed per exception; the rest of a deep (recursive) trace is summarized.</summary>
    private const int MaxFrames = 40;

    /// <summary>Strips the wrappers reflection and tasks put around the user's exception.</summary>
    public static Exception Unwrap(Exception exception)
    {
        while (true)
        {
            switch (exception)
            {
                case TargetInvocationException { InnerException: { } inner }:
                    exception = inner;
                    continue;
                case AggregateException aggregate when aggregate.InnerExceptions.Count == 1:
                    exception = aggregate.InnerExceptions[0];
                    continue;
                default:
                    return exception;
            }
        }
    }

    /// <param name="detached">
    /// The assembly of a detached eval, whose frames are shown too: with the lines of its PDB, or else at the
    /// location its code is all on (empty: unknown).
    /// </param>
    public static ExceptionReport Create(Exception exception, Assembly? world, WorldSymbols? symbols, (Assembly Assembly, string Location)? detached = null)
    {
        var root = exception;
        while (root.InnerException is { } inner) root = inner;

        var text = new StringBuilder();
        AppendException(text, exception, world, symbols, detached);
        for (var cause = exception.InnerException; cause is not null; cause = cause.InnerException)
        {
            text.Append('\n').Append(" ---> ");
            AppendException(text, cause, world, symbols, detached);
        }
        return new ExceptionReport(exception.GetType().FullName ?? exception.GetType().Name, root.GetType().FullName ?? root.GetType().Name, text.ToString());
    }

    private static void AppendException(StringBuilder text, Exception exception, Assembly? world, WorldSymbols? symbols, (Assembly Assembly, string Location)? detached)
    {
        text.Append(exception.GetType().FullName).Append(": ").Append(exception.Message);
        if (world is null) return;

        // The world's file info comes from WorldSymbols, not the runtime: the runtime has none once a delta
        // was applied. A detached eval's assembly is never updated, so the runtime reads its own PDB right.
        var frames = new StackTrace(exception, fNeedFileInfo: detached is not null).GetFrames();
        string? previous = null;
        var repeats = 0;
        var listed = 0;
        var omitted = 0;
        foreach (var frame in frames)
        {
            var method = frame.GetMethod();
            var inWorld = method?.Module.Assembly == world;
            if (method is null || (!inWorld && method.Module.Assembly != detached?.Assembly)) continue;
            var line = FormatFrame(frame, method, inWorld ? symbols : null, inWorld ? "" : detached!.Value.Location);
            if (line == previous)
            {
                repeats++;
                continue;
            }
            FlushRepeats(text, ref repeats);
            previous = line;
            if (listed < MaxFrames)
            {
                text.Append('\n').Append(line);
                listed++;
            }
            else
            {
                omitted++;
            }
        }
        FlushRepeats(text, ref repeats);
        if (omitted > 0) text.Append('\n').Append("   ... ").Append(omitted).Append(" more frames");
    }

    private static void FlushRepeats(StringBuilder text, ref int repeats)
    {
        // Deep recursion repeats one frame thousands of times; say so once.
        if (repeats > 0) text.Append('\n').Append("   ... (previous frame repeated ").Append(repeats).Append(repeats == 1 ? " more time)" : " more times)");
        repeats = 0;
    }

    private static string FormatFrame(StackFrame frame, MethodBase method, WorldSymbols? symbols, string location)
    {
        var shown = StateMachineOwner(method) ?? method;
        var line = new StringBuilder("   at ");
        if (shown.DeclaringType is { } type) line.Append(TypeDisplayName(type)).Append('.');
        line.Append(shown.Name);
        if (shown.IsGenericMethod)
        {
            line.Append('[').AppendJoin(",", shown.GetGenericArguments().Select(a => a.Name)).Append(']');
        }
        line.Append('(');
        var first = true;
        foreach (var p in shown.GetParameters())
        {
            if (!first) line.Append(", ");
            first = false;
            line.Append(p.ParameterType.Name);
            if (p.Name is { Length: > 0 }) line.Append(' ').Append(p.Name);
        }
        line.Append(')');
        if (symbols?.Find(method.MetadataToken, frame.GetILOffset()) is { } source)
        {
            line.Append(" in ").Append(source.File).Append(':').Append(source.Line);
        }
        else if (symbols is null && frame.GetFileName() is { } file)
        {
            line.Append(" in ").Append(file).Append(':').Append(frame.GetFileLineNumber());
        }
        else if (location.Length > 0)
        {
            line.Append(" in ").Append(location);
        }
        return line.ToString();
    }

    private static string TypeDisplayName(Type type) => (type.FullName ?? type.Name).Replace('+', '.');

    /// <summary>An async or iterator MoveNext is shown as the user's method that owns the state machine.</summary>
    private static MethodBase? StateMachineOwner(MethodBase method)
    {
        if (method.Name != "MoveNext" || method.DeclaringType is not { DeclaringType: { } owner } machine) return null;
        if (!machine.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false)) return null;
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly;
        foreach (var candidate in owner.GetMethods(all))
        {
            foreach (var attribute in candidate.GetCustomAttributes<StateMachineAttribute>(inherit: false))
            {
                if (attribute.StateMachineType == machine) return candidate;
            }
        }
        return null;
    }
}
