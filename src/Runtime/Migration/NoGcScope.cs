using System.Runtime;

namespace NRepl.Runtime.Migration;

/// <summary>
/// Suppresses garbage collections while a migration writes its values, when the runtime can promise
/// enough memory for it. Each first write of an EnC-added field allocates small objects and a dependent
/// handle; collections in the middle of a million such writes rescan an ever-growing set of dependent
/// handles, which made the writes superlinear.
/// </summary>
internal sealed class NoGcScope : IDisposable
{
    /// <summary>Bytes the runtime allocates on the GC heap per first write of an added field (helper object + value box), with slack.</summary>
    private const long BytesPerWrite = 96;

    /// <summary>Below this, collections during the writes are too few to matter.</summary>
    private const long MinWrites = 100_000;

    /// <summary>Never ask for more than this; a larger migration just runs with collections.</summary>
    private const long MaxBytes = 512L << 20;

    private readonly bool _active;

    private NoGcScope(bool active) => _active = active;

    public static NoGcScope For(long writes)
    {
        if (writes < MinWrites) return new NoGcScope(false);
        var bytes = writes * BytesPerWrite;
        if (bytes > MaxBytes) return new NoGcScope(false);
        try
        {
            return new NoGcScope(GC.TryStartNoGCRegion(bytes));
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or InvalidOperationException)
        {
            // More than the runtime can reserve, or a region already active: write with collections.
            return new NoGcScope(false);
        }
    }

    public void Dispose()
    {
        if (!_active || GCSettings.LatencyMode != GCLatencyMode.NoGCRegion) return;
        try
        {
            GC.EndNoGCRegion();
        }
        catch (InvalidOperationException)
        {
            // The budget ran out and a collection already ended the region; nothing to undo.
        }
    }
}
