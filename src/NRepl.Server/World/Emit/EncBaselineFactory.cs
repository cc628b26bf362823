using System.Collections.Immutable;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Emit;

namespace NRepl.Server.World.Emit;

/// <summary>
/// Builds generation 0 of the EnC chain from a full emit. Roslyn needs, per method, the
/// local-slot, lambda/closure and state-machine maps it wrote into the PDB, and the method's local
/// signature; both are read back from the images we just emitted.
/// </summary>
internal static class EncBaselineFactory
{
    private static readonly Guid EncLocalSlotMap = new("755F52A8-91C5-45BE-B4B8-209571E552BD");
    private static readonly Guid EncLambdaAndClosureMap = new("A643004C-0240-496F-A783-30D64F4979DE");
    private static readonly Guid EncStateMachineStateMap = new("8B78CD68-2EDE-420B-980B-E15884B8AAA3");

    public static (EmitBaseline Baseline, long StringHeapSize) Create(Compilation compilation, byte[] pe, byte[] pdb)
    {
        var peReader = new PEReader(ImmutableArray.Create(pe));
        var metadata = peReader.GetMetadataReader();
        var pdbReader = MetadataReaderProvider.FromPortablePdbImage(ImmutableArray.Create(pdb)).GetMetadataReader();

        ImmutableArray<byte> Read(MethodDefinitionHandle method, Guid kind)
        {
            foreach (var handle in pdbReader.GetCustomDebugInformation(method))
            {
                var info = pdbReader.GetCustomDebugInformation(handle);
                if (pdbReader.GetGuid(info.Kind) == kind) return pdbReader.GetBlobContent(info.Value);
            }
            return default;
        }

        var baseline = EmitBaseline.CreateInitialBaseline(
            compilation,
            ModuleMetadata.CreateFromImage(pe),
            method => EditAndContinueMethodDebugInformation.Create(
                Read(method, EncLocalSlotMap), Read(method, EncLambdaAndClosureMap), Read(method, EncStateMachineStateMap)),
            method =>
            {
                var rva = metadata.GetMethodDefinition(method).RelativeVirtualAddress;
                return rva == 0 ? default : peReader.GetMethodBody(rva).LocalSignature;
            },
            hasPortableDebugInformation: true);
        return (baseline, metadata.GetHeapSize(HeapIndex.String));
    }
}
