using System.Collections;
using ArcFace.Data;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace ArcFace.Backbones;

/// <summary>A checkpoint whose keys or shapes do not match the backbone; the message lists them.</summary>
public sealed class CheckpointMismatchException(string message) : Exception(message);

/// <summary>Reads PyTorch <c>state_dict</c> files of insightface backbones (arcface_torch <c>model.pt</c>, <c>backbone.pth</c>).</summary>
public static class Checkpoints
{
    /// <summary>
    /// Loads a PyTorch <c>state_dict</c> saved by <c>torch.save(backbone.state_dict(), path)</c> into
    /// <paramref name="backbone"/>. Every key must match by name and shape (a <c>module.</c> prefix left by
    /// DataParallel is dropped); otherwise nothing is loaded and a <see cref="CheckpointMismatchException"/> lists the
    /// missing and unexpected keys. A file that is not a sound checkpoint (an entry failing its CRC-32, a tensor
    /// declaring more than the archive holds, a key that is not a name) is a <see cref="FaceDataException"/> naming
    /// the file and the entry or key, raised before anything is loaded.
    /// </summary>
    public static void LoadInsightface(nn.Module backbone, string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: checkpoint not found.", path);
        CheckpointArchive.Verify(path);
        Hashtable saved;
        using (var stream = File.OpenRead(path))
        {
            try { saved = PyTorchUnpickler.UnpickleStateDict(stream); }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new FaceDataException(path, null, null, $"not a PyTorch state_dict file ({e.GetType().Name}: {e.Message}).", e);
            }
        }
        try
        {
            var source = Named(saved, path);
            var target = backbone.state_dict();
            var missing = target.Keys.Where(k => !source.ContainsKey(k)).ToList();
            var unexpected = source.Keys.Where(k => !target.ContainsKey(k)).ToList();
            var shapes = target.Keys.Where(source.ContainsKey).Where(k => !target[k].shape.SequenceEqual(source[k].shape))
                .Select(k => $"{k} [{string.Join("×", source[k].shape)}] in the file, [{string.Join("×", target[k].shape)}] in the model").ToList();
            if (missing.Count + unexpected.Count + shapes.Count > 0)
                throw new CheckpointMismatchException($"{path} does not fit the {backbone.GetName()} backbone. " +
                    $"Missing keys ({missing.Count}): {List(missing)}. Unexpected keys ({unexpected.Count}): {List(unexpected)}. " +
                    $"Shape mismatches ({shapes.Count}): {List(shapes)}.");
            using var _ = no_grad();
            foreach (var (key, tensor) in target) tensor.copy_(source[key]);
        }
        finally
        {
            foreach (var t in saved.Values.OfType<Tensor>()) t.Dispose();
        }
    }

    /// <summary>The tensors by parameter name, the <c>module.</c> prefix dropped; two keys for one name are an error.</summary>
    static Dictionary<string, Tensor> Named(Hashtable saved, string path)
    {
        var source = new Dictionary<string, Tensor>();
        var keyOf = new Dictionary<string, string>();
        foreach (DictionaryEntry item in saved)
        {
            if (item.Key is not string key)
                throw new FaceDataException(path, null, null, $"key {item.Key} ({item.Key.GetType().Name}) is not a parameter name; a state_dict maps names to tensors.");
            string name = key.StartsWith("module.") ? key["module.".Length..] : key;
            if (!keyOf.TryAdd(name, key))
            {
                var pair = new[] { keyOf[name], key }.Order(StringComparer.Ordinal).ToArray();
                throw new FaceDataException(path, null, null, $"keys '{pair[0]}' and '{pair[1]}' both name the parameter '{name}' (a DataParallel 'module.' prefix is dropped).");
            }
            source[name] = item.Value as Tensor
                ?? throw new FaceDataException(path, null, null, $"key '{key}' holds {item.Value?.GetType().Name ?? "None"}, not a tensor.");
        }
        return source;
    }

    /// <summary>
    /// Saves <paramref name="backbone"/>'s <c>state_dict</c> in PyTorch's format, as
    /// <c>torch.save(backbone.state_dict(), path)</c> does: PyTorch and <see cref="LoadInsightface"/> read it back.
    /// </summary>
    public static void SaveInsightface(nn.Module backbone, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        backbone.save_py(path);
    }

    static string List(List<string> items) => items.Count == 0 ? "none" : string.Join(", ", items.Take(20)) + (items.Count > 20 ? $", … ({items.Count - 20} more)" : "");
}
