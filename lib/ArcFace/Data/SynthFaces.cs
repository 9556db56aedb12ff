using System.Numerics;
using ArcFace.Runtime;
using SkiaSharp;
using static TorchSharp.torch;
using P = ArcFace.Data.SynthFaceRenderer.P;

namespace ArcFace.Data;

/// <summary>
/// What SynthFaces draws and how hard it is. Angles in degrees; the other knobs are strengths in [0, 1]
/// (0 switches the effect off).
/// </summary>
/// <param name="Identities">Number of identities (classes).</param>
/// <param name="ImagesPerIdentity">Images rendered per identity.</param>
/// <param name="ImageSize">Side of the square images in pixels (smoke 32, paper 112).</param>
/// <param name="Seed">The seed: the same seed gives the same pixels.</param>
/// <param name="Yaw">Yaw range ± degrees.</param>
/// <param name="Pitch">Pitch range ± degrees.</param>
/// <param name="Roll">Roll range ± degrees.</param>
/// <param name="Expression">Smile, open mouth, closed eyes, raised brows.</param>
/// <param name="Illumination">Light direction, ambient level, colour cast, brightness.</param>
/// <param name="AgeSpread">Age jitter around each identity's base age (ages run 0 … 1 ≈ 20 … 80 years).</param>
/// <param name="Occlusion">Probability of an occluder in an image.</param>
/// <param name="Blur">Largest blur strength.</param>
/// <param name="Noise">Largest pixel-noise standard deviation (in [0, 1] intensity units).</param>
/// <param name="FamilySize">Identities per look-alike family (1: no look-alikes).</param>
/// <param name="FamilyCloseness">Correlation of family members' latents (0 unrelated … 1 twins).</param>
public sealed record SynthFacesOptions(
    int Identities = 200,
    int ImagesPerIdentity = 24,
    int ImageSize = 32,
    long Seed = 2048,
    double Yaw = 40,
    double Pitch = 12,
    double Roll = 10,
    double Expression = 0.6,
    double Illumination = 0.6,
    double AgeSpread = 0.15,
    double Occlusion = 0.1,
    double Blur = 0.5,
    double Noise = 0.03,
    int FamilySize = 4,
    double FamilyCloseness = 0.6)
{
    /// <summary>The training-set options of a run profile and seed.</summary>
    public static SynthFacesOptions For(Settings settings) => new(settings.Profile.TrainIdentities, settings.Profile.ImagesPerIdentity,
        settings.Profile.InputSize, settings.Seed);

    /// <summary>
    /// The options of a run profile's training set (<see cref="SynthFaces.TrainingSet(Settings, Device?)"/>). Web-collected
    /// training sets such as CASIA-WebFace hold profile views and photos of a person years apart, which CFP-FP and
    /// AgeDB-30 then test; so the training set spans yaw ±<see cref="TrainingYaw"/>° and an age spread of
    /// ±<see cref="TrainingAgeSpread"/>, where <see cref="For"/>'s defaults (±40°, ±0.15) are LFW's near-frontal,
    /// same-era sampling. Measured at smoke size over 3 seeds: ArcFace's lead over Norm-Softmax on the two hard sets went
    /// from +0.25 ± 0.66 to +1.69 ± 0.22 points, and its final θ_y from 24° to 30°.
    /// </summary>
    public static SynthFacesOptions Training(Settings settings) => For(settings) with { Yaw = TrainingYaw, AgeSpread = TrainingAgeSpread };

    /// <summary>The training set's yaw range, ± degrees: out to full profile, as SynthCFP-FP's second images (60°–85°).</summary>
    public const double TrainingYaw = 85;

    /// <summary>The training set's age spread around each identity's base age (0.3 ≈ ±18 years).</summary>
    public const double TrainingAgeSpread = 0.3;
}

/// <summary>How one image of an identity differs from the others: pose, expression, light, age, framing, occluder.</summary>
public sealed record FaceVariation(
    double Yaw, double Pitch, double Roll,
    double Smile, double MouthOpen, double EyeOpen, double BrowRaise,
    double LightX, double LightY, double Ambient, Vector3 LightColour,
    double Age, double ShiftX, double ShiftY, double Zoom,
    Vector3 Background, Vector3 Clothes,
    bool Occluded, double OccluderX, double OccluderY, double OccluderWidth, double OccluderHeight, Vector3 OccluderColour,
    double Blur, double Noise)
{
    /// <summary>A frontal, neutral, evenly lit view at age <paramref name="age"/>.</summary>
    public static FaceVariation Neutral(double age = 0.3) => new(0, 0, 0, 0.2, 0, 1, 0, 0, -0.2, 0.55, Vector3.One, age, 0, 0, 1,
        new(0.55f, 0.6f, 0.65f), new(0.3f, 0.35f, 0.5f), false, 0, 0, 0, 0, Vector3.Zero, 0, 0);
}

/// <summary>
/// SynthFaces: a synthetic face data set that behaves like faces. An identity is a latent vector (correlated within
/// look-alike families) mapped to geometry and appearance; each image varies pose, expression, light, age (along
/// identity-specific ageing rates), framing, occlusion, blur and noise. Everything derives from (seed, identity,
/// image) through a counter-based generator, so any image can be rendered alone and the same seed gives the same
/// pixels. Evaluation identities (ids ≥ 2³²) never overlap training identities (ids &lt; 2³²).
/// </summary>
public static class SynthFaces
{
    /// <summary>Dimension of an identity latent.</summary>
    public const int LatentSize = 32;

    /// <summary>
    /// Version of what turns (latent, variation) into pixels; part of every <see cref="SynthFaceDataset.CacheKey"/>.
    /// Raise it with any change to the renderer or to how a latent and a variation become renderer parameters, or cached sets would be stale.
    /// </summary>
    public const int RendererVersion = 1;

    /// <summary>
    /// Where rendered sets are kept between processes (null: nowhere). Set by the notebooks' <c>Env.Load()</c> to
    /// <c>&lt;output&gt;/cache/synthfaces</c>; delete the folder to reclaim the space.
    /// </summary>
    public static string? CacheFolder { get; set; }

    const int EvaluationBase = 1;   // set s uses identity ids (s + EvaluationBase) << 32 + …

    /// <summary>The training set of a run profile (identities, images per identity, size) and the settings' seed, with <see cref="SynthFacesOptions.Training"/>'s poses and ages.</summary>
    public static SynthFaceDataset TrainingSet(Settings settings, Device? device = null) => TrainingSet(SynthFacesOptions.Training(settings), device);

    /// <summary>A training set: identities 0 … Identities − 1, each with ImagesPerIdentity images.</summary>
    public static SynthFaceDataset TrainingSet(SynthFacesOptions options, Device? device = null)
    {
        if (options.Identities < 1 || options.ImagesPerIdentity < 1 || options.ImageSize < 8)
            throw new ArgumentException($"need ≥ 1 identity, ≥ 1 image per identity and an image size ≥ 8; got {options.Identities}, {options.ImagesPerIdentity}, {options.ImageSize}.", nameof(options));
        var ids = Enumerable.Range(0, options.Identities).Select(i => (long)i).ToArray();
        var images = new List<(int Class, long Key, FaceVariation Variation)>();
        for (int c = 0; c < ids.Length; c++)
        {
            double baseAge = BaseAge(ids[c], options);
            for (int k = 0; k < options.ImagesPerIdentity; k++)
            {
                long key = ids[c] * 100_003 + k;
                images.Add((c, key, Sample(options, new Rng(options.Seed, key, 2), baseAge)));
            }
        }
        return new SynthFaceDataset("SynthFaces", options, ids, images, device);
    }

    /// <summary>SynthLFW: 6,000 pairs (10 contiguous folds of 300 same then 300 different), look-alikes among the negatives.</summary>
    public static VerificationSet Lfw(Settings settings, Device? device = null) => Lfw(Evaluation(settings), settings.Profile.VerificationPairs, device);

    /// <summary>SynthLFW with explicit options (size, seed, difficulty) and pair count (a multiple of 20).</summary>
    public static VerificationSet Lfw(SynthFacesOptions options, int pairs = 6000, Device? device = null) =>
        Pairs("SynthLFW", 0, options, pairs, device, (rng, age, first) => Sample(options, rng, age));

    /// <summary>SynthCFP-FP: 7,000 frontal-versus-profile pairs (10 folds of 350 + 350): first image within ±10° yaw, second 60°–85°.</summary>
    public static VerificationSet CfpFp(Settings settings, Device? device = null) => CfpFp(Evaluation(settings), settings.Profile.VerificationPairs * 7 / 6, device);

    /// <summary>SynthCFP-FP with explicit options and pair count.</summary>
    public static VerificationSet CfpFp(SynthFacesOptions options, int pairs = 7000, Device? device = null) =>
        Pairs("SynthCFP-FP", 1, options, pairs, device, (rng, age, first) =>
        {
            double yaw = first ? rng.Uniform(-10, 10) : (rng.Uniform() < 0.5 ? -1 : 1) * rng.Uniform(60, 85);
            return Sample(options, rng, age) with { Yaw = yaw * Math.PI / 180 };
        });

    /// <summary>SynthAgeDB-30: 6,000 pairs whose two images are far apart in age (young ≤ 0.25, old ≥ 0.7, i.e. ≥ 27 years).</summary>
    public static VerificationSet AgeDb30(Settings settings, Device? device = null) => AgeDb30(Evaluation(settings), settings.Profile.VerificationPairs, device);

    /// <summary>SynthAgeDB-30 with explicit options and pair count.</summary>
    public static VerificationSet AgeDb30(SynthFacesOptions options, int pairs = 6000, Device? device = null) =>
        Pairs("SynthAgeDB-30", 2, options, pairs, device, (rng, age, first) =>
            Sample(options, rng, age) with { Age = first ? rng.Uniform(0, 0.25) : rng.Uniform(0.7, 1) });

    /// <summary>The latent of identity <paramref name="identity"/>: family part (closeness ρ) plus its own part, N(0, 1) per entry.</summary>
    public static float[] Latent(long identity, SynthFacesOptions options)
    {
        int familySize = Math.Max(1, options.FamilySize);
        double rho = familySize > 1 ? Math.Clamp(options.FamilyCloseness, 0, 1) : 0;
        var family = new Rng(options.Seed, identity / familySize, 0);
        var own = new Rng(options.Seed, identity, 1);
        var z = new float[LatentSize];
        for (int j = 0; j < z.Length; j++) z[j] = (float)(rho * family.Normal() + Math.Sqrt(1 - rho * rho) * own.Normal());
        return z;
    }

    /// <summary>
    /// Renders one image per (latent, variation) as a B × 3 × size × size tensor in [-1, 1] on the CPU, computing on
    /// <paramref name="device"/> (default CPU) in batches of <paramref name="batchSize"/> (default: about 2¹⁹ pixels,
    /// so that the intermediate tensors stay in the CPU's cache). <paramref name="noiseKeys"/> seed each image's noise.
    /// </summary>
    public static Tensor Render(IReadOnlyList<float[]> latents, IReadOnlyList<FaceVariation> variations, int size,
        IReadOnlyList<long>? noiseKeys = null, Device? device = null, int? batchSize = null)
    {
        int batch = batchSize ?? Math.Clamp((1 << 19) / (size * size), 16, 512);
        if (latents.Count != variations.Count) throw new ArgumentException($"{latents.Count} latents but {variations.Count} variations.");
        // Each batch goes straight into its rows: a list of batches joined at the end held every image twice.
        var all = empty([latents.Count, 3, size, size], float32);
        for (int start = 0; start < latents.Count; start += batch)
        {
            int n = Math.Min(batch, latents.Count - start);
            var rows = new float[n * (int)P.Count];
            var noise = new float[n * 3 * size * size];
            Parallel.For(0, n, i =>
            {
                Parameters(latents[start + i], variations[start + i], rows, i * (int)P.Count);
                var rng = new Rng(noiseKeys?[start + i] ?? start + i, 3, 3);
                var span = noise.AsSpan(i * 3 * size * size, 3 * size * size);
                for (int k = 0; k < span.Length; k++) span[k] = (float)((rng.Uniform() * 2 - 1) * 1.7320508);
            });
            using var scope = NewDisposeScope();
            var target = device ?? CPU;
            var image = SynthFaceRenderer.Render(tensor(rows, [n, (long)P.Count]).to(target), tensor(noise, [n, 3, size, size]).to(target), size);
            all.narrow(0, start, n).copy_(image);
        }
        return all;
    }

    /// <summary>
    /// Saves a picture grid PNG: <paramref name="identities"/> rows (training identities 0, 1, …), each with
    /// <paramref name="imagesPerIdentity"/> images of that identity, at <paramref name="imageSize"/> pixels.
    /// </summary>
    public static void SaveGrid(string pngPath, int identities, int imagesPerIdentity, SynthFacesOptions? options = null, int imageSize = 112, Device? device = null)
    {
        options = (options ?? new SynthFacesOptions()) with { Identities = identities, ImagesPerIdentity = imagesPerIdentity, ImageSize = imageSize };
        using var set = TrainingSet(options, device);
        using var images = set.Images(Enumerable.Range(0, set.Count).ToArray());
        SaveGrid(pngPath, images, imagesPerIdentity);
    }

    /// <summary>Saves N × 3 × S × S images in [-1, 1] as a PNG grid with <paramref name="columns"/> images per row.</summary>
    public static void SaveGrid(string pngPath, Tensor images, int columns)
    {
        int n = (int)images.shape[0], s = (int)images.shape[2], rows = (n + columns - 1) / columns, gap = 2;
        using var grid = new SKBitmap(columns * (s + gap) + gap, rows * (s + gap) + gap);
        using (var canvas = new SKCanvas(grid))
        {
            canvas.Clear(SKColors.White);
            for (int i = 0; i < n; i++)
            {
                using var tile = ImageCodec.ToBitmap(images[i]);
                using var image = SKImage.FromBitmap(tile);
                canvas.DrawImage(image, gap + i % columns * (s + gap), gap + i / columns * (s + gap), new SKSamplingOptions(SKFilterMode.Nearest), null);
            }
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(pngPath))!);
        using var data = grid.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(pngPath, data.ToArray());
    }

    /// <summary>
    /// A view of <paramref name="dataset"/> in which a <paramref name="fraction"/> of the images carry another
    /// identity's label (chosen uniformly, repeatable from <paramref name="seed"/>); the true labels stay readable.
    /// </summary>
    public static NoisyLabelDataset WithLabelNoise(IFaceDataset dataset, double fraction, long seed) => new(dataset, fraction, seed);

    /// <summary>
    /// Writes the training set and the three verification sets of <paramref name="settings"/> in insightface's formats
    /// to <paramref name="folder"/>: train.rec/train.idx/property, lfw.bin, cfp_fp.bin, agedb_30.bin (PNG images).
    /// </summary>
    public static void Export(string folder, Settings settings, Device? device = null)
    {
        using (var train = TrainingSet(settings, device)) RecordIODataset.Write(folder, train);
        foreach (var (name, set) in new[] { ("lfw", Lfw(settings, device)), ("cfp_fp", CfpFp(settings, device)), ("agedb_30", AgeDb30(settings, device)) })
        {
            VerificationBin.Write(Path.Combine(folder, name + ".bin"), set);
            (set.Images as IDisposable)?.Dispose();
        }
    }

    static SynthFacesOptions Evaluation(Settings settings) => SynthFacesOptions.For(settings);

    static VerificationSet Pairs(string name, int setIndex, SynthFacesOptions options, int pairs, Device? device, Func<Rng, double, bool, FaceVariation> variation)
    {
        if (pairs < 20 || pairs % 20 != 0) throw new ArgumentOutOfRangeException(nameof(pairs), pairs, "the pair count must be a positive multiple of 20 (10 folds of same and different pairs).");
        int half = pairs / 20, family = Math.Max(1, options.FamilySize);
        var issame = new bool[pairs];
        var ids = new List<long>();
        var classOf = new Dictionary<long, int>();
        var images = new List<(int Class, long Key, FaceVariation Variation)>();
        int classFor(long id) => classOf.TryGetValue(id, out int c) ? c : classOf[id] = AddId(ids, id);
        for (int fold = 0; fold < 10; fold++)
        {
            long foldBase = ((long)(setIndex + EvaluationBase) << 32) + ((long)fold << 24);
            for (int k = 0; k < 2 * half; k++)
            {
                int pair = fold * 2 * half + k;
                bool same = k < half;
                issame[pair] = same;
                var rng = new Rng(options.Seed, foldBase + k, 4);
                long first = foldBase + (long)k * family, second;
                if (same) second = first;
                else if (family > 1 && rng.Uniform() < 0.5) second = first + 1;                 // a look-alike from the same family
                else second = foldBase + (long)((k + half) % (2 * half) + 2 * half) * family;    // an unrelated identity of this fold
                foreach (var (id, isFirst) in new[] { (first, true), (second, false) })
                {
                    long key = foldBase + 2L * k + (isFirst ? 0 : 1);
                    images.Add((classFor(id), key, variation(new Rng(options.Seed, key, 5), BaseAge(id, options), isFirst)));
                }
            }
        }
        return new VerificationSet(name, new SynthFaceDataset(name, options, ids.ToArray(), images, device), issame);
    }

    static int AddId(List<long> ids, long id)
    {
        ids.Add(id);
        return ids.Count - 1;
    }

    static double BaseAge(long identity, SynthFacesOptions options) => new Rng(options.Seed, identity, 6).Uniform(0.05, 0.8);

    static FaceVariation Sample(SynthFacesOptions o, Rng r, double baseAge)
    {
        double deg = Math.PI / 180, e = o.Expression, l = o.Illumination;
        Vector3 colour(double lo, double hi) => new((float)r.Uniform(lo, hi), (float)r.Uniform(lo, hi), (float)r.Uniform(lo, hi));
        double warmth = l * r.Uniform(-0.15, 0.15), brightness = 1 + l * r.Uniform(-0.25, 0.15);
        return new FaceVariation(
            Yaw: r.Uniform(-o.Yaw, o.Yaw) * deg, Pitch: r.Uniform(-o.Pitch, o.Pitch) * deg, Roll: r.Uniform(-o.Roll, o.Roll) * deg,
            Smile: e * r.Uniform(-0.4, 1.2) + 0.2 * (1 - e), MouthOpen: e * Math.Max(0, r.Uniform() - 0.6) * 2.5,
            EyeOpen: 1 - e * (r.Uniform() < 0.08 ? 0.9 : 0.3 * r.Uniform()), BrowRaise: e * r.Uniform(-1, 1),
            LightX: l * r.Uniform(-0.8, 0.8), LightY: l * r.Uniform(-0.6, 0.3) - 0.2 * (1 - l), Ambient: 1 - l * r.Uniform(0.2, 0.65) - 0.45 * (1 - l),
            LightColour: new Vector3((float)(brightness * (1 + warmth)), (float)brightness, (float)(brightness * (1 - warmth))),
            Age: Math.Clamp(baseAge + o.AgeSpread * r.Uniform(-1, 1), 0, 1),
            ShiftX: r.Uniform(-0.04, 0.04), ShiftY: r.Uniform(-0.04, 0.04), Zoom: r.Uniform(0.94, 1.06),
            Background: colour(0.15, 0.9), Clothes: colour(0.05, 0.8),
            Occluded: r.Uniform() < o.Occlusion, OccluderX: r.Uniform(-0.5, 0.5), OccluderY: r.Uniform(-0.1, 0.7),
            OccluderWidth: r.Uniform(0.1, 0.3), OccluderHeight: r.Uniform(0.08, 0.25), OccluderColour: colour(0, 1),
            Blur: o.Blur * r.Uniform(), Noise: o.Noise * r.Uniform());
    }

    static readonly Vector3[] HairColours = [new(0.08f, 0.07f, 0.07f), new(0.25f, 0.16f, 0.1f), new(0.45f, 0.3f, 0.18f), new(0.85f, 0.72f, 0.45f), new(0.6f, 0.28f, 0.12f)];
    static readonly Vector3[] IrisColours = [new(0.35f, 0.2f, 0.1f), new(0.15f, 0.1f, 0.07f), new(0.3f, 0.5f, 0.75f), new(0.35f, 0.5f, 0.3f), new(0.5f, 0.4f, 0.2f)];
    static readonly Vector3[] FrameColours = [new(0.05f, 0.05f, 0.05f), new(0.45f, 0.1f, 0.1f), new(0.8f, 0.65f, 0.3f), new(0.7f, 0.7f, 0.75f)];

    /// <summary>Fills one renderer parameter row from an identity latent and a variation (age effects applied here).</summary>
    static void Parameters(float[] z, FaceVariation v, float[] rows, int offset)
    {
        double u(int j) => 1 / (1 + Math.Exp(-1.702 * z[j]));           // ≈ Φ(z): uniform on [0, 1]
        double range(int j, double lo, double hi) => lo + (hi - lo) * u(j);
        T pick<T>(int j, T[] options) => options[Math.Min(options.Length - 1, (int)(u(j) * options.Length))];
        void set(P column, double value) => rows[offset + (int)column] = (float)value;
        void setRgb(P first, Vector3 c)
        {
            set(first, Math.Clamp(c.X, 0, 1));
            set(first + 1, Math.Clamp(c.Y, 0, 1));
            set(first + 2, Math.Clamp(c.Z, 0, 1));
        }
        double age = v.Age, old = Math.Max(0, age - 0.3);

        double a = range(0, 0.33, 0.41);
        set(P.A, a);
        set(P.B, range(1, 0.45, 0.53));
        set(P.C, a * range(2, 0.9, 1.1));
        set(P.Taper, range(3, 0.1, 0.4) - 0.1 * age);
        set(P.EyeX, range(4, 0.31, 0.38));
        double eyeY = range(5, -0.06, 0.04);
        set(P.EyeY, eyeY);
        set(P.EyeR, range(6, 0.12, 0.17) * (1 - 0.1 * age));
        set(P.BrowThick, range(7, 0.025, 0.055));
        set(P.BrowGap, range(8, 0.14, 0.21));
        set(P.BrowSlant, range(9, -1, 1));
        double noseLen = range(10, 0.3, 0.4);
        set(P.NoseLen, noseLen);
        set(P.NoseW, range(11, 0.1, 0.17));
        set(P.MouthV, eyeY + noseLen + range(12, 0.15, 0.24));
        set(P.MouthW, range(13, 0.2, 0.32));
        set(P.LipT, range(14, 0.025, 0.05) * (1 - 0.3 * age));
        set(P.EarSize, range(15, 0.8, 1.25));
        set(P.Hairline, range(16, -0.75, -0.45) - range(29, 0, 1.2) * old);    // identity-specific balding with age
        set(P.HairVol, range(17, 0, 0.25));
        set(P.HairLen, u(18) > 0.55 ? 0.25 + (u(18) - 0.55) * 1.6 : 0);
        set(P.Glasses, u(19) > 0.8 ? 1 : 0);
        set(P.Beard, u(20) > 0.78 ? 1 : 0);
        set(P.Moustache, u(21) > 0.72 ? 1 : 0);
        set(P.Wrinkles, Math.Clamp(range(30, 0.5, 2.5) * Math.Max(0, age - 0.25), 0, 1));

        float tone = (float)u(22), warm = (float)range(23, -0.04, 0.04);
        var skin = Vector3.Lerp(new(0.98f, 0.84f, 0.72f), new(0.4f, 0.26f, 0.18f), tone) * (1 - 0.08f * (float)age) + new Vector3(warm, 0, -warm);
        setRgb(P.SkinR, skin);
        float grey = (float)Math.Clamp(range(28, 0.3, 2.5) * old, 0, 1);              // identity-specific greying with age
        setRgb(P.HairR, Vector3.Lerp(pick(24, HairColours), new(0.78f, 0.78f, 0.78f), grey));
        setRgb(P.IrisR, pick(25, IrisColours));
        setRgb(P.LipR, skin * new Vector3(0.85f, 0.55f, 0.55f) + new Vector3(0.15f * (float)u(26), 0, 0));
        setRgb(P.FrameR, pick(27, FrameColours));

        set(P.Yaw, v.Yaw); set(P.Pitch, v.Pitch); set(P.Roll, v.Roll);
        set(P.Smile, v.Smile); set(P.MouthOpen, v.MouthOpen); set(P.EyeOpen, v.EyeOpen); set(P.BrowRaise, v.BrowRaise);
        set(P.LightX, v.LightX); set(P.LightY, v.LightY); set(P.Ambient, v.Ambient);
        set(P.LightR, v.LightColour.X); set(P.LightG, v.LightColour.Y); set(P.LightB, v.LightColour.Z);
        set(P.ShiftX, v.ShiftX); set(P.ShiftY, v.ShiftY); set(P.Zoom, v.Zoom);
        setRgb(P.BgR, v.Background); setRgb(P.ClothR, v.Clothes);
        set(P.Occluded, v.Occluded ? 1 : 0); set(P.OccX, v.OccluderX); set(P.OccY, v.OccluderY); set(P.OccW, v.OccluderWidth); set(P.OccH, v.OccluderHeight);
        setRgb(P.OccR, v.OccluderColour);
        set(P.Blur, v.Blur); set(P.Noise, v.Noise);
    }

    /// <summary>A counter-based generator (SplitMix64): a stream per (seed, key, purpose), independent of batching.</summary>
    internal struct Rng(long seed, long key, int purpose)
    {
        ulong state = Mix(Mix(Mix((ulong)seed) ^ (ulong)key) ^ (ulong)purpose);

        static ulong Mix(ulong x)
        {
            x += 0x9E3779B97F4A7C15;
            x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9;
            x = (x ^ (x >> 27)) * 0x94D049BB133111EB;
            return x ^ (x >> 31);
        }

        /// <summary>Uniform on [0, 1).</summary>
        public double Uniform() => ((state = Mix(state)) >> 11) * (1.0 / (1UL << 53));

        /// <summary>Uniform on [lo, hi).</summary>
        public double Uniform(double lo, double hi) => lo + (hi - lo) * Uniform();

        /// <summary>Standard normal (Box–Muller).</summary>
        public double Normal() => Math.Sqrt(-2 * Math.Log(1 - Uniform())) * Math.Cos(2 * Math.PI * Uniform());
    }
}
