using System.Globalization;
using System.Text;
using NRepl.Benchmarks.Infrastructure;

namespace NRepl.Benchmarks.E2e;

internal sealed partial class E2eSuite
{
    private const int LoadFileBlocks = 42;

    // 3. load-file of a 500-line program into a fresh world, then the same file with one method changed.
    private void MeasureLoadFile()
    {
        string source = ProgramSource(changedBody: 0);
        int lines = source.Count(c => c == '\n');
        Progress($"load-file: a {lines}-line file into {_settings.LoadFileRuns} fresh servers, then {_settings.LoadFileChangeN} one-method changes");
        var fresh = new Samples(_settings.LoadFileRuns);
        var changed = new Samples(_settings.LoadFileChangeN);
        for (int r = 0; r < _settings.LoadFileRuns; r++)
        {
            _cancel.ThrowIfCancellationRequested();
            using ChildProcess server = Servers.StartCSharp(_run, $"nREPL C# server (load-file {r + 1})");
            int port = server.WaitForPort(Servers.PortTimeout);
            using NReplClient client = NReplClient.Connect(port, Timeout);
            client.CloneSession(Timeout);
            client.EvalOk("1 + 2", _settings.WorldReadyTimeout, "3");
            fresh.Add(LoadFile(client, source).RoundTripMs);
            client.EvalOk($"Score{LoadFileBlocks - 1}(2)", Timeout, (2 * (LoadFileBlocks - 1) + 1).ToString(CultureInfo.InvariantCulture));

            if (r == _settings.LoadFileRuns - 1)
            {
                int serial = 0;
                Samples timed = Repeat(_settings.LoadFileChangeWarmup, _settings.LoadFileChangeN, () =>
                {
                    serial++;
                    double ms = LoadFile(client, ProgramSource(changedBody: serial)).RoundTripMs;
                    client.EvalOk("Score0(5)", Timeout, (1 + serial).ToString(CultureInfo.InvariantCulture));
                    return ms;
                });
                changed.AddRange(timed);
            }

            server.Stop(TimeSpan.FromSeconds(10));
        }

        Add($"load-file: a {lines}-line file ({LoadFileBlocks} records, {LoadFileBlocks} classes, {LoadFileBlocks} functions) into a fresh world (send → `done`)",
            fresh.Summarise(), "each into a new server, after its first eval");
        Add("load-file: the same file with one function's body changed (send → `done`)", changed.Summarise(),
            "the world compares the file with what it loaded before and sends one method's delta");
    }

    private NReplClient.Exchange LoadFile(NReplClient client, string source)
    {
        NReplClient.Exchange e = client.Request(new Dictionary<string, object?>
        {
            ["op"] = "load-file", ["session"] = client.Session, ["file"] = source,
            ["file-path"] = "/bench/program.cs", ["file-name"] = "program.cs",
        }, Timeout);
        if (e.Failed) throw new InvalidOperationException("load-file failed: " + e.Err);
        return e;
    }

    /// <summary>Blocks of a record, a class with a method and a function; <c>Score0</c>'s body says <paramref name="changedBody"/>.</summary>
    private static string ProgramSource(int changedBody)
    {
        var text = new StringBuilder("// A 500-line program for the load-file benchmark.\n\n");
        for (int k = 0; k < LoadFileBlocks; k++)
        {
            text.Append(CultureInfo.InvariantCulture, $$"""
                record Item{{k}}(int Id, string Name, decimal Price);
                class Cart{{k}}
                {
                    public List<Item{{k}}> Items { get; } = new();
                    public decimal Total()
                    {
                        decimal sum = 0;
                        foreach (var item in Items) sum += item.Price;
                        return sum;
                    }
                }
                int Score{{k}}(int v) => {{(k == 0 ? $"{changedBody} + 1" : $"v * {k} + 1")}};

                """);
        }

        return text.ToString();
    }
}
