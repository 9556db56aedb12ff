using System.Text.Json;

namespace ArcFace.Notebooks.Jupyter;

/// <summary>
/// A Jupyter connection file. The kernel binds to the loopback interface only: any other address is rewritten to
/// 127.0.0.1 (and said on stderr), since the messages run code with the user's rights.
/// </summary>
public sealed record ConnectionInfo(string Ip, int ShellPort, int IopubPort, int StdinPort, int ControlPort, int HbPort, string Key, string SignatureScheme)
{
    public const string Loopback = "127.0.0.1";

    /// <summary>The file read, for messages; "connection" when built in code.</summary>
    public string Source { get; init; } = "connection";

    /// <summary>Reads a connection file; every problem is an <see cref="InputFileException"/> naming it.</summary>
    /// <param name="allowUnsigned">
    /// Accept an empty key. Without a key anyone who can reach the ports runs code as this user, so it is refused unless
    /// asked for, and then warned about on <paramref name="warnings"/>.
    /// </param>
    public static ConnectionInfo Load(string path, TextWriter warnings, bool allowUnsigned = false)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllText(path)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new InputFileException(path, $"cannot read the connection file: {e.Message}", e); }
        catch (JsonException e) { throw new InputFileException(path, $"not valid JSON: {e.Message}", e); }
        using var _ = doc;
        var r = doc.RootElement;
        if (r.ValueKind != JsonValueKind.Object) throw new InputFileException(path, "the top level must be a JSON object.");
        int port(string name) => r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int p) && p is > 0 and < 65536
            ? p : throw new InputFileException(path, $"'{name}' must be a port number from 1 to 65535.");
        string text(string name, string fallback)
        {
            if (!r.TryGetProperty(name, out var v)) return fallback;
            try { return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new InvalidOperationException(); }
            catch (InvalidOperationException) { throw new InputFileException(path, $"'{name}' must be a string."); }
        }
        string transport = text("transport", "tcp");
        if (transport != "tcp") throw new InputFileException(path, $"transport '{transport}' is not supported; use tcp.");
        string scheme = text("signature_scheme", "hmac-sha256");
        if (scheme != "hmac-sha256") throw new InputFileException(path, $"signature_scheme '{scheme}' is not supported; use hmac-sha256.");
        string key = text("key", "");
        if (key.Length == 0)
        {
            if (!allowUnsigned)
                throw new InputFileException(path, $"'key' is empty: messages would run code unsigned. Give a key, or start with --allow-unsigned (or {AllowUnsignedVariable}=1) to accept that.");
            warnings.WriteLine($"WARNING: {path} has an empty 'key': this kernel runs UNSIGNED messages; any local user who can reach its ports can run code as you.");
        }
        string ip = text("ip", Loopback);
        if (ip is not (Loopback or "localhost"))
            warnings.WriteLine($"warning: {path} asks for ip '{ip}'; this kernel listens on {Loopback} only, so binding there instead.");
        return new(Loopback, port("shell_port"), port("iopub_port"), port("stdin_port"), port("control_port"), port("hb_port"), key, scheme) { Source = path };
    }

    /// <summary>The environment variable that, set to 1, accepts a connection file with an empty key.</summary>
    public const string AllowUnsignedVariable = "ARCFACE_KERNEL_ALLOW_UNSIGNED";

    public string Endpoint(int port) => $"tcp://{Ip}:{port}";
}
