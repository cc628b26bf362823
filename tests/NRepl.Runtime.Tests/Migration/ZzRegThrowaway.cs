using System.Diagnostics;
namespace NRepl.Runtime.Tests.Migration;
[TestFixture, Explicit]
public sealed class ZzRegThrowaway
{
    private sealed class Q { }
    [Test]
    public void Reg()
    {
        const int n = 1_000_000;
        for (var rep = 0; rep < 3; rep++)
        {
            var all = new Q[n];
            for (var i = 0; i < n; i++) all[i] = new Q();
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < n; i++) InstanceRegistry.Register(all[i]);
            TestContext.Out.WriteLine($"REG {sw.Elapsed.TotalMilliseconds * 1e6 / n:0} ns/register");
            sw.Restart();
            var live = InstanceRegistry.LiveInstances(typeof(Q), false);
            TestContext.Out.WriteLine($"ENUM {sw.Elapsed.TotalMilliseconds:0} ms {live.Count}");
            GC.KeepAlive(all);
        }
    }
}
