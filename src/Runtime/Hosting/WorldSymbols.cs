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
    private readonly Dictionary<int, (MetadataReader Reader, MethodDebugInformationHandle Handle)> _changed = [];
    private readonly Dictionary<(int Token, int ILOffset), (string File, int Line)?> _cache = [];
    private MetadataReader? _baseline;

    /// <summary>The gen-0 PDB (empty when the world came without one).</summary>
    public void SetBaseline(byte[] pdb)
    {
        if (pdb.Length == 0) return;
        var reader = TryOpen(pdb);
        lock (_gate) _baseline = reader;
    }

    /// <summary>
    /// A delta's PDB: a self-contained portable PDB whose MethodDebugInformation rows are listed, in order,
    /// by its EnC map (each entry's row number is the method's row in the world).
    /// </summary>
    public void AddDelta(byte[] pdb)
    {
        if (pdb.Length == 0) return;
        var reader = TryOpen(pdb);
        if (reader is null) return;
        lock (_gate)
        {
            var local = 0;
            foreach (var entry in reader.GetEditAndContinueMapEntries())
            {
                if (entry.Kind != HandleKind.MethodDebugInformation) continue;
                local++;
                _changed[MetadataTokens.GetRowNumber(entry)] = (reader, MetadataTokens.MethodDebugInformationHandle(local));
            }
            _cache.Clear();
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
        MetadataReader reader;
        MethodDebugInformationHandle handle;
        if (_changed.TryGetValue(methodRow, out var changed))
        {
            (reader, handle) = changed;
        }
        else if (_baseline is not null && methodRow >= 1 && methodRow <= _baseline.MethodDebugInformation.Count)
        {
            reader = _baseline;
            handle = MetadataTokens.MethodDebugInformationHandle(methodRow);
        }
        else
        {
            return null;
        }

        try
        {
            SequencePoint? best = null;
            foreach (var point in reader.GetMethodDebugInformation(handle).GetSequencePoints())
            {
                if (point.Offset > ilOffset) break;
                if (!point.IsHidden) best = point;
            }
            if (best is not { } p) return null;
            return (reader.GetString(reader.GetDocument(p.Document).Name), p.StartLine);
        }
        catch (BadImageFormatException)
        {
            return null;
        }
    }

    private static MetadataReader? TryOpen(byte[] pdb)
    {
        try
        {
            return MetadataReaderProvider.FromPortablePdbImage(ImmutableArray.Create(pdb)).GetMetadataReader();
        }
        catch (BadImageFormatException)
        {
            // No line numbers is better than a refused world.
            return null;
        }
    }
}
