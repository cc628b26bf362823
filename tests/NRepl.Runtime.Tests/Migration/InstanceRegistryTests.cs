using System.Runtime.CompilerServices;

namespace NRepl.Runtime.Tests.Migration;

// The registry is process-wide: each test registers instances of its own private classes.
[TestFixture]
public sealed class InstanceRegistryTests
{
    private class Pruned { }

    private class Twice { }

    private class Interleaved { }

    private class Concurrent { }

    private class Many { }

    private class Animal { }

    private sealed class Dog : Animal { }

    [Test]
    public void LiveInstances_DroppedInstancesCollected_OnlyKeptOnesListedAndHandlesFreed()
    {
        var kept = RegisterMany(100, keep: 10);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var live = InstanceRegistry.LiveInstances(typeof(Pruned), includeSubtypes: false);

        Assert.That(live, Is.EquivalentTo(kept));
        Assert.That(InstanceRegistry.HandleCount(typeof(Pruned)), Is.EqualTo(10), "dead handles are freed during enumeration");
        GC.KeepAlive(kept);
    }

    [Test]
    public void Register_SameObjectTwiceInARow_OneHandle()
    {
        var twice = new Twice();

        InstanceRegistry.Register(twice);
        InstanceRegistry.Register(twice);

        Assert.That(InstanceRegistry.HandleCount(typeof(Twice)), Is.EqualTo(1));
        GC.KeepAlive(twice);
    }

    [Test]
    public void LiveInstances_DuplicateWithRegistrationInBetween_ListedOnce()
    {
        var a = new Interleaved();
        var b = new Interleaved();

        InstanceRegistry.Register(a);
        InstanceRegistry.Register(b);
        InstanceRegistry.Register(a);
        var live = InstanceRegistry.LiveInstances(typeof(Interleaved), includeSubtypes: false);

        Assert.That(live, Has.Count.EqualTo(2));
        Assert.That(live, Is.EquivalentTo(new object[] { a, b }));
    }

    [Test]
    public void LiveInstances_ManyInstancesSomeRegisteredTwice_EachListedOnce()
    {
        var many = new Many[100_000];
        for (var i = 0; i < many.Length; i++)
        {
            many[i] = new Many();
            InstanceRegistry.Register(many[i]);
        }
        // Non-adjacent repeats, as a constructor chain interleaved with other registrations leaves them.
        InstanceRegistry.Register(many[0]);
        InstanceRegistry.Register(many[5_000]);
        InstanceRegistry.Register(many[99_999]);

        var live = InstanceRegistry.LiveInstances(typeof(Many), includeSubtypes: false);

        Assert.That(live, Has.Count.EqualTo(many.Length));
        Assert.That(live.ToHashSet(ReferenceEqualityComparer.Instance), Has.Count.EqualTo(many.Length));
        GC.KeepAlive(many);
    }

    [Test]
    public void LiveInstances_IncludeSubtypes_ListsDerivedInstancesOnlyWhenAsked()
    {
        var animal = new Animal();
        var dog = new Dog();
        InstanceRegistry.Register(animal);
        InstanceRegistry.Register(dog);

        var withSubtypes = InstanceRegistry.LiveInstances(typeof(Animal), includeSubtypes: true);
        var exact = InstanceRegistry.LiveInstances(typeof(Animal), includeSubtypes: false);

        Assert.That(withSubtypes, Is.EquivalentTo(new object[] { animal, dog }));
        Assert.That(exact, Is.EquivalentTo(new object[] { animal }));
    }

    [Test]
    public void Register_ConcurrentThreads_EveryInstanceListed()
    {
        const int perThread = 10_000;
        var all = new Concurrent[4][];

        Parallel.For(0, all.Length, t =>
        {
            all[t] = new Concurrent[perThread];
            for (var i = 0; i < perThread; i++)
            {
                all[t][i] = new Concurrent();
                InstanceRegistry.Register(all[t][i]);
            }
        });
        var live = InstanceRegistry.LiveInstances(typeof(Concurrent), includeSubtypes: false);

        Assert.That(live.Intersect(all.SelectMany(a => a)).Count(), Is.EqualTo(4 * perThread));
        GC.KeepAlive(all);
    }

    private class Late { }

    private class PrunedBetween { }

    private class LateBase { }

    private sealed class LateDerived : LateBase { }

    [Test]
    public void RegisteredSince_InstancesMadeAfterTheSnapshot_OnlyThoseListed()
    {
        var early = Registered(() => new Late(), 3);
        var snapshot = InstanceRegistry.LiveInstances(typeof(Late), includeSubtypes: false, out var mark);
        var late = Registered(() => new Late(), 2);

        var since = InstanceRegistry.RegisteredSince(typeof(Late), includeSubtypes: false, mark, snapshot);

        Assert.That(snapshot, Is.EquivalentTo(early));
        Assert.That(since, Is.EquivalentTo(late));
    }

    [Test]
    public void RegisteredSince_ListPrunedAfterTheSnapshot_StillExactlyTheNewOnes()
    {
        var early = Registered(() => new PrunedBetween(), 5);
        var snapshot = InstanceRegistry.LiveInstances(typeof(PrunedBetween), includeSubtypes: false, out var mark);
        _ = InstanceRegistry.LiveInstances(typeof(PrunedBetween), includeSubtypes: false); // compacts the list: positions move
        var late = Registered(() => new PrunedBetween(), 2);

        var since = InstanceRegistry.RegisteredSince(typeof(PrunedBetween), includeSubtypes: false, mark, snapshot);

        Assert.That(since, Is.EquivalentTo(late));
        GC.KeepAlive(early);
    }

    [Test]
    public void RegisteredSince_SubtypeFirstRegisteredAfterTheSnapshot_Included()
    {
        var early = Registered(() => new LateBase(), 1);
        var snapshot = InstanceRegistry.LiveInstances(typeof(LateBase), includeSubtypes: true, out var mark);
        var late = Registered(() => new LateDerived(), 1);

        var since = InstanceRegistry.RegisteredSince(typeof(LateBase), includeSubtypes: true, mark, snapshot);

        Assert.That(since, Is.EquivalentTo(late));
        GC.KeepAlive(early);
    }

    private static List<object> Registered(Func<object> create, int count)
    {
        var made = new List<object>();
        for (var i = 0; i < count; i++)
        {
            var instance = create();
            InstanceRegistry.Register(instance);
            made.Add(instance);
        }
        return made;
    }

    /// <summary>Not inlined, so no dropped instance stays reachable from this test's stack frame.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static List<Pruned> RegisterMany(int count, int keep)
    {
        var kept = new List<Pruned>();
        for (var i = 0; i < count; i++)
        {
            var instance = new Pruned();
            InstanceRegistry.Register(instance);
            if (i < keep) kept.Add(instance);
        }
        return kept;
    }
}
