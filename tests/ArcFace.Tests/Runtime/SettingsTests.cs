using System.Diagnostics;
using ArcFace.Runtime;
using ArcFace.Testing;

namespace ArcFace.Tests.Runtime;

public class SettingsTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("settings").FullName;
    static readonly Dictionary<string, string?> NoEnvironment = new();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    string Write(string json)
    {
        string path = Path.Combine(dir, "environment.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void ReadsAGoodFileAndResolvesPathsAgainstItsFolder()
    {
        var s = Settings.Load(Write("""
            { "device": "cpu", "threads": 2, "profile": "full", "seed": 7, "output": "runs",
              "data": { "root": "faces", "verification": "/abs/bins" } }
            """), NoEnvironment);
        Assert.Equal(DevicePolicy.Cpu, s.Device);
        Assert.Equal(2, s.Threads);
        Assert.Same(RunProfile.Full, s.Profile);
        Assert.Equal(112, s.Profile.InputSize);
        Assert.Equal(7, s.Seed);
        Assert.Equal(Path.Combine(dir, "runs"), s.Output);
        Assert.Equal(Path.Combine(dir, "faces"), s.Data.Root);
        Assert.Equal("/abs/bins", s.Data.Verification);
        Assert.Null(s.Data.Train);
    }

    [Fact]
    public void TheRepositoryFileIsValid()
    {
        string repoFile = Path.Combine(AppContext.BaseDirectory, "../../../../../environment.json");
        var s = Settings.Load(repoFile, NoEnvironment);
        Assert.Equal(ProfileName.Smoke, s.Profile.Name);
        Assert.Equal(3, s.Seeds);
    }

    [Fact]
    public void ABadValueNamesTheKeyAndTheAllowedValues()
    {
        var e = Assert.Throws<SettingsException>(() => Settings.Load(Write("""{ "device": "gpu" }"""), NoEnvironment));
        Assert.Contains("'device'", e.Message);
        Assert.Contains("'gpu'", e.Message);
        Assert.Contains("auto, cpu, cuda", e.Message);

        e = Assert.Throws<SettingsException>(() => Settings.Load(Write("""{ "threads": -1 }"""), NoEnvironment));
        Assert.Contains("'threads'", e.Message);
    }

    [Fact]
    public void AnUnknownKeyIsAnError()
    {
        var e = Assert.Throws<SettingsException>(() => Settings.Load(Write("""{ "devcie": "cpu" }"""), NoEnvironment));
        Assert.Contains("unknown key 'devcie'", e.Message);
        Assert.Contains("device", e.Message);

        e = Assert.Throws<SettingsException>(() => Settings.Load(Write("""{ "data": { "lfw": "x" } }"""), NoEnvironment));
        Assert.Contains("unknown key 'lfw'", e.Message);
    }

    [Fact]
    public void EnvironmentVariablesOverrideKeys()
    {
        string path = Write("""{ "device": "cpu", "profile": "smoke", "seed": 1 }""");
        var s = Settings.Load(path, new Dictionary<string, string?>
        {
            ["ARCFACE_PROFILE"] = "full", ["ARCFACE_SEED"] = "99", ["TORCH_LIB_DIR"] = "/opt/torch/lib", ["ARCFACE_DATA_TRAIN"] = "/data/ms1m",
        });
        Assert.Equal(ProfileName.Full, s.Profile.Name);
        Assert.Equal(99, s.Seed);
        Assert.Equal(DevicePolicy.Cpu, s.Device);
        Assert.Equal("/opt/torch/lib", s.LibTorchDir);
        Assert.Equal("/data/ms1m", s.Data.Train);

        var e = Assert.Throws<SettingsException>(() => Settings.Load(path, new Dictionary<string, string?> { ["ARCFACE_PROFILE"] = "huge" }));
        Assert.Contains("ARCFACE_PROFILE", e.Message);
        Assert.Contains("smoke, middle, full", e.Message);
    }

    [Fact]
    public void SeedsGiveConsecutiveSeedsFromSeed()
    {
        var s = Settings.Load(Write("""{ "seed": 7, "seeds": 3 }"""), NoEnvironment);
        Assert.Equal(3, s.Seeds);
        Assert.Equal([7L, 8, 9], s.SeedList);
        Assert.Equal([2048L], Settings.Load(Write("{}"), NoEnvironment).SeedList);
    }

    [Fact]
    public void SeedsOutOfRangeNamesTheKey()
    {
        foreach (var bad in new[] { "0", "101", "2.5", "\"three\"" })
        {
            var e = Assert.Throws<SettingsException>(() => Settings.Load(Write($$"""{ "seeds": {{bad}} }"""), NoEnvironment));
            Assert.Contains("key 'seeds'", e.Message);
            Assert.Contains("an integer from 1 to 100", e.Message);
        }
    }

    [Fact]
    public void ArcFaceSeedsOverridesTheFile()
    {
        string path = Write("""{ "seed": 1, "seeds": 3 }""");
        var s = Settings.Load(path, new Dictionary<string, string?> { ["ARCFACE_SEEDS"] = "5", ["ARCFACE_SEED"] = "10" });
        Assert.Equal([10L, 11, 12, 13, 14], s.SeedList);
        var e = Assert.Throws<SettingsException>(() => Settings.Load(path, new Dictionary<string, string?> { ["ARCFACE_SEEDS"] = "0" }));
        Assert.Contains("ARCFACE_SEEDS", e.Message);
    }

    [Fact]
    public void MalformedJsonNamesTheFile()
    {
        string path = Write("{ \"device\": ");
        var e = Assert.Throws<SettingsException>(() => Settings.Load(path, NoEnvironment));
        Assert.Contains(path, e.Message);
    }

    [Theory]
    [InlineData("""{ "output": "out\u0000put" }""", "'output'")]
    [InlineData("""{ "data": { "root": "\ud800" } }""", "'data.root'")]
    [InlineData("""{ "\udc00": 1 }""", "invalid UTF-16")]
    [InlineData("""{ "device": "\ud800cpu" }""", "'device'")]
    public void NulAndLoneSurrogatesAreErrorsNamingTheFile(string json, string what)
    {
        string path = Write(json);
        var e = Assert.Throws<SettingsException>(() => Settings.Load(path, NoEnvironment));
        Assert.StartsWith($"{path}: ", e.Message);
        Assert.Contains(what, e.Message);
    }

    [Fact]
    public void FuzzedFilesLoadOrGiveASettingsErrorNamingTheFile()
    {
        string valid = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "../../../../../environment.json"));
        string path = Path.Combine(dir, "environment.json");
        var watch = Stopwatch.StartNew();
        int errors = 0;
        foreach (var (bytes, i) in JsonMutations.Of(valid, 400, seed: 12).Select((b, i) => (b, i)))
        {
            File.WriteAllBytes(path, bytes);
            try { Settings.Load(path, NoEnvironment); }
            catch (SettingsException e) { Assert.StartsWith($"{path}: ", e.Message); errors++; }
            catch (Exception e) { Assert.Fail($"mutation {i} threw {e.GetType().Name}: {e.Message}\n{System.Text.Encoding.UTF8.GetString(bytes)}"); }
        }
        Assert.InRange(errors, 100, 399);   // the mutations do reach the checks, and some still load
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"400 loads took {watch.Elapsed}");
    }
}
