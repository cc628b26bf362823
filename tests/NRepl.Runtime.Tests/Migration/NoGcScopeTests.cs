using System.Runtime;
using NRepl.Runtime.Migration;

namespace NRepl.Runtime.Tests.Migration;

/// <summary>
/// The no-collection window a migration writes in: it must never leave the process in the
/// no-GC latency mode, even when the writes allocate more than was reserved.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class NoGcScopeTests
{
    [Test]
    public void For_ManyWrites_SuppressesCollectionsUntilDisposed()
    {
        using (NoGcScope.For(1_000_000))
        {
            var collections = GC.CollectionCount(0); // entering the region may collect once, to make room
            Assert.That(GCSettings.LatencyMode, Is.EqualTo(GCLatencyMode.NoGCRegion));
            var kept = new List<object>();
            for (var i = 0; i < 100_000; i++) kept.Add(new object());
            Assert.That(GC.CollectionCount(0), Is.EqualTo(collections), "allocating within the reservation collects nothing");
            GC.KeepAlive(kept);
        }

        Assert.That(GCSettings.LatencyMode, Is.Not.EqualTo(GCLatencyMode.NoGCRegion));
    }

    [Test]
    public void Dispose_AfterAllocatingBeyondTheReservation_LeavesTheNormalMode()
    {
        using (NoGcScope.For(200_000))
        {
            var kept = new List<byte[]>();
            for (var i = 0; i < 64; i++) kept.Add(new byte[1 << 20]); // 64 MiB against a 19 MB reservation
            GC.KeepAlive(kept);
        }

        Assert.That(GCSettings.LatencyMode, Is.Not.EqualTo(GCLatencyMode.NoGCRegion));
    }

    [Test]
    public void For_FewWrites_DoesNotEnterTheRegion()
    {
        using (NoGcScope.For(1_000))
        {
            Assert.That(GCSettings.LatencyMode, Is.Not.EqualTo(GCLatencyMode.NoGCRegion));
        }
    }
}
