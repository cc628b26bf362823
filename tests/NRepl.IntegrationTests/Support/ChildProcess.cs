using System.Diagnostics;

namespace NRepl.IntegrationTests.Support;

/// <summary>Runs a helper program (a Clojure client, Emacs, the install script) to its end, failing the test on a non-zero exit or its deadline.</summary>
internal static class ChildProcess
{
    /// <summary>Runs <paramref name="executable"/> and returns its standard output.</summary>
    public static async Task<string> RunAsync(string executable, IEnumerable<string> arguments, TimeSpan deadline, string what)
    {
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(deadline);
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{what} did not finish in time.");
        }
        var output = await stdout;
        Assert.That(process.ExitCode, Is.Zero, $"{what} failed:{Environment.NewLine}{output}{Environment.NewLine}{await stderr}");
        return output;
    }

    /// <summary>The "key value" lines a helper script prints, one fact per line, by key.</summary>
    public static Dictionary<string, string> Facts(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', 2))
            .Where(parts => parts.Length == 2)
            .ToDictionary(parts => parts[0], parts => parts[1]);
}
