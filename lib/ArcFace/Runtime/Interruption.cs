namespace ArcFace.Runtime;

/// <summary>
/// The interruption of the code now running (a notebook cell): the host cancels <see cref="Token"/> when the user
/// interrupts, and long loops (training steps) check it. A plain static field, not thread-static or async-local, because
/// a cell's code runs on threads that the host does not control (the notebook kernel's scheduler, thread-pool
/// continuations) and all of them must see the same token.
/// </summary>
public static class Interruption
{
    static CancellationToken current;

    /// <summary>The token of the current interruption scope; <see cref="CancellationToken.None"/> outside any scope.</summary>
    public static CancellationToken Token => current;

    /// <summary>Makes <paramref name="token"/> the current one until the result is disposed, which restores the previous one.</summary>
    public static IDisposable Begin(CancellationToken token)
    {
        var previous = current;
        current = token;
        return new Scope(previous);
    }

    sealed class Scope(CancellationToken previous) : IDisposable
    {
        bool disposed;

        public void Dispose()
        {
            if (disposed) return;
            disposed = true;
            current = previous;
        }
    }
}
