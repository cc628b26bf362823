namespace NRepl.Benchmarks.E2e;

/// <summary>Iteration counts of the e2e suite: the full run and the quick smoke run.</summary>
internal sealed record E2eSettings
{
    public int EvalWarmup { get; init; } = 300;

    public int EvalN { get; init; } = 1000;

    public int DescribeWarmup { get; init; } = 500;

    public int DescribeN { get; init; } = 2000;

    public int SwapWarmup { get; init; } = 40;

    public int SwapN { get; init; } = 200;

    public int LoopSwapWarmup { get; init; } = 10;

    public int LoopSwapN { get; init; } = 100;

    public int Clients { get; init; } = 32;

    public int ThroughputWarmupPerClient { get; init; } = 10;

    public int ThroughputPerClient { get; init; } = 100;

    public int ReferenceEvalN { get; init; } = 100;

    public int ReferenceDescribeN { get; init; } = 500;

    public int[] MemoryCheckpoints { get; init; } = { 1000, 5000 };

    public int ColdRuns { get; init; } = 5;

    /// <summary>Fresh servers the 500-line file is loaded into (one load each).</summary>
    public int LoadFileRuns { get; init; } = 5;

    public int LoadFileChangeWarmup { get; init; } = 5;

    /// <summary>Loads of the same file with one method changed, on the last of those servers.</summary>
    public int LoadFileChangeN { get; init; } = 50;

    /// <summary>Redefinitions measured by the migration benchmark, each of a new class with its own instances.</summary>
    public int MigrationRuns { get; init; } = 5;

    /// <summary>Live instances of each migrated class (and of the never-migrated class of the read comparison).</summary>
    public int MigrationInstances { get; init; } = 1_000_000;

    /// <summary>Evals per list in the migrated vs never-migrated field read comparison.</summary>
    public int FieldReadN { get; init; } = 10;

    public int CallCostWarmup { get; init; } = 2;

    public int CallCostN { get; init; } = 10;

    /// <summary>Calls per call-cost eval (and per in-process Release loop).</summary>
    public int CallCostCalls { get; init; } = 10_000_000;

    /// <summary>Deadline of one request (an eval that waits for the target to start may take long).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Deadline of the first eval of a fresh server (target start and world load).</summary>
    public TimeSpan WorldReadyTimeout { get; init; } = TimeSpan.FromSeconds(120);

    public static E2eSettings Full { get; } = new();

    public static E2eSettings Quick { get; } = new()
    {
        EvalWarmup = 20,
        EvalN = 50,
        DescribeWarmup = 50,
        DescribeN = 100,
        SwapWarmup = 5,
        SwapN = 10,
        LoopSwapWarmup = 3,
        LoopSwapN = 5,
        ThroughputWarmupPerClient = 2,
        ThroughputPerClient = 5,
        ReferenceEvalN = 5,
        ReferenceDescribeN = 20,
        MemoryCheckpoints = new[] { 100, 200 },
        ColdRuns = 2,
        LoadFileRuns = 1,
        LoadFileChangeWarmup = 1,
        LoadFileChangeN = 3,
        MigrationRuns = 2,
        MigrationInstances = 100_000,
        FieldReadN = 2,
        CallCostWarmup = 1,
        CallCostN = 3,
        CallCostCalls = 1_000_000,
    };
}
