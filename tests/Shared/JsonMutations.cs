using System.Text;
using System.Text.Json.Nodes;

namespace ArcFace.Testing;

/// <summary>
/// Seeded mutations of a valid JSON file for fuzz tests of the file readers: values replaced by other JSON types, null,
/// NUL and lone-surrogate strings; keys removed or duplicated; the text truncated or some bytes flipped.
/// </summary>
public static class JsonMutations
{
    // Strings the writer would refuse or escape differently: markers replaced in the written text.
    const string Nul = "@@NUL@@", Surrogate = "@@SURROGATE@@", Duplicate = "@@DUPLICATE@@";

    static readonly Func<JsonNode?>[] Replacements =
    [
        () => null, () => 42, () => -1.5e300, () => "x", () => true, () => new JsonArray(), () => new JsonObject(),
        () => new JsonArray(null, 1, "y"), () => new JsonObject { ["a"] = null }, () => $"a{Nul}b", () => $"a{Surrogate}b",
    ];

    /// <summary><paramref name="count"/> mutations of <paramref name="json"/>, the same for the same seed.</summary>
    public static IEnumerable<byte[]> Of(string json, int count, int seed)
    {
        var random = new Random(seed);
        for (int i = 0; i < count; i++) yield return Mutate(json, random);
    }

    static byte[] Mutate(string json, Random random)
    {
        var root = JsonNode.Parse(json)!;
        var nodes = All(root).Where(n => n.Parent is not null).ToList();
        switch (random.Next(6))
        {
            case 0:
                Replace(nodes[random.Next(nodes.Count)], random);
                break;
            case 1:
                foreach (var _ in Enumerable.Range(0, random.Next(2, 5)))
                {
                    nodes = All(root).Where(n => n.Parent is not null).ToList();
                    if (nodes.Count > 0) Replace(nodes[random.Next(nodes.Count)], random);
                }
                break;
            case 2:
                var withKeys = All(root).OfType<JsonObject>().Where(o => o.Count > 0).ToList();
                var target = withKeys[random.Next(withKeys.Count)];
                target.Remove(target.ElementAt(random.Next(target.Count)).Key);
                break;
            case 3:
                withKeys = All(root).OfType<JsonObject>().Where(o => o.Count > 0).ToList();
                target = withKeys[random.Next(withKeys.Count)];
                string key = target.ElementAt(random.Next(target.Count)).Key;
                target[Duplicate] = Replacements[random.Next(Replacements.Length)]();
                return Bytes(Text(root).Replace($"\"{Duplicate}\"", JsonValue.Create(key).ToJsonString()));
            case 4:
                var whole = Bytes(Text(root));
                return whole[..random.Next(whole.Length)];
            default:
                var flipped = Bytes(Text(root));
                foreach (var _ in Enumerable.Range(0, random.Next(1, 4))) flipped[random.Next(flipped.Length)] ^= (byte)(1 << random.Next(8));
                return flipped;
        }
        return Bytes(Text(root));
    }

    static void Replace(JsonNode node, Random random)
    {
        var replacement = Replacements[random.Next(Replacements.Length)]();
        if (node.Parent is JsonObject o) o[node.GetPropertyName()] = replacement;
        else if (node.Parent is JsonArray a) a[node.GetElementIndex()] = replacement;
    }

    static IEnumerable<JsonNode> All(JsonNode node)
    {
        yield return node;
        var children = node switch { JsonObject o => o.Select(p => p.Value), JsonArray a => a, _ => [] };
        foreach (var child in children.OfType<JsonNode>().ToList())
            foreach (var n in All(child)) yield return n;
    }

    static string Text(JsonNode root) => root.ToJsonString().Replace(Nul, "\\u0000").Replace(Surrogate, "\\ud800");

    static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);
}
