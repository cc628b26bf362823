using NRepl.Runtime.Contract;
using NRepl.Runtime.Tests.Support;

namespace NRepl.Runtime.Tests.EndToEnd;

[TestFixture]
public sealed class EvalTests
{
    private const string World = """
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        using NRepl.Runtime;

        namespace user
        {
            public static partial class __Defs
            {
                public static int Ggg(int v) => v + 1;

                public static object __Eval_1() => Ggg(41);

                public static object __Eval_Print()
                {
                    Console.WriteLine("hi");
                    Console.Error.Write("partial");
                    return 42;
                }

                public static object __Eval_NoValue() { Console.Write(""); return Repl.NoValue; }

                public static void __Eval_Void() { }

                public static object __Eval_String() => "a\"b\n";

                public static object __Eval_Last() => Repl.Value("s1", 1);

                public static async Task<object> __Eval_Async()
                {
                    var before = Environment.CurrentManagedThreadId;
                    await Task.Delay(1);
                    await Task.Yield();
                    return before == Environment.CurrentManagedThreadId;
                }

                public static async Task __Eval_AsyncVoid() { await Task.Yield(); }
            }
        }
        """;

    private TargetHarness _target = null!;

    [SetUp]
    public async Task SetUp() => _target = await TargetHarness.StartAsync(World);

    [TearDown]
    public async Task TearDown() => await _target.DisposeAsync();

    [Test]
    public async Task RunEval_MethodReturnsInt_ValuePrinted()
    {
        var result = await _target.EvalAsync("__Eval_1");

        Assert.That(result.Status, Is.EqualTo(EvalStatus.Value));
        Assert.That(result.Value, Is.EqualTo("42"));
        Assert.That(result.ValueType, Is.EqualTo("int"));
    }

    [Test]
    public async Task RunEval_WritesConsole_OutputArrivesBeforeCompletionWithEvalIds()
    {
        var result = await _target.EvalAsync("__Eval_Print", evalId: 77);

        Assert.That(result.Value, Is.EqualTo("42"));
        var outputs = _target.Sink.Outputs.ToList();
        Assert.That(outputs, Has.Some.EqualTo(new Output(77, "s1", OutputStream.Out, "hi\n")));
        Assert.That(outputs, Has.Some.EqualTo(new Output(77, "s1", OutputStream.Err, "partial")));
    }

    [Test]
    public async Task RunEval_ReturnsNoValueOrVoid_NoValueStatus()
    {
        Assert.That((await _target.EvalAsync("__Eval_NoValue")).Status, Is.EqualTo(EvalStatus.NoValue));
        Assert.That((await _target.EvalAsync("__Eval_Void")).Status, Is.EqualTo(EvalStatus.NoValue));
        Assert.That((await _target.EvalAsync("__Eval_AsyncVoid")).Status, Is.EqualTo(EvalStatus.NoValue));
    }

    [Test]
    public async Task RunEval_String_QuotedWithEscapes()
    {
        var result = await _target.EvalAsync("__Eval_String");

        Assert.That(result.Value, Is.EqualTo("\"a\\\"b\\n\""));
        Assert.That(result.ValueType, Is.EqualTo("string"));
    }

    [Test]
    public async Task RunEval_AsyncMethod_ContinuationsStayOnEvalThread()
    {
        var result = await _target.EvalAsync("__Eval_Async");

        Assert.That(result.Value, Is.EqualTo("true"));
    }

    [Test]
    public async Task RunEval_RecordResult_ValueAvailableAsUnderscoreOne()
    {
        await _target.EvalAsync("__Eval_1");

        var result = await _target.EvalAsync("__Eval_Last", record: false);

        Assert.That(result.Value, Is.EqualTo("42"));
    }
}
