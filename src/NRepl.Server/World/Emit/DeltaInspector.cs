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
    /// Finds the token of the method named <paramref name="name"/> that the delta defines. A delta's
    /// string heap continues the previous generations' heaps, so its name offsets start at
    /// <paramref name="previousStringHeapSize"/>; names below that were written earlier.
    /// </summary>
    public static (int? Token, long StringHeapSize) FindMethod(byte[] metadataDelta, long previousStringHeapSize, string name)
    {
        var reader = MetadataReaderProvider.FromMetadataImage(ImmutableArray.Create(metadataDelta)).GetMetadataReader();
        var methodEntries = reader.GetEditAndContinueMapEntries().Where(e => e.Kind == HandleKind.MethodDefinition).ToList();
        int? token = null;
        var row = 0;
        foreach (var handle in reader.MethodDefinitions)
        {
            var offset = MetadataTokens.GetHeapOffset(reader.GetMethodDefinition(handle).Name);
            if (offset >= previousStringHeapSize && row < methodEntries.Count)
            {
                var local = MetadataTokens.StringHandle((int)(offset - previousStringHeapSize));
                if (reader.GetString(local) == name) token = MetadataTokens.GetToken(methodEntries[row]);
            }
            row++;
        }
        return (token, previousStringHeapSize + reader.GetHeapSize(HeapIndex.String));
    }
}
