using System.Text;

namespace NRepl.Benchmarks.Infrastructure;

/// <summary>A markdown document of headed tables, printed to stdout and written under BenchmarkDotNet.Artifacts.</summary>
internal sealed class MarkdownReport
{
    private readonly StringBuilder _text = new();

    public MarkdownReport(string title, RunInfo run)
    {
        _text.AppendLine($"### {title}").AppendLine();
        foreach (string line in run.HeaderLines())
        {
            _text.AppendLine(line);
        }

        _text.AppendLine();
    }

    public void Line(string text) => _text.AppendLine(text);

    public void Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        _text.AppendLine("| " + string.Join(" | ", header) + " |");
        _text.AppendLine("|" + string.Concat(header.Select((_, i) => i == 0 ? "---|" : "---:|")));
        foreach (IReadOnlyList<string> row in rows)
        {
            _text.AppendLine("| " + string.Join(" | ", row.Select(c => c.Replace("|", "\\|", StringComparison.Ordinal))) + " |");
        }

        _text.AppendLine();
    }

    public override string ToString() => _text.ToString();

    /// <summary>Prints the report and writes it to <paramref name="fileName"/> in the artifacts directory; returns the file's path.</summary>
    public string Publish(RunInfo run, string fileName)
    {
        string text = ToString();
        Console.WriteLine();
        Console.WriteLine(text);
        Directory.CreateDirectory(run.ArtifactsDirectory);
        string path = Path.Combine(run.ArtifactsDirectory, fileName);
        File.WriteAllText(path, text);
        Console.WriteLine($"(written to {path})");
        return path;
    }
}
