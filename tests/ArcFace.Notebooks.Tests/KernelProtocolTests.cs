using System.Text;
using System.Text.Json.Nodes;
using ArcFace.Notebooks.Jupyter;

namespace ArcFace.Notebooks.Tests;

public class KernelProtocolTests
{
    [Fact]
    public void Signature_is_hmac_sha256_of_the_four_parts()
    {
        var message = new WireMessage([], new JsonObject { ["a"] = 1 }, [], [], new JsonObject { ["code"] = "1+1" });
        var frames = message.ToFrames(Encoding.UTF8.GetBytes("secret-key"));
        // python3: hmac.new(b'secret-key', b'{"a":1}{}{}{"code":"1+1"}', hashlib.sha256).hexdigest()
        Assert.Equal("ac38879172351d3dcc909177b26e1caf096c9c02e59dc737cad7a4d9283c3250", Encoding.ASCII.GetString(frames[1]));
        Assert.NotNull(WireMessage.Parse(frames, Encoding.UTF8.GetBytes("secret-key"), out _));
        Assert.Null(WireMessage.Parse(frames, Encoding.UTF8.GetBytes("other-key"), out var problem));
        Assert.Equal("bad signature", problem);
    }

    [Fact]
    public void Connection_file_with_another_ip_is_bound_to_loopback()
    {
        string file = Path.Combine(TestHost.TempDir(), "connection.json");
        File.WriteAllText(file, """{"ip": "0.0.0.0", "transport": "tcp", "shell_port": 5001, "iopub_port": 5002, "stdin_port": 5003, "control_port": 5004, "hb_port": 5005, "key": "k", "signature_scheme": "hmac-sha256"}""");
        var warnings = new StringWriter();
        var info = ConnectionInfo.Load(file, warnings);
        Assert.Equal("tcp://127.0.0.1:5001", info.Endpoint(info.ShellPort));
        Assert.Contains("0.0.0.0", warnings.ToString());
    }

    [Theory]
    [InlineData("var x = 1;", "complete")]
    [InlineData("for (int i = 0; i < 3; i++) {", "incomplete")]
    [InlineData("x + ", "incomplete")]
    public void Is_complete_follows_the_script_parser(string code, string status) =>
        Assert.Equal(status, (string?)JupyterKernel.IsComplete(code)["status"]);
}
