using NRepl.Protocol.Bencode;

namespace NRepl.Protocol.Tests.Bencode;

public class BencodeReaderOptionsTests
{
    [Test]
    public void Default_AllLimits_AreZeroMeaningDefault()
    {
        var options = default(BencodeReaderOptions);
        Assert.That((options.MaxDepth, options.MaxStringLength, options.MaxMessageSize), Is.EqualTo((0, 0L, 0L)));
    }

    [Test]
    public void WithDefaults_Zeros_BecomeDocumentedDefaults()
    {
        BencodeReaderOptions options = default(BencodeReaderOptions).WithDefaults();
        Assert.That(options.MaxDepth, Is.EqualTo(64));
        Assert.That(options.MaxStringLength, Is.EqualTo(16L * 1024 * 1024));
        Assert.That(options.MaxMessageSize, Is.EqualTo(16L * 1024 * 1024));
    }

    [Test]
    public void Setters_NegativeValues_ThrowArgumentOutOfRange()
    {
        var options = new BencodeReaderOptions();
        Assert.Throws<ArgumentOutOfRangeException>(() => options.MaxDepth = -1);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.MaxStringLength = -1);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.MaxMessageSize = -1);
    }

    [Test]
    public void Setters_PositiveValues_AreKept()
    {
        var options = new BencodeReaderOptions { MaxDepth = 3, MaxStringLength = 4, MaxMessageSize = 5 };
        Assert.That((options.MaxDepth, options.MaxStringLength, options.MaxMessageSize), Is.EqualTo((3, 4L, 5L)));
        Assert.That(new BencodeReaderState(options).Options.MaxDepth, Is.EqualTo(3));
    }
}
