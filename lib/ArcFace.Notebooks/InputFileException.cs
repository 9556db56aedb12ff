namespace ArcFace.Notebooks;

/// <summary>
/// A file the host reads (a notebook, a kernel connection file) that cannot be used. The message is
/// "&lt;file&gt;: &lt;what&gt;", which the CLI prints after "error: " (exit code 2).
/// </summary>
public sealed class InputFileException(string path, string problem, Exception? inner = null) : Exception($"{path}: {problem}", inner)
{
    /// <summary>The file.</summary>
    public string Path { get; } = path;
}
