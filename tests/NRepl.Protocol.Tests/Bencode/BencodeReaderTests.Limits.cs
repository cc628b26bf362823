using NRepl.Protocol.Bencode;
using NRepl.Protocol.Tests.Support;

namespace NRepl.Protocol.Tests.Bencode;

/// <summary>Limits hold before anything large is waited for or allocated.</summary>
public partial class BencodeReaderTests
{
    [Test]
    public void Read_TenGigabyteLengthPrefix_ThrowsStringTooLongBeforePayload()
    {
        var reader = new BencodeReader(Bytes.Utf8("10000000000:"), isFinalBlock: false, default);
        BencodeException ex = CatchRead(ref reader);
        Assert.That(ex.Error, Is.EqualTo(BencodeError.StringTooLong));
        Assert.That(ex.BytePosition, Is.EqualTo(11));
        Assert.That(ex.Message, Does.Contain("10000000000"));
    }

    [Test]
    public void Read_TenGigabyteLengthPrefixUnderStringLimit_ThrowsMessageTooLargeBeforePayload()
    {
        var options = new BencodeReaderOptions { MaxStringLength = long.MaxValue };
        var reader = new BencodeReader(Bytes.Utf8("d1:a10000000000:"), isFinalBlock: false, new BencodeReaderState(options));
        BencodeException ex = CatchRead(ref reader);
        Assert.That(ex.Error, Is.EqualTo(BencodeError.MessageTooLarge));
        Assert.That(ex.BytePosition, Is.EqualTo(15));
    }

    [Test]
    public void Read_LargestLengthPrefix_ThrowsStringTooLongEvenWithoutLimits()
    {
        var options = new BencodeReaderOptions { MaxStringLength = long.MaxValue, MaxMessageSize = long.MaxValue };
        var reader = new BencodeReader(Bytes.Utf8("9999999999999999999:"), isFinalBlock: false, new BencodeReaderState(options));
        Assert.That(CatchRead(ref reader).Error, Is.EqualTo(BencodeError.StringTooLong));
    }

    [Test]
    public void Read_HugeLengthPrefixInMaximumSizedStream_DoesNotOverflow()
    {
        var options = new BencodeReaderOptions { MaxStringLength = long.MaxValue, MaxMessageSize = long.MaxValue };
        // 21 bytes of prefix plus this length is exactly long.MaxValue.
        var reader = new BencodeReader(Bytes.Utf8("l9223372036854775786:"), isFinalBlock: false, new BencodeReaderState(options));
        Assert.That(reader.Read(), Is.True);
        Assert.That(reader.Read(), Is.False, "waits for the payload; the arithmetic must not wrap");

        var oneMore = new BencodeReader(Bytes.Utf8("l9223372036854775787:"), isFinalBlock: false, new BencodeReaderState(options));
        oneMore.Read();
        Assert.That(CatchRead(ref oneMore).Error, Is.EqualTo(BencodeError.MessageTooLarge));
    }

    [Test]
    public void Read_StringAtLimit_IsAcceptedAndOneOverThrows()
    {
        var options = new BencodeReaderOptions { MaxStringLength = 3 };
        Assert.That(TokenDump.FromSpan(Bytes.Utf8("3:abc"), options), Is.EqualTo("\"abc\""));
        BencodeException ex = ReadAllExpectingError(Bytes.Utf8("4:abcd"), [], options);
        Assert.That((ex.Error, ex.BytePosition), Is.EqualTo((BencodeError.StringTooLong, 1L)));
    }

    [Test]
    public void Read_DefaultStringLimit_Is16MiB()
    {
        var state = new BencodeReaderState(new BencodeReaderOptions { MaxMessageSize = long.MaxValue });
        var atLimit = new BencodeReader(Bytes.Utf8("16777216:"), isFinalBlock: false, state);
        Assert.That(atLimit.Read(), Is.False, "16 MiB is allowed; the reader waits for the payload");

        var overLimit = new BencodeReader(Bytes.Utf8("16777217:"), isFinalBlock: false, state);
        Assert.That(CatchRead(ref overLimit).Error, Is.EqualTo(BencodeError.StringTooLong));
    }

    [Test]
    public void Read_DefaultMessageLimit_Is16MiBIncludingAnnouncedPayload()
    {
        var reader = new BencodeReader(Bytes.Utf8("d1:a16777216:"), isFinalBlock: false, default);
        reader.Read();
        reader.Read();
        Assert.That(CatchRead(ref reader).Error, Is.EqualTo(BencodeError.MessageTooLarge));
    }

    [Test]
    public void Read_MessageOverSizeWithSmallTokens_ThrowsMessageTooLarge()
    {
        var options = new BencodeReaderOptions { MaxMessageSize = 10 };
        Assert.That(TokenDump.FromSpan(Bytes.Utf8("d1:a3:abce"), options), Is.EqualTo("{ \"a\" \"abc\" }"), "exactly 10 bytes");
        Assert.That(TokenDump.FromSpan(Bytes.Utf8("d1:a3:abced1:a3:abce"), options), Is.EqualTo("{ \"a\" \"abc\" } { \"a\" \"abc\" }"), "the limit is per top-level value");

        BencodeException ex = ReadAllExpectingError(Bytes.Utf8("li1ei2ei3ee"), [], options);
        Assert.That((ex.Error, ex.BytePosition), Is.EqualTo((BencodeError.MessageTooLarge, 10L)));
    }

    [Test]
    public void Read_MessageOverSizeArrivingByteByByte_ThrowsWhenLimitIsCrossed()
    {
        var options = new BencodeReaderOptions { MaxMessageSize = 10 };
        byte[] data = Bytes.Utf8("li1ei2ei3ei4e");
        BencodeException ex = ReadAllExpectingError(data, Enumerable.Range(1, data.Length - 1).ToArray(), options);
        Assert.That((ex.Error, ex.BytePosition), Is.EqualTo((BencodeError.MessageTooLarge, 10L)));
    }

    [Test]
    public void Read_DepthAtLimit_IsAcceptedAndOneDeeperThrows()
    {
        var options = new BencodeReaderOptions { MaxDepth = 2 };
        Assert.That(TokenDump.FromSpan(Bytes.Utf8("llee"), options), Is.EqualTo("[ [ ] ]"));
        BencodeException ex = ReadAllExpectingError(Bytes.Utf8("llleee"), [], options);
        Assert.That((ex.Error, ex.BytePosition, ex.Depth), Is.EqualTo((BencodeError.DepthExceeded, 2L, 2)));
    }

    [Test]
    public void Read_DefaultDepth_Is64()
    {
        Assert.DoesNotThrow(() => TokenDump.FromSpan(Bytes.Utf8(new string('l', 64) + new string('e', 64))));
        BencodeException ex = ReadAllExpectingError(Bytes.Utf8(new string('l', 65) + new string('e', 65)), []);
        Assert.That((ex.Error, ex.BytePosition), Is.EqualTo((BencodeError.DepthExceeded, 64L)));
    }

    private static BencodeException CatchRead(ref BencodeReader reader)
    {
        try
        {
            while (reader.Read())
            {
            }
        }
        catch (BencodeException ex)
        {
            return ex;
        }

        Assert.Fail("expected a BencodeException");
        throw new System.Diagnostics.UnreachableException();
    }
}
