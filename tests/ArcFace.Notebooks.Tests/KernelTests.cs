using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ArcFace.Notebooks.Jupyter;
using NetMQ;
using NetMQ.Sockets;

namespace ArcFace.Notebooks.Tests;

/// <summary>One kernel in this process on free loopback ports, and clients that talk to it as Jupyter does.</summary>
public sealed class KernelFixture : IDisposable
{
    public const string Key = "test-key";
    readonly StringWriter log = new();
    readonly JupyterKernel kernel;
    readonly Task<int> running;

    public KernelFixture()
    {
        var p = KernelTests.FreePorts(5);
        Connection = new ConnectionInfo(ConnectionInfo.Loopback, p[0], p[1], p[2], p[3], p[4], Key, "hmac-sha256");
        kernel = new JupyterKernel(Connection, TextWriter.Synchronized(log));
        running = Task.Run(kernel.RunAsync);
    }

    public ConnectionInfo Connection { get; }

    /// <summary>What the kernel wrote to its log (stderr) so far.</summary>
    public string Log { get { lock (log) return log.ToString(); } }

    public void Dispose()
    {
        kernel.Dispose();
        running.Wait(TimeSpan.FromSeconds(10));
    }
}

public class KernelTests(KernelFixture fixture) : IClassFixture<KernelFixture>
{
    static readonly byte[] Key = Encoding.UTF8.GetBytes(KernelFixture.Key);
    static readonly TimeSpan Startup = TimeSpan.FromSeconds(90);

    internal static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }

    DealerSocket Connect(int port)
    {
        var socket = new DealerSocket();
        socket.Connect(fixture.Connection.Endpoint(port));
        return socket;
    }

    static byte[] Json(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());

    static JsonObject Header(string type) => new() { ["msg_id"] = Guid.NewGuid().ToString("N"), ["session"] = "test", ["username"] = "test", ["msg_type"] = type, ["version"] = "5.3" };

    /// <summary>Sends the four parts as they are (any bytes), signed with the kernel's key.</summary>
    static void SendParts(DealerSocket socket, byte[] header, byte[] content, byte[]? metadata = null)
    {
        byte[][] parts = [header, "{}"u8.ToArray(), metadata ?? "{}"u8.ToArray(), content];
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Key);
        foreach (var part in parts) hmac.AppendData(part);
        var frames = new List<byte[]> { "<IDS|MSG>"u8.ToArray(), Encoding.ASCII.GetBytes(Convert.ToHexStringLower(hmac.GetHashAndReset())) };
        frames.AddRange(parts);
        socket.SendMultipartBytes(frames);
    }

    static string Send(DealerSocket socket, string type, JsonObject content)
    {
        var header = Header(type);
        SendParts(socket, Json(header), Json(content));
        return (string)header["msg_id"]!;
    }

    /// <summary>The next message on <paramref name="socket"/> that answers <paramref name="msgId"/>.</summary>
    WireMessage Reply(DealerSocket socket, string msgId, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var frames = new List<byte[]>();
        while (DateTime.UtcNow < deadline)
        {
            if (!socket.TryReceiveMultipartBytes(TimeSpan.FromMilliseconds(200), ref frames)) continue;
            var message = WireMessage.Parse(frames, Key, out var problem);
            Assert.True(message is not null && problem is null, $"unreadable reply: {problem}");
            if ((string?)message.ParentHeader["msg_id"] == msgId) return message;
        }
        Assert.Fail($"no reply to {msgId} within {timeout.TotalSeconds} s; kernel log:\n{fixture.Log}");
        return null!;
    }

    WireMessage Request(DealerSocket socket, string type, JsonObject content) => Reply(socket, Send(socket, type, content), Startup);

    void AssertAlive(DealerSocket socket)
    {
        var reply = Request(socket, "kernel_info_request", []);
        Assert.Equal("kernel_info_reply", reply.Type);
        Assert.Equal("ok", (string?)reply.Content["status"]);
    }

    [Fact]
    public void A_signed_non_json_frame_gets_an_error_reply_and_the_kernel_serves_on()
    {
        using var shell = Connect(fixture.Connection.ShellPort);
        using var control = Connect(fixture.Connection.ControlPort);
        var header = Header("execute_request");
        SendParts(shell, Json(header), "{\"code\": \"1 +"u8.ToArray());
        var reply = Reply(shell, (string)header["msg_id"]!, Startup);
        Assert.Equal("execute_reply", reply.Type);
        Assert.Equal("error", (string?)reply.Content["status"]);
        Assert.Contains("'content'", (string?)reply.Content["evalue"]);
        AssertAlive(shell);

        // A header that is not JSON leaves nothing to answer (no msg_type, no msg_id): logged, and control serves on.
        SendParts(control, [0xff, 0xfe, (byte)'{'], Json(new JsonObject()));
        header = Header("kernel_info_request");
        SendParts(control, Json(header), "\u0000"u8.ToArray());
        reply = Reply(control, (string)header["msg_id"]!, Startup);
        Assert.Equal("kernel_info_reply", reply.Type);
        Assert.Equal("error", (string?)reply.Content["status"]);
        AssertAlive(control);
        Assert.Contains("'header'", fixture.Log);
    }

    [Theory]
    [InlineData("code", "42", "execute_request", "execute_reply")]
    [InlineData("silent", "\"yes\"", "execute_request", "execute_reply")]
    [InlineData("cursor_pos", "\"end\"", "complete_request", "complete_reply")]
    [InlineData("code", "[1]", "is_complete_request", "is_complete_reply")]
    public void A_wrong_typed_field_gets_an_error_reply_naming_it(string field, string value, string request, string replyType)
    {
        using var shell = Connect(fixture.Connection.ShellPort);
        var content = new JsonObject { ["code"] = "1", [field] = JsonNode.Parse(value) };
        var reply = Request(shell, request, content);
        Assert.Equal(replyType, reply.Type);
        Assert.Equal("error", (string?)reply.Content["status"]);
        Assert.Equal("InvalidMessage", (string?)reply.Content["ename"]);
        Assert.Contains($"'{field}'", (string?)reply.Content["evalue"]);
        AssertAlive(shell);
    }

    [Fact]
    public void A_header_that_is_not_an_object_is_logged_and_the_kernel_serves_on()
    {
        using var shell = Connect(fixture.Connection.ShellPort);
        SendParts(shell, "[\"execute_request\"]"u8.ToArray(), Json(new JsonObject { ["code"] = "1" }));
        AssertAlive(shell);
        Assert.Contains("'header' must be a JSON object", fixture.Log);
    }

    [Fact]
    public void A_frame_over_the_size_limit_is_never_taken_in()
    {
        using var big = Connect(fixture.Connection.ShellPort);
        using var shell = Connect(fixture.Connection.ShellPort);
        AssertAlive(shell);
        string before = fixture.Log;
        big.SendMultipartBytes(["<IDS|MSG>"u8.ToArray(), "unsigned"u8.ToArray(), new byte[JupyterKernel.MaxFrameBytes + 1], [], [], []]);
        Thread.Sleep(3000);   // ample for 64 MiB over loopback: without the limit the kernel reads it and logs the bad signature
        AssertAlive(shell);
        Assert.DoesNotContain("dropped a message", fixture.Log[before.Length..]);
    }

    [Fact]
    public void Interrupt_stops_the_cell_reports_an_interrupt_and_the_kernel_runs_the_next_cell()
    {
        using var shell = Connect(fixture.Connection.ShellPort);
        using var control = Connect(fixture.Connection.ControlPort);
        Assert.Equal("ok", (string?)Request(shell, "execute_request", new JsonObject { ["code"] = "var started = 1;" }).Content["status"]);
        string cell = Send(shell, "execute_request", new JsonObject
        {
            ["code"] = "while (true) { Interruption.Token.ThrowIfCancellationRequested(); System.Threading.Thread.Sleep(10); }",
        });
        Thread.Sleep(1500);
        Assert.Equal("interrupt_reply", Request(control, "interrupt_request", []).Type);
        var reply = Reply(shell, cell, TimeSpan.FromSeconds(10));
        Assert.Equal("error", (string?)reply.Content["status"]);
        Assert.Equal("Interrupted", (string?)reply.Content["ename"]);
        Assert.Contains("interrupted", (string?)reply.Content["evalue"]);

        var next = Request(shell, "execute_request", new JsonObject { ["code"] = "started + 41" });
        Assert.Equal("ok", (string?)next.Content["status"]);
    }
}
