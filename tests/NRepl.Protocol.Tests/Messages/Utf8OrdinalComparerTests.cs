using System.Text;
using NRepl.Protocol.Messages;

namespace NRepl.Protocol.Tests.Messages;

public class Utf8OrdinalComparerTests
{
    [TestCase("a", "b")]
    [TestCase("a", "ab")]
    [TestCase("", "a")]
    [TestCase("Z", "a")]
    [TestCase("id", "op")]
    [TestCase("\u007F", "\u0080")]
    [TestCase("\uE000", "😀")]
    [TestCase("\uFFFF", "😀")]
    [TestCase("😀", "😁")]
    public void Compare_Pairs_MatchesUtf8ByteOrder(string smaller, string larger)
    {
        Assert.That(Utf8OrdinalComparer.Instance.Compare(smaller, larger), Is.LessThan(0));
        Assert.That(Utf8OrdinalComparer.Instance.Compare(larger, smaller), Is.GreaterThan(0));
        Assert.That(ByteOrder(smaller, larger), Is.LessThan(0), "the test case itself is in UTF-8 order");
    }

    [Test]
    public void Compare_EqualAndNull_AreOrdered()
    {
        Assert.That(Utf8OrdinalComparer.Instance.Compare("x", new string('x', 1)), Is.EqualTo(0));
        Assert.That(Utf8OrdinalComparer.Instance.Compare(null, "x"), Is.LessThan(0));
    }

    private static int ByteOrder(string a, string b) =>
        Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b));
}
