using ArcFace.Data;
using static TorchSharp.torch;

namespace ArcFace.Tests.Data;

/// <summary>A temporary folder per test class, plus small helpers shared by the Data tests.</summary>
public abstract class DataTestFiles : IDisposable
{
    protected readonly string Dir = Directory.CreateTempSubdirectory("arcface-data").FullName;

    public void Dispose() => Directory.Delete(Dir, recursive: true);

    protected string FilePath(string name) => Path.Combine(Dir, name);

    protected static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "../../../Data/Fixtures", name);

    /// <summary>A small SynthFaces training set: 3 identities × 2 images at 16 px.</summary>
    protected static SynthFaceDataset SmallSet(long seed = 7) =>
        SynthFaces.TrainingSet(new SynthFacesOptions(Identities: 3, ImagesPerIdentity: 2, ImageSize: 16, Seed: seed));

    /// <summary>Images as 8-bit values would store them: what a lossless PNG round trip must give back.</summary>
    protected static Tensor Quantised(Tensor images) => ((images * 127.5f + 127.5f).round() - 127.5f) / 127.5f;

    protected static float[] Values(Tensor t) => t.contiguous().data<float>().ToArray();
}
