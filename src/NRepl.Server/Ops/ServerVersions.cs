using System.Reflection;
using Microsoft.CodeAnalysis.CSharp;

namespace NRepl.Server.Ops;

/// <summary>
/// The <c>versions</c> map of <c>describe</c>. Deliberately without a <c>clojure</c> key: CIDER runs its
/// Clojure-only connect steps (and fails on missing cider-nrepl ops) when it sees one, and treats any other
/// server as "generic" (nrepl-protocol.md §2.2).
/// </summary>
internal static class ServerVersions
{
    public static Dictionary<string, object?> Describe() => new()
    {
        ["nrepl"] = VersionMap(ServerVersion()),
        ["dotnet"] = VersionMap(Environment.Version),
        ["csharp"] = CSharpVersion(),
    };

    /// <summary>This server's version, from the assembly's informational version without build metadata.</summary>
    public static Version ServerVersion()
    {
        var assembly = typeof(ServerVersions).Assembly;
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        var core = informational?.Split('+', '-')[0];
        return Version.TryParse(core, out var parsed) ? parsed : assembly.GetName().Version ?? new Version(0, 0, 0);
    }

    private static Dictionary<string, object?> VersionMap(Version version) => new()
    {
        ["major"] = (long)version.Major,
        ["minor"] = (long)version.Minor,
        ["incremental"] = (long)Math.Max(version.Build, 0),
        ["version-string"] = $"{version.Major}.{version.Minor}.{Math.Max(version.Build, 0)}",
    };

    // The language version the live compiler accepts: Roslyn's "latest" (e.g. CSharp14 = 1400).
    private static Dictionary<string, object?> CSharpVersion()
    {
        var effective = (int)LanguageVersion.Latest.MapSpecifiedToEffectiveVersion();
        var (major, minor) = (effective / 100, effective % 100);
        return new()
        {
            ["major"] = (long)major,
            ["minor"] = (long)minor,
            ["version-string"] = $"{major}.{minor}",
        };
    }
}
