using System.Collections.Immutable;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;

namespace NRepl.Runtime.Hosting;

/// <summary>
/// Source lines of world methods, from the world's PDB and every delta's PDB. Needed because the
/// runtime stops reporting file and line for an assembly once an EnC update has been applied to it
/// (its PDB is stale), yet the deltas carry exact sequence points for the methods they changed.
/// </summary>
internal sealed class WorldSymbols
{
    private readonly object _gate = new();
    // Each changed method's visible sequence points, decoded when its delta arrives: a MetadataReader over a
    // delta PDB would keep that PDB's bytes pinned for as long as it lives, one pinned array per eval, and
    // thousands of them scattered through gen 0 stop the GC from compacting it (the soak test's target doubled).
    private readonly Dictionary<int, (int Offset, string File, int Line)[]> _changed = [];
    private readonly Dictionary<(int Token, int ILOffset), (string File, int Line)?> _cache = [];
    private MetadataReader? _baseline;

    /// <summary>The gen-0 PDB (empty when the world came without one).</summary>
    public void SetBaseline(byte[] pdb)
    {
        if (pdb.Length == 0) return;
        // Kept open for the world's life: one PDB, so its one pinned image does not matter.
        var reader = TryOpen(pdb)?.GetMetadataReader();
        lock (_gate) _baseline = reader;
    }

    /// <summary>
    /// A delta's PDB: a self-contained portable PDB whose MethodDebugInformation rows are listed, in order,
    /// by its EnC map (each entry's row number is the method's row in the world).
    /// </summary>
    public void AddDelta(byte[] pdb)
    {
        if (pdb.Length == 0) return;
        if (TryOpen(pdb) is not { } provider) return;
        using (provider)
        {
            var reader = provider.GetMetadataReader();
            var decoded = new List<(int Row, (int, string, int)[] Points)>();
            var local = 0;
            foreach (var entry in reader.GetEditAndContinueMapEntries())
            {
                if (entry.Kind != HandleKind.MethodDebugInformation) continue;
                local++;
                decoded.Add((MetadataTokens.GetRowNumber(entry), VisiblePoints(reader, MetadataTokens.MethodDebugInformationHandle(local))));
            }
            lock (_gate)
            {
                foreach (var (row, points) in decoded) _changed[row] = points;
                _cache.Clear();
            }
        }
    }

    /// <summary>File and line of the statement at <paramref name="ilOffset"/> in the latest body of the method, or null.</summary>
    public (string File, int Line)? Find(int methodToken, int ilOffset)
    {
        if (ilOffset < 0) return null;
        lock (_gate)
        {
            if (_cache.TryGetValue((methodToken, ilOffset), out var cached)) return cached;
            var found = Lookup(MetadataTokens.GetRowNumber(MetadataTokens.EntityHandle(methodToken)), ilOffset);
            _cache[(methodToken, ilOffset)] = found;
            return found;
        }
    }

    private (string File, int Line)? Lookup(int methodRow, int ilOffset)
    {
        var points = _changed.TryGetValue(methodRow, out var changed) ? changed
            : _baseline is not null && methodRow >= 1 && methodRow <= _baseline.MethodDebugInformation.Count
                ? VisiblePoints(_baseline, MetadataTokens.MethodDebugInformationHandle(methodRow))
                : [];
        (string File, int Line)? best = null;
        foreach (var (offset, file, line) in points)
        {
            if (offset > ilOffset) break;
            best = (file, line);
        }
        return best;
    }

    private static (int Offset, string File, int Line)[] VisiblePoints(MetadataReader reader, MethodDebugInformationHandle handle)
    {
        try
        {
            var points = new List<(int, string, int)>();
            foreach (var point in reader.GetMethodDebugInformation(handle).GetSequencePoints())
            {
                if (!point.IsHidden) points.Add((point.Offset, reader.GetString(reader.GetDocument(point.Document).Name), point.StartLine));
            }
            return [.. points];
        }
        catch (BadImageFormatException)
        {
            return [];
        }
    }

    private static MetadataReaderProvider? TryOpen(byte[] pdb)
    {
        var provider = MetadataReaderProvider.FromPortablePdbImage(ImmutableArray.Create(pdb));
        try
        {
            provider.GetMetadataReader(); // reads the header: a bad image fails here, not later
            return provider;
        }
        catch (BadImageFormatException)
        {
            // No line numbers is better than a refused world or delta.
            provider.Dispose();
            return null;
        }
    }
}
