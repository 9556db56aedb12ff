namespace ArcFace.Runtime;

/// <summary>
/// A process-wide interrupt for long-running library calls: a notebook host calls <see cref="Begin"/> with its
/// interrupt token around each cell, and <see cref="Training.Trainer.Fit"/> stops on it (writing its checkpoint) even
/// when the cell's code passed no token. Process-wide rather than async-local because a host may run the cell's code on
/// another thread or execution context than the one that began it.
/// </summary>
public static class Interruption
{
    static readonly object gate = new();
    static CancellationToken current = CancellationToken.None;

    /// <summary>The ambient interrupt token: the one of the innermost <see cref="Begin"/> still open, else <see cref="CancellationToken.None"/>.</summary>
    public static CancellationToken Token
    {
        get { lock (gate) return current; }
    }

    /// <summary>Makes <paramref name="token"/> the ambient interrupt until the result is disposed, which restores the previous one.</summary>
    public static IDisposable Begin(CancellationToken token)
    {
        lock (gate)
        {
            var scope = new Scope(current);
            current = token;
            return scope;
        }
    }

    sealed class Scope(CancellationToken previous) : IDisposable
    {
        bool disposed;

        public void Dispose()
        {
            lock (gate)
            {
                if (disposed) return;
                disposed = true;
                current = previous;
            }
        }
    }
}
