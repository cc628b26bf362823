using NRepl.IntegrationTests.Support;

namespace NRepl.IntegrationTests;

/// <summary>
/// Load (issue 5): 32 clients, each on its own connection and session, run 500 evals each on the shared
/// world, mixing expressions, definitions that others' evals call, and printing. Every request is answered
/// with its value and done, on its own session, and every eval's output arrives whole and only there.
/// </summary>
[NonParallelizable]
public sealed class LoadTests
{
    private const int Clients = 32;
    private const int EvalsPerClient = 500;

    [Test]
    public async Task ThirtyTwoClientsFiveHundredEvalsEach_EveryReplyArrivesOnItsSession_NoOutputLostOrMixed()
    {
        await using var server = await ServerProcess.StartAsync("--port", "0");
        // Correctness only: throughput and latency under this load are the benchmark's (README, Performance).
        var answered = 0;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();

        await Task.WhenAll(Enumerable.Range(0, Clients).Select(async c =>
        {
            await using var client = await NReplTestClient.ConnectAsync(server.Port);
            var session = (await client.RequestAsync(("op", "clone"))).Single().GetString("new-session")!;
            for (var i = 0; i < EvalsPerClient; i++)
            {
                var (code, expected, output) = (i % 5) switch
                {
                    0 => ($"int Load{c}(int x) => x * {c} + {i};", null, null),
                    1 => ($"Load{c}(2)", (2 * c + i - 1).ToString(System.Globalization.CultureInfo.InvariantCulture), null),
                    2 => ($"Console.WriteLine(\"client {c} eval {i} \" + new string('x', {i % 97})); {i}", i.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        $"client {c} eval {i} {new string('x', i % 97)}\n"),
                    3 => ($"Load{(c + 1) % Clients}(1) >= 0", "true", null),
                    _ => ($"{c} * 1000 + {i}", (c * 1000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture), null),
                };
                var replies = await client.RequestAsync(("op", "eval"), ("session", session), ("code", code));
                Interlocked.Increment(ref answered);

                if (!replies.Last().IsDone()) failures.Enqueue($"client {c} eval {i}: no done");
                if (replies.Any(r => r.GetString("session") != session)) failures.Enqueue($"client {c} eval {i}: a reply for another session");
                if (expected is not null && replies.LastOrDefault(r => r.Has("value"))?.GetString("value") != expected)
                {
                    failures.Enqueue($"client {c} eval {i}: value {replies.LastOrDefault(r => r.Has("value"))?.GetString("value") ?? "none"}, expected {expected}: {string.Join(" | ", replies)}");
                }
                var printed = string.Concat(replies.Where(r => r.Has("out")).Select(r => r.GetString("out")));
                if (printed != (output ?? "")) failures.Enqueue($"client {c} eval {i}: out {printed}, expected {output}");
            }
        }));

        Assert.That(failures, Is.Empty, string.Join(Environment.NewLine, failures.Take(20)));
        Assert.That(answered, Is.EqualTo(Clients * EvalsPerClient));
    }
}
