using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ArcFace.Notebooks.Jupyter;

/// <summary>
/// A Jupyter message on the wire: routing identities, the delimiter, an HMAC-SHA256 signature of the four JSON parts,
/// then header, parent header, metadata and content (protocol 5.3).
/// </summary>
public sealed record WireMessage(IReadOnlyList<byte[]> Identities, JsonObject Header, JsonObject ParentHeader, JsonObject Metadata, JsonObject Content)
{
    public const string ProtocolVersion = "5.3";
    static readonly byte[] Delimiter = "<IDS|MSG>"u8.ToArray();

    /// <summary>JSON as Jupyter writes it: HTML and '+' unescaped (outputs are HTML; escaping only grows them).</summary>
    public static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public string Type => (string?)Header["msg_type"] ?? "";

    /// <summary>Parses frames; null (and a reason) when the delimiter or a valid signature is missing.</summary>
    public static WireMessage? Parse(IReadOnlyList<byte[]> frames, byte[] key, out string? problem)
    {
        int d = frames.ToList().FindIndex(f => f.AsSpan().SequenceEqual(Delimiter));
        problem = null;
        if (d < 0 || frames.Count < d + 6) { problem = "no <IDS|MSG> delimiter or too few frames"; return null; }
        var parts = frames.Skip(d + 2).Take(4).ToArray();
        if (key.Length > 0)
        {
            var expected = Encoding.ASCII.GetBytes(Sign(key, parts));
            if (!CryptographicOperations.FixedTimeEquals(expected, frames[d + 1])) { problem = "bad signature"; return null; }
        }
        JsonObject obj(byte[] b) => JsonNode.Parse(b) as JsonObject ?? [];
        return new(frames.Take(d).ToList(), obj(parts[0]), obj(parts[1]), obj(parts[2]), obj(parts[3]));
    }

    /// <summary>A new message of <paramref name="type"/> answering <paramref name="parent"/> (null for none).</summary>
    public static WireMessage Create(string type, JsonObject content, WireMessage? parent, string session) => new(
        parent?.Identities ?? [],
        new JsonObject
        {
            ["msg_id"] = Guid.NewGuid().ToString("N"), ["session"] = session, ["username"] = "kernel",
            ["date"] = DateTimeOffset.UtcNow.ToString("o"), ["msg_type"] = type, ["version"] = ProtocolVersion,
        },
        parent?.Header.DeepClone().AsObject() ?? [], [], content);

    /// <summary>The frames to send, signed with <paramref name="key"/>.</summary>
    public List<byte[]> ToFrames(byte[] key, IReadOnlyList<byte[]>? topic = null)
    {
        var parts = new[] { Header, ParentHeader, Metadata, Content }.Select(p => Encoding.UTF8.GetBytes(p.ToJsonString(Json))).ToArray();
        var frames = new List<byte[]>(topic ?? Identities) { Delimiter, Encoding.ASCII.GetBytes(key.Length > 0 ? Sign(key, parts) : "") };
        frames.AddRange(parts);
        return frames;
    }

    static string Sign(byte[] key, byte[][] parts)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        foreach (var p in parts) hmac.AppendData(p);
        return Convert.ToHexStringLower(hmac.GetHashAndReset());
    }
}
