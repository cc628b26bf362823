using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using NRepl.Server.Hosting;

namespace NRepl.Server.Tests.Hosting;

public sealed class HostingTests
{
    [TestCase("127.0.0.1")]
    [TestCase("::1")]
    [TestCase("localhost")]
    public void Validate_LoopbackHost_Succeeds(string host) =>
        Assert.That(new NReplOptionsValidator().Validate(null, new NReplOptions { Host = host }).Succeeded, Is.True);

    [TestCase("0.0.0.0")]
    [TestCase("192.168.1.20")]
    public void Validate_NonLoopbackWithoutAllowRemote_FailsNamingTheSetting(string host)
    {
        var result = new NReplOptionsValidator().Validate(null, new NReplOptions { Host = host });

        Assert.That(result.Failed, Is.True);
        Assert.That(result.FailureMessage, Does.Contain("NRepl:AllowRemote"));
    }

    [Test]
    public void Validate_NonLoopbackWithAllowRemote_Succeeds() =>
        Assert.That(new NReplOptionsValidator().Validate(null, new NReplOptions { Host = "0.0.0.0", AllowRemote = true }).Succeeded, Is.True);

    [TestCase(-1)]
    [TestCase(70000)]
    public void Validate_PortOutOfRange_Fails(int port) =>
        Assert.That(new NReplOptionsValidator().Validate(null, new NReplOptions { Port = port }).Failed, Is.True);

    [Test]
    public void Format_LoopbackEndPoint_ExactNReplBanner() =>
        Assert.That(
            Banner.Format(new IPEndPoint(IPAddress.Loopback, 58567)),
            Is.EqualTo("nREPL server started on port 58567 on host 127.0.0.1 - nrepl://127.0.0.1:58567"));

    [Test]
    public void Format_IPv6EndPoint_BracketsHostInUri() =>
        Assert.That(Banner.Format(new IPEndPoint(IPAddress.IPv6Loopback, 7888)), Does.EndWith("nrepl://[::1]:7888"));

    [Test]
    public void PortFile_WriteThenDelete_DigitsOnlyThenGone()
    {
        var path = Path.Combine(Path.GetTempPath(), $"nrepl-port-{Guid.NewGuid():N}");
        var portFile = new PortFile(path, NullLogger.Instance);

        portFile.Write(4711);
        var content = File.ReadAllText(path);
        portFile.Delete();

        Assert.That(content, Is.EqualTo("4711"));
        Assert.That(File.Exists(path), Is.False);
    }

    [Test]
    public void PortFile_ReplacedByAnotherServer_NotDeleted()
    {
        var path = Path.Combine(Path.GetTempPath(), $"nrepl-port-{Guid.NewGuid():N}");
        var portFile = new PortFile(path, NullLogger.Instance);
        portFile.Write(4711);
        File.WriteAllText(path, "4712");

        portFile.Delete();

        Assert.That(File.ReadAllText(path), Is.EqualTo("4712"));
        File.Delete(path);
    }

    [Test]
    public void SwitchMappings_PortHostBindPortFile_MapToNReplSection() =>
        Assert.That(ServerHost.SwitchMappings, Is.SupersetOf(new Dictionary<string, string>
        {
            ["--port"] = "NRepl:Port",
            ["--host"] = "NRepl:Host",
            ["--bind"] = "NRepl:Host",
            ["--port-file"] = "NRepl:PortFile",
        }));
}
