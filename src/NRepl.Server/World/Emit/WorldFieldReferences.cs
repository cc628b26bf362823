using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace NRepl.Server.World.Emit;

/// <summary>
/// Finds, in an emitted assembly, whether its IL refers to a field of another assembly (the world): a field
/// member reference whose type comes from that assembly, directly, nested, or as a generic instance. Read
/// from the metadata because the compile already bound everything; binding again for a semantic model would
/// double the cost of an eval. Constant fields leave no reference (their values are compiled in).
/// </summary>
internal static class WorldFieldReferences
{
    public static bool Any(byte[] pe, string assemblyName)
    {
        using var peReader = new PEReader(System.Collections.Immutable.ImmutableArray.Create(pe));
        var reader = peReader.GetMetadataReader();
        foreach (var handle in reader.MemberReferences)
        {
            var member = reader.GetMemberReference(handle);
            if (member.GetKind() != MemberReferenceKind.Field) continue;
            if (FromAssembly(reader, member.Parent, assemblyName)) return true;
        }
        return false;
    }

    private static bool FromAssembly(MetadataReader reader, EntityHandle type, string assemblyName)
    {
        switch (type.Kind)
        {
            case HandleKind.TypeReference:
                var reference = reader.GetTypeReference((TypeReferenceHandle)type);
                return reference.ResolutionScope.Kind switch
                {
                    HandleKind.AssemblyReference => reader.StringComparer.Equals(
                        reader.GetAssemblyReference((AssemblyReferenceHandle)reference.ResolutionScope).Name, assemblyName),
                    HandleKind.TypeReference => FromAssembly(reader, (TypeReferenceHandle)reference.ResolutionScope, assemblyName),
                    _ => false,
                };
            case HandleKind.TypeSpecification:
                var blob = reader.GetBlobReader(reader.GetTypeSpecification((TypeSpecificationHandle)type).Signature);
                if (blob.ReadSignatureTypeCode() != SignatureTypeCode.GenericTypeInstance) return true; // not expected for a field's owner: assume the worst
                blob.ReadSignatureTypeCode(); // class or value type
                return FromAssembly(reader, blob.ReadTypeHandle(), assemblyName);
            default:
                return false; // a type of this assembly (a closure), or a module-level field
        }
    }
}
