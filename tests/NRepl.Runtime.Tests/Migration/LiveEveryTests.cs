using NRepl.Runtime.Migration;
using NRepl.Runtime.Tests.Support;

namespace NRepl.Runtime.Tests.Migration;

// In-process: the gate is process-wide, so these tests must not run in parallel with each other.
[TestFixture]
[NonParallelizable]
public sealed class LiveEveryTests
{
    private static readonly TimeSpan Deadline = TargetHarness.Deadline;

    [TearDown]
    public void TearDown() => MigrationGate.Open();

    [Test]
    public void Every_GateClosed_LoopParksAtBoundaryAndResumesWhenOpened()
    {
        const int Running = 0, Paused = 1, Reopened = 2;
        var phase = Running;
        var violations = 0;
        using var iterated = new SemaphoreSlim(0);
        using var parked = new SemaphoreSlim(0);
        Action onParked = () => parked.Release();
        MigrationGate.IterationParked += onParked;
        try
        {
            using var loop = Live.Every(TimeSpan.FromMilliseconds(1), () =>
            {
                // Paused is set only after the gate closed and running iterations drained: any iteration
                // that sees it started while the gate was closed.
                if (Volatile.Read(ref phase) == Paused) Interlocked.Increment(ref violations);
                iterated.Release();
            });
            Assert.That(iterated.Wait(Deadline), "the loop runs");

            MigrationGate.Close();
            Assert.That(MigrationGate.WaitForIterations(Deadline), "running iterations drain");
            Volatile.Write(ref phase, Paused);
            Assert.That(parked.Wait(Deadline), "the loop reaches its boundary and waits there");
            while (iterated.Wait(0)) { }
            Volatile.Write(ref phase, Reopened);
            MigrationGate.Open();

            Assert.That(iterated.Wait(Deadline), "the loop resumes after the gate opens");
            Assert.That(violations, Is.Zero);
        }
        finally
        {
            MigrationGate.IterationParked -= onParked;
        }
    }

    [Test]
    public void Every_ActionThrows_LoopContinues()
    {
        var calls = 0;
        using var thirdCall = new ManualResetEventSlim();
        using var loop = Live.Every(TimeSpan.FromMilliseconds(1), () =>
        {
            if (Interlocked.Increment(ref calls) == 3) thirdCall.Set();
            throw new InvalidOperationException("every call fails");
        });

        Assert.That(thirdCall.Wait(Deadline));
    }

    [Test]
    public void Dispose_FromInsideAction_StopsWithoutDeadlock()
    {
        IDisposable? loop = null;
        using var created = new ManualResetEventSlim();
        using var disposed = new ManualResetEventSlim();
        var calls = 0;
        loop = Live.Every(TimeSpan.FromMilliseconds(1), () =>
        {
            Interlocked.Increment(ref calls);
            created.Wait();
            loop!.Dispose();
            disposed.Set();
        });
        created.Set();

        Assert.That(disposed.Wait(Deadline), "Dispose returned inside the action");
        loop.Dispose();
        Assert.That(calls, Is.EqualTo(1), "the loop ended after the iteration that disposed it");
    }

    [Test]
    public void Dispose_WhileParkedAtClosedGate_ReturnsWithoutOpening()
    {
        using var parked = new SemaphoreSlim(0);
        Action onParked = () => parked.Release();
        MigrationGate.IterationParked += onParked;
        try
        {
            var loop = Live.Every(TimeSpan.FromMilliseconds(1), () => { });
            MigrationGate.Close();
            Assert.That(parked.Wait(Deadline));

            loop.Dispose();

            Assert.That(MigrationGate.IsClosed, "the gate stayed closed: the loop left on its own");
        }
        finally
        {
            MigrationGate.IterationParked -= onParked;
        }
    }

    [Test]
    public void Every_NonPositiveInterval_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Live.Every(TimeSpan.Zero, () => { }));
    }
}
