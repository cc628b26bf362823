using System.Collections.Immutable;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;

namespace NRepl.Server.World.Emit;

/// <summary>
/// Reads what a metadata delta added. Looking a method up by name in the target gets slower with
/// every added method (8 ms at 2,000), so the server finds the eval method's token in the delta.
/// </summary>
internal static class DeltaInspector
{
    /// <summary>
    /// Finds the tokens of the methods with the given names that the delta defines. A delta's
    /// string heap continues the previous generations' heaps, so its name offsets start at
    /// <paramref name="previousStringHeapSize"/>; a name whose string was written by an earlier
    /// generation is not found (none of ours is reused: eval and helper names are new).
    /// </summary>
    public static (Dictionary<string, int> Tokens, long StringHeapSize) FindMethods(byte[] metadataDelta, long previousStringHeapSize, IReadOnlyCollection<string> names)
    {
        var reader = MetadataReaderProvider.FromMetadataImage(ImmutableArray.Create(metadataDelta)).GetMetadataReader();
        var methodEntries = reader.GetEditAndContinueMapEntries().Where(e => e.Kind == HandleKind.MethodDefinition).ToList();
        var tokens = new Dictionary<string, int>(StringComparer.Ordinal);
        var row = 0;
        foreach (var handle in reader.MethodDefinitions)
        {
            var offset = MetadataTokens.GetHeapOffset(reader.GetMethodDefinition(handle).Name);
            if (offset >= previousStringHeapSize && row < methodEntries.Count)
            {
                var name = reader.GetString(MetadataTokens.StringHandle((int)(offset - previousStringHeapSize)));
                if (names.Contains(name)) tokens[name] = MetadataTokens.GetToken(methodEntries[row]);
            }
            row++;
        }
        return (tokens, previousStringHeapSize + reader.GetHeapSize(HeapIndex.String));
    }
}
