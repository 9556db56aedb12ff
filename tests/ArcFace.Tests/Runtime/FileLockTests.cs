using ArcFace.Runtime;

namespace ArcFace.Tests.Runtime;

public class FileLockTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("filelock").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public async Task ASecondHolderWaitsUntilTheFirstReleasesAndIsToldOnce()
    {
        string path = Path.Combine(folder, "run", "trainer.lock");
        var first = FileLock.Acquire(path);
        int told = 0;
        using var waiting = new ManualResetEventSlim();
        // A thread of its own: the test runner's busy thread pool could start it late, not the lock.
        var second = Task.Factory.StartNew(() => FileLock.Acquire(path, () => { Interlocked.Increment(ref told); waiting.Set(); }),
            TaskCreationOptions.LongRunning);
        Assert.True(waiting.Wait(TimeSpan.FromSeconds(10)), "the second holder was never told to wait");
        await Task.Delay(500);
        Assert.False(second.IsCompleted, "the second holder got the lock while the first held it");
        Assert.Equal(1, told);
        first.Dispose();
        using var acquired = await second.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, told);
    }

    [Fact]
    public async Task WaitingStopsWhenCancelled()
    {
        string path = Path.Combine(folder, "claims.json.lock");
        using var held = FileLock.Acquire(path);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Task.Factory.StartNew(() => FileLock.Acquire(path, ct: cancel.Token), TaskCreationOptions.LongRunning));
    }
}
