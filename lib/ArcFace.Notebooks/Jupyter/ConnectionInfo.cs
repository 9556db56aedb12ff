using System.Text.Json;

namespace ArcFace.Notebooks.Jupyter;

/// <summary>
/// A Jupyter connection file. The kernel binds to the loopback interface only: any other address is rewritten to
/// 127.0.0.1 (and said on stderr), since the messages run code with the user's rights.
/// </summary>
public sealed record ConnectionInfo(string Ip, int ShellPort, int IopubPort, int StdinPort, int ControlPort, int HbPort, string Key, string SignatureScheme)
{
    public const string Loopback = "127.0.0.1";

    public static ConnectionInfo Load(string path, TextWriter warnings)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var r = doc.RootElement;
        int port(string name) => r.TryGetProperty(name, out var v) && v.TryGetInt32(out int p) && p is > 0 and < 65536
            ? p : throw new FormatException($"{path}: '{name}' must be a port number from 1 to 65535.");
        string text(string name, string fallback) => r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : fallback;
        string transport = text("transport", "tcp");
        if (transport != "tcp") throw new FormatException($"{path}: transport '{transport}' is not supported; use tcp.");
        string scheme = text("signature_scheme", "hmac-sha256");
        if (scheme != "hmac-sha256") throw new FormatException($"{path}: signature_scheme '{scheme}' is not supported; use hmac-sha256.");
        string ip = text("ip", Loopback);
        if (ip is not (Loopback or "localhost"))
            warnings.WriteLine($"warning: {path} asks for ip '{ip}'; this kernel listens on {Loopback} only, so binding there instead.");
        return new(Loopback, port("shell_port"), port("iopub_port"), port("stdin_port"), port("control_port"), port("hb_port"), text("key", ""), scheme);
    }

    public string Endpoint(int port) => $"tcp://{Ip}:{port}";
}
