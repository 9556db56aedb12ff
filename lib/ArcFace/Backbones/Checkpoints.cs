using System.Collections;
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
    /// DataParallel is dropped); otherwise nothing is loaded and the error lists the missing and unexpected keys.
    /// </summary>
    public static void LoadInsightface(nn.Module backbone, string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: checkpoint not found.", path);
        Hashtable saved;
        using (var stream = File.OpenRead(path))
        {
            try { saved = PyTorchUnpickler.UnpickleStateDict(stream); }
            catch (Exception e) { throw new CheckpointMismatchException($"{path}: not a PyTorch state_dict file ({e.Message})."); }
        }
        var source = saved.Keys.Cast<string>().ToDictionary(k => k.StartsWith("module.") ? k["module.".Length..] : k, k => (Tensor)saved[k]!);
        var target = backbone.state_dict();
        var missing = target.Keys.Where(k => !source.ContainsKey(k)).ToList();
        var unexpected = source.Keys.Where(k => !target.ContainsKey(k)).ToList();
        var shapes = target.Keys.Where(source.ContainsKey).Where(k => !target[k].shape.SequenceEqual(source[k].shape))
            .Select(k => $"{k} [{string.Join("×", source[k].shape)}] in the file, [{string.Join("×", target[k].shape)}] in the model").ToList();
        try
        {
            if (missing.Count + unexpected.Count + shapes.Count > 0)
                throw new CheckpointMismatchException($"{path} does not fit the {backbone.GetName()} backbone. " +
                    $"Missing keys ({missing.Count}): {List(missing)}. Unexpected keys ({unexpected.Count}): {List(unexpected)}. " +
                    $"Shape mismatches ({shapes.Count}): {List(shapes)}.");
            using var _ = no_grad();
            foreach (var (key, tensor) in target) tensor.copy_(source[key]);
        }
        finally
        {
            foreach (var t in source.Values) t.Dispose();
        }
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
