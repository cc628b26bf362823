using System.Text;
using NRepl.Protocol.Messages;
using NRepl.Protocol.Tests.Support;

namespace NRepl.Protocol.Tests.Messages;

public class SmokeTests
{
    [Test]
    public void RoundTrip_EvalRequest_Works()
    {
        byte[] bytes = NReplMessageWriter.ToBytes(new Dictionary<string, object?> { ["op"] = "eval", ["id"] = "1", ["x"] = null });
        Assert.That(Encoding.UTF8.GetString(bytes), Is.EqualTo("d2:id1:12:op4:evale"));
        foreach (var (name, splits) in PipeLoop.Chunkings(bytes.Length))
        {
            var messages = PipeLoop.ParseAll(bytes, splits);
            Assert.That(messages, Has.Count.EqualTo(1), name);
            Assert.That(messages[0].Op, Is.EqualTo("eval"), name);
            Assert.That(messages[0].Id, Is.EqualTo("1"), name);
        }
    }
}
