namespace ArcFace.Runtime;

/// <summary>
/// An exclusive lock on a file that holds across processes (an advisory <c>flock</c> on Unix, a sharing lock on
/// Windows), for work that two notebooks running side by side could otherwise do at once: training the same
/// checkpointed run, or rewriting the scoreboard. The lock file stays behind; it is empty and only ever locked.
/// </summary>
public static class FileLock
{
    // How .NET reports a file that another handle holds with FileShare.None: ERROR_SHARING_VIOLATION on Windows, the
    // errno of a refused flock (EWOULDBLOCK: 11 on Linux, 35 on macOS) on Unix.
    static readonly int[] Held = [unchecked((int)0x80070020), 11, 35];

    /// <summary>
    /// Waits until <paramref name="path"/> can be locked and returns the lock; dispose it to release. While it waits,
    /// <paramref name="waiting"/> is called once (to tell the user why nothing happens).
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled while waiting.</exception>
    /// <exception cref="IOException">The file cannot be created or opened for another reason than the lock.</exception>
    public static IDisposable Acquire(string path, Action? waiting = null, CancellationToken ct = default)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        bool told = false;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException e) when (Held.Contains(e.HResult))
            {
                if (!told) { waiting?.Invoke(); told = true; }
                ct.WaitHandle.WaitOne(200);
            }
        }
    }
}
