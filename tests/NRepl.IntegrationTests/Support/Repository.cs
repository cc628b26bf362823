namespace NRepl.IntegrationTests.Support;

/// <summary>The repository the tests run from (the folder holding nrepl.sln), for the files they exercise.</summary>
internal static class Repository
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "nrepl.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("nrepl.sln not found above " + AppContext.BaseDirectory);
    }
}
