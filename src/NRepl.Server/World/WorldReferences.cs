using Microsoft.CodeAnalysis;

namespace NRepl.Server.World;

/// <summary>
/// The assemblies world code compiles against: the .NET reference pack when the SDK is installed
/// (it carries the XML docs), else the running framework's own assemblies (a runtime-only staging
/// machine), plus NRepl.Runtime for the hooks the compiler injects.
/// </summary>
internal static class WorldReferences
{
    public static IReadOnlyList<MetadataReference> Create(string runtimeAssemblyPath)
    {
        var framework = FindReferencePack() ?? FrameworkImplementationAssemblies();
        var references = framework
            .Where(path => !Path.GetFileName(path).Equals("NRepl.Runtime.dll", StringComparison.OrdinalIgnoreCase))
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path, documentation: DocumentationOf(path)))
            .ToList();
        references.Add(MetadataReference.CreateFromFile(runtimeAssemblyPath));
        return references;
    }

    /// <summary>The XML documentation beside a reference assembly (the reference pack has it), for info and lookup.</summary>
    private static DocumentationProvider? DocumentationOf(string assemblyPath)
    {
        var xml = Path.ChangeExtension(assemblyPath, ".xml");
        return File.Exists(xml) ? new XmlDocumentation(xml) : null;
    }

    private static IEnumerable<string>? FindReferencePack()
    {
        var runtimeDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        // <dotnet>/shared/Microsoft.NETCore.App/<version>/ -> <dotnet>/packs/Microsoft.NETCore.App.Ref/<version>/ref/net<major>.<minor>/
        var dotnetRoot = Path.GetFullPath(Path.Combine(runtimeDir, "..", "..", ".."));
        var version = Environment.Version;
        var packs = Path.Combine(dotnetRoot, "packs", "Microsoft.NETCore.App.Ref");
        if (!Directory.Exists(packs)) return null;
        var tfm = $"net{version.Major}.{version.Minor}";
        var best = Directory.EnumerateDirectories(packs)
            .Select(dir => (dir, version: Version.TryParse(Path.GetFileName(dir).Split('-')[0], out var v) ? v : null))
            .Where(p => p.version is not null && p.version.Major == version.Major && p.version.Minor == version.Minor)
            .OrderByDescending(p => p.version)
            .Select(p => Path.Combine(p.dir, "ref", tfm))
            .FirstOrDefault(Directory.Exists);
        return best is null ? null : Directory.EnumerateFiles(best, "*.dll");
    }

    private static IEnumerable<string> FrameworkImplementationAssemblies()
    {
        var runtimeDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var trusted = (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? "").Split(Path.PathSeparator);
        return trusted.Where(p => string.Equals(Path.GetDirectoryName(p), runtimeDir, StringComparison.Ordinal));
    }
}
