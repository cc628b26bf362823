using System.Collections;
using NRepl.Runtime.Contract;
using NRepl.Runtime.Printing;

namespace NRepl.Runtime.Tests.Printing;

public enum Color { Red, Green, Blue }

[Flags]
public enum Access { None = 0, Read = 1, Write = 2 }

public sealed record Point(int X, int Y);

public sealed class Plain
{
    public int Field = 1;
    public string Name { get; set; } = "n";
    public Plain? Next { get; set; }
}

public sealed class Throwing
{
    public int Ok => 1;
    public int Bad => throw new InvalidOperationException("getter failed");
}

public sealed class BadToString
{
    public override string ToString() => throw new InvalidOperationException("no text");
}

public sealed class Empty;

public sealed class Outer<T>
{
    public sealed class Inner<U>;
}

public sealed class FailingSequence : IEnumerable<int>
{
    public IEnumerator<int> GetEnumerator()
    {
        yield return 1;
        throw new InvalidOperationException("sequence broke");
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

[TestFixture]
public sealed class ValuePrinterTests
{
    private static string Print(object? value, int maxItems = 0, int maxDepth = 0, int quota = 0) =>
        ValuePrinter.Print(value, new PrintSettings(0, maxItems, maxDepth, quota)).Text;

    [TestCase(null, "null")]
    [TestCase(true, "true")]
    [TestCase(false, "false")]
    [TestCase(42, "42")]
    [TestCase(-7L, "-7")]
    [TestCase(1.5, "1.5")]
    [TestCase(0.1, "0.1")]
    [TestCase(1.5f, "1.5")]
    [TestCase('c', "'c'")]
    [TestCase('\'', "'\\''")]
    [TestCase('\n', "'\\n'")]
    [TestCase("plain", "\"plain\"")]
    [TestCase("a\"b\n", "\"a\\\"b\\n\"")]
    [TestCase("tab\t\\ \0 \u0001", "\"tab\\t\\\\ \\0 \\u0001\"")]
    public void Print_Scalar_CSharpLiteral(object? value, string expected) => Assert.That(Print(value), Is.EqualTo(expected));

    [Test]
    public void Print_Double_RoundTrips() => Assert.That(Print(1.0 / 3), Is.EqualTo((1.0 / 3).ToString("R", System.Globalization.CultureInfo.InvariantCulture)));

    [Test]
    public void Print_Decimal_InvariantCulture() => Assert.That(Print(1234.50m), Is.EqualTo("1234.50"));

    [Test]
    public void Print_SurrogatePairInString_Kept() => Assert.That(Print("😀"), Is.EqualTo("\"😀\""));

    [Test]
    public void Print_Enum_TypeDotName() => Assert.That(Print(Color.Red), Is.EqualTo("Color.Red"));

    [Test]
    public void Print_FlagsEnum_JoinedWithBar() => Assert.That(Print(Access.Read | Access.Write), Is.EqualTo("Access.Read | Access.Write"));

    [Test]
    public void Print_UndefinedEnumValue_Cast() => Assert.That(Print((Color)7), Is.EqualTo("(Color)7"));

    [Test]
    public void Print_Record_UsesToString() => Assert.That(Print(new Point(1, 2)), Is.EqualTo("Point { X = 1, Y = 2 }"));

    [Test]
    public void Print_TypeOverridingToString_UsesToString() => Assert.That(Print(new DateOnly(2024, 1, 2)), Is.EqualTo(new DateOnly(2024, 1, 2).ToString()));

    [Test]
    public void Print_ToStringThrows_ShownInline() =>
        Assert.That(Print(new BadToString()), Is.EqualTo("<threw InvalidOperationException: no text>"));

    [Test]
    public void Print_Dictionary_EntriesInBraces()
    {
        var value = new Dictionary<string, int> { ["a"] = 1, ["b"] = 2 };

        Assert.That(Print(value), Is.EqualTo("Dictionary<string, int>(2) { { \"a\", 1 }, { \"b\", 2 } }"));
    }

    [Test]
    public void Print_Array_LengthAndItems() => Assert.That(Print(new[] { 1, 2, 3 }), Is.EqualTo("int[3] { 1, 2, 3 }"));

    [Test]
    public void Print_EmptyArray_EmptyBraces() => Assert.That(Print(Array.Empty<string>()), Is.EqualTo("string[0] { }"));

    [Test]
    public void Print_MultiDimensionalArray_AllLengths() => Assert.That(Print(new int[,] { { 1, 2 }, { 3, 4 } }), Is.EqualTo("int[2, 2] { 1, 2, 3, 4 }"));

    [Test]
    public void Print_JaggedArray_InnerRankAfterLength() =>
        Assert.That(Print(new[] { new[] { 1 }, new[] { 2, 3 } }), Is.EqualTo("int[2][] { int[1] { 1 }, int[2] { 2, 3 } }"));

    [Test]
    public void Print_List_CountAndItems() => Assert.That(Print(new List<int> { 1, 2, 3 }), Is.EqualTo("List<int>(3) { 1, 2, 3 }"));

    [Test]
    public void Print_HashSet_CountFromGenericCollection() => Assert.That(Print(new HashSet<string> { "x" }), Is.EqualTo("HashSet<string>(1) { \"x\" }"));

    [Test]
    public void Print_LazySequence_NoCount()
    {
        var text = Print(Enumerable.Range(1, 3).Select(i => i * 2));

        Assert.That(text, Does.EndWith("<int, int> { 2, 4, 6 }").And.Not.Contain("("));
    }

    [Test]
    public void Print_NestedGenerics_CSharpTypeNames() =>
        Assert.That(Print(new List<List<Point>> { new() { new Point(1, 2) } }), Is.EqualTo("List<List<Point>>(1) { List<Point>(1) { Point { X = 1, Y = 2 } } }"));

    [Test]
    public void Print_ValueTuple_Parenthesized() => Assert.That(Print((1, "a")), Is.EqualTo("(1, \"a\")"));

    [Test]
    public void Print_ReferenceTuple_Parenthesized() => Assert.That(Print(Tuple.Create(1, 'c')), Is.EqualTo("(1, 'c')"));

    [Test]
    public void Print_PlainObject_PublicFieldsAndProperties() =>
        Assert.That(Print(new Plain()), Is.EqualTo("Plain { Field = 1, Name = \"n\", Next = null }"));

    [Test]
    public void Print_ObjectWithoutMembers_EmptyBraces() => Assert.That(Print(new Empty()), Is.EqualTo("Empty { }"));

    [Test]
    public void Print_AnonymousObject_QuotedMembers() => Assert.That(Print(new { A = 1, B = "x" }), Is.EqualTo("{ A = 1, B = \"x\" }"));

    [Test]
    public void Print_GetterThrows_ShownInline() =>
        Assert.That(Print(new Throwing()), Is.EqualTo("Throwing { Ok = 1, Bad = <threw InvalidOperationException: getter failed> }"));

    [Test]
    public void Print_EnumerationThrows_ShownInline() =>
        Assert.That(Print(new FailingSequence()), Is.EqualTo("FailingSequence { 1, <threw InvalidOperationException: sequence broke> }"));

    [Test]
    public void Print_Cycle_Ellipsis()
    {
        var node = new Plain();
        node.Next = node;

        Assert.That(Print(node), Is.EqualTo("Plain { Field = 1, Name = \"n\", Next = ... }"));
    }

    [Test]
    public void Print_ListContainingItself_Ellipsis()
    {
        var list = new List<object> { 1 };
        list.Add(list);

        Assert.That(Print(list), Is.EqualTo("List<object>(2) { 1, ... }"));
    }

    [Test]
    public void Print_SameObjectTwiceWithoutCycle_PrintedTwice()
    {
        var shared = new Point(1, 1);

        Assert.That(Print(new[] { shared, shared }), Is.EqualTo("Point[2] { Point { X = 1, Y = 1 }, Point { X = 1, Y = 1 } }"));
    }

    [Test]
    public void Print_MaxItems_RestElided() => Assert.That(Print(Enumerable.Range(1, 10).ToList(), maxItems: 3), Is.EqualTo("List<int>(10) { 1, 2, 3, ... }"));

    [Test]
    public void Print_MaxItems_InfiniteSequenceStops() =>
        Assert.That(Print(Infinite(), maxItems: 2), Does.EndWith("{ 0, 1, ... }"));

    [Test]
    public void Print_MaxDepth_DeeperCompositesElided() =>
        Assert.That(Print(new List<List<int>> { new() { 1 } }, maxDepth: 1), Is.EqualTo("List<List<int>>(1) { List<int>(1) { ... } }"));

    [Test]
    public void Print_MaxDepthOnObject_MembersElided()
    {
        var node = new Plain { Next = new Plain() };

        Assert.That(Print(node, maxDepth: 1), Is.EqualTo("Plain { Field = 1, Name = \"n\", Next = Plain { ... } }"));
    }

    [Test]
    public void Print_Quota_CutAndTruncated()
    {
        var printed = ValuePrinter.Print(Enumerable.Range(0, 1000).ToArray(), new PrintSettings(0, 0, 0, 20));

        Assert.That(printed.Truncated, Is.True);
        Assert.That(printed.Text, Is.EqualTo("int[1000] { 0, 1, 2,"));
    }

    [Test]
    public void Print_QuotaOnInfiniteSequence_Terminates()
    {
        var printed = ValuePrinter.Print(Infinite(), new PrintSettings(0, 0, 0, 50));

        Assert.That(printed.Truncated, Is.True);
        Assert.That(printed.Text, Has.Length.EqualTo(50));
    }

    [Test]
    public void Print_WithinQuota_NotTruncated() => Assert.That(ValuePrinter.Print(42, new PrintSettings(0, 0, 0, 2)).Truncated, Is.False);

    [Test]
    public void Print_QuotaInsideSurrogatePair_NotSplit()
    {
        var printed = ValuePrinter.Print("😀😀", new PrintSettings(0, 0, 0, 2));

        Assert.That(printed.Text, Is.EqualTo("\""));
    }

    [Test]
    public void Print_CompletedTask_StatusAndResult() =>
        Assert.That(Print(Task.FromResult(5)), Is.EqualTo("Task<int> { Status = RanToCompletion, Result = 5 }"));

    [Test]
    public void Print_PendingTask_DoesNotBlock() =>
        Assert.That(Print(new TaskCompletionSource<int>().Task), Is.EqualTo("Task<int> { Status = WaitingForActivation }"));

    [Test]
    public void Print_Type_Typeof() => Assert.That(Print(typeof(Dictionary<string, int?>)), Is.EqualTo("typeof(Dictionary<string, int?>)"));

    [TestCase(typeof(int), "int")]
    [TestCase(typeof(string[]), "string[]")]
    [TestCase(typeof(int[][,]), "int[][,]")]
    [TestCase(typeof(int?), "int?")]
    [TestCase(typeof((int, string)), "(int, string)")]
    [TestCase(typeof(Dictionary<string, List<Point>>), "Dictionary<string, List<Point>>")]
    [TestCase(typeof(Outer<int>.Inner<string>), "Outer<int>.Inner<string>")]
    [TestCase(typeof(List<>), "List<T>")]
    [TestCase(typeof(Func<int, bool>), "Func<int, bool>")]
    public void TypeNames_Of_CSharpSpelling(Type type, string expected) => Assert.That(TypeNames.Of(type), Is.EqualTo(expected));

    private static IEnumerable<int> Infinite()
    {
        for (var i = 0; ; i++) yield return i;
    }
}
