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

    /// <summary>The header's msg_type; empty when it has none (or not a string), which no handler serves.</summary>
    public string Type => Header["msg_type"] is JsonValue v && v.TryGetValue<string>(out var type) ? type : "";

    /// <summary>
    /// Parses frames. Null (and the reason) when the message cannot be answered: no delimiter, a bad signature, or a header
    /// that is not a JSON object. A message and a reason when another part is not a JSON object (that part reads as
    /// empty): the kernel answers it with an error.
    /// </summary>
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
        if (Object(parts[0], "header", ref problem) is not { } header) return null;
        return new(frames.Take(d).ToList(), header, Object(parts[1], "parent_header", ref problem) ?? [],
            Object(parts[2], "metadata", ref problem) ?? [], Object(parts[3], "content", ref problem) ?? []);
    }

    // Duplicate keys are refused here: later reads of the object would otherwise throw wherever they happen.
    static JsonObject? Object(byte[] json, string name, ref string? problem)
    {
        try
        {
            var node = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false });
            if (node is JsonObject o) return o;
            problem ??= $"'{name}' must be a JSON object, got {Kind(node)}";
        }
        catch (JsonException e) { problem ??= $"'{name}' is not valid JSON: {e.Message}"; }
        return null;
    }

    static string Kind(JsonNode? node) => node is null ? "null" : node.GetValueKind().ToString().ToLowerInvariant();

    /// <summary>A string field of the content; null when absent or null.</summary>
    /// <exception cref="InvalidMessageException">The field has another type.</exception>
    public string? Text(string field) => Field(field, JsonValueKind.String, "a string", v => v.GetValue<string>());

    /// <summary>A boolean field of the content; null when absent or null.</summary>
    /// <exception cref="InvalidMessageException">The field has another type.</exception>
    public bool? Flag(string field) => Field<bool?>(field, null, "true or false", v => v.GetValueKind() switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw Invalid(field, "true or false", v),
    });

    /// <summary>An integer field of the content; null when absent or null.</summary>
    /// <exception cref="InvalidMessageException">The field has another type or is not a 32-bit integer.</exception>
    public int? Integer(string field) => Field<int?>(field, JsonValueKind.Number, "an integer",
        v => v.TryGetValue<int>(out var n) ? n : throw Invalid(field, "an integer", v));

    T? Field<T>(string field, JsonValueKind? kind, string expected, Func<JsonValue, T> read)
    {
        var node = Content[field];
        if (node is null) return default;
        if (node is not JsonValue value || (kind is { } k && value.GetValueKind() != k)) throw Invalid(field, expected, node);
        return read(value);
    }

    static InvalidMessageException Invalid(string field, string expected, JsonNode node) =>
        new($"'{field}' must be {expected}, got {Kind(node)} {node.ToJsonString()}");

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

/// <summary>A request the kernel cannot serve as sent (a part that is not a JSON object, a field of the wrong type).</summary>
public sealed class InvalidMessageException(string message) : Exception(message);
