using TorchSharp;
using static TorchSharp.torch;

namespace ArcFace.Evaluation;

/// <summary>Settings of a MegaFace-style identification run.</summary>
/// <param name="VerificationFar">The FAR of the reported verification TAR (MegaFace: 1e-6).</param>
/// <param name="ExcludeSelfPairs">Skip the trial (i, i): set when probes and gallery are the same images (MegaFace's
/// FaceScrub is both).</param>
/// <param name="NoisyProbes">Refinement: probe indices to drop.</param>
/// <param name="NoisyGallery">Refinement: gallery indices to drop (with <paramref name="ExcludeSelfPairs"/>, usually
/// the same list as <paramref name="NoisyProbes"/>).</param>
/// <param name="NoisyDistractors">Refinement: distractor indices (positions in the whole distractor stream) to drop.</param>
/// <param name="ScoreBlockElements">Largest probe × distractor score block held at once; bounds the memory.</param>
/// <param name="Device">Where the matrix products run (default: the probes' device).</param>
public sealed record IdentificationOptions(
    double VerificationFar = 1e-6, bool ExcludeSelfPairs = false, int[]? NoisyProbes = null, int[]? NoisyGallery = null,
    long[]? NoisyDistractors = null, long ScoreBlockElements = 1L << 26, Device? Device = null);

/// <summary>
/// Distractor features streamed in chunks (each C × D; e.g. read file by file) so that a million never need to be in
/// memory at once. <paramref name="Count"/> is the total number of rows the chunks will yield: it fixes up front how
/// many impostor scores TAR@FAR must keep.
/// </summary>
public sealed record DistractorSource(long Count, IEnumerable<Tensor> Chunks)
{
    /// <summary>All distractors in one N × D tensor (sliced into blocks, never copied whole).</summary>
    public static DistractorSource From(Tensor distractors) => new(distractors.shape[0], [distractors]);
}

/// <summary>The outcome of <see cref="Identification.Evaluate(Tensor, int[], Tensor, int[], DistractorSource, int, IdentificationOptions?)"/>.</summary>
/// <param name="Rank1">Fraction of trials whose gallery mate beats every distractor (CMC at rank 1).</param>
/// <param name="Cmc">CMC[r − 1] = fraction of trials with rank ≤ r, for r = 1 … maxRank.</param>
/// <param name="TarAtFar">Verification TAR at <paramref name="Far"/>: genuine = the trials' mate scores, impostor =
/// every probe × distractor score; the largest TAR whose FAR does not exceed the target.</param>
/// <param name="Far">The target FAR of <paramref name="TarAtFar"/>.</param>
/// <param name="Trials">Number of (probe, gallery mate) trials.</param>
/// <param name="Distractors">Number of distractors scored (after refinement).</param>
public sealed record IdentificationResult(double Rank1, double[] Cmc, double TarAtFar, double Far, long Trials, long Distractors);

/// <summary>
/// MegaFace-style 1:N identification. Probe and gallery features are L2-normalised here; distractors must already be
/// (as <c>Embeddings.Extract</c> returns them). Every (probe, gallery image) pair with the same identity is one trial: the
/// gallery image is hidden among the distractors, and its rank is 1 + the number of distractors that score strictly
/// higher against the probe (ties favour the mate). Scores are cosines, computed by
/// a chunked matrix product that keeps only each probe's running top-k distractor scores and the global top impostor
/// scores needed for TAR@FAR, so a million 512-d distractors fit in bounded memory on CPU or GPU. Distractors can be
/// streamed as chunks (e.g. read from files) instead of one tensor.
/// <para>Refinement (paper's "R", insightface <c>remove_noises.py</c>): listed noisy probes, gallery images and
/// distractors are removed. insightface instead replaces a noisy probe by its identity's mean feature and pushes
/// noisy distractors far away via an extra dimension; dropping them is the simple variant with the same intent
/// (a noisy distractor can no longer outrank a mate; a mislabelled probe no longer counts).</para>
/// </summary>
public static class Identification
{
    /// <summary>Ranks each gallery mate of each probe against the distractors; see the class summary.</summary>
    public static IdentificationResult Evaluate(Tensor probes, int[] probeIds, Tensor gallery, int[] galleryIds,
        DistractorSource distractors, int maxRank = 10, IdentificationOptions? options = null)
    {
        options ??= new IdentificationOptions();
        Validate(probes, probeIds, nameof(probes));
        Validate(gallery, galleryIds, nameof(gallery));
        ArgumentNullException.ThrowIfNull(distractors);
        if (gallery.shape[1] != probes.shape[1])
            throw new ArgumentException($"Gallery features are {gallery.shape[1]}-d but probes are {probes.shape[1]}-d.", nameof(gallery));
        if (maxRank < 1) throw new ArgumentOutOfRangeException(nameof(maxRank), maxRank, "maxRank must be at least 1.");
        if (!(options.VerificationFar > 0 && options.VerificationFar < 1))
            throw new ArgumentOutOfRangeException(nameof(options), options.VerificationFar, "VerificationFar must lie in (0, 1).");
        if (options.ExcludeSelfPairs && probeIds.Length != galleryIds.Length)
            throw new ArgumentException("ExcludeSelfPairs needs the probes and the gallery to be the same images.", nameof(options));

        var device = options.Device ?? probes.device;
        var keptProbes = Kept(probeIds.Length, options.NoisyProbes, nameof(options.NoisyProbes));
        var keptGallery = Kept(galleryIds.Length, options.NoisyGallery, nameof(options.NoisyGallery));
        var noisyDistractors = new HashSet<long>(options.NoisyDistractors ?? []);
        foreach (long d in noisyDistractors)
            if (d < 0 || d >= distractors.Count)
                throw new ArgumentOutOfRangeException(nameof(options), d, $"Noisy distractor index must lie in [0, {distractors.Count}).");
        long expectedDistractors = distractors.Count - noisyDistractors.Count;
        if (expectedDistractors <= 0) throw new ArgumentException("No distractors were given (or all were removed).", nameof(distractors));

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var p = Normalised(probes.index_select(0, tensor(keptProbes.Select(i => (long)i).ToArray())), device);
        var g = Normalised(gallery.index_select(0, tensor(keptGallery.Select(i => (long)i).ToArray())), device);
        int rows = keptProbes.Length;
        var (trialProbe, trialMate) = Trials(keptProbes, probeIds, keptGallery, galleryIds, options.ExcludeSelfPairs);
        if (trialProbe.Length == 0) throw new ArgumentException("No probe has a gallery image of the same identity; nothing to identify.");

        var mate = (p.index_select(0, tensor(trialProbe)) * g.index_select(0, tensor(trialMate))).sum(1);
        // A distractor scoring at most a probe's lowest mate score cannot change any of its ranks.
        var mates = mate.cpu().data<float>().ToArray();
        var floor = Enumerable.Repeat(float.PositiveInfinity, rows).ToArray();
        for (int t = 0; t < mates.Length; t++) floor[trialProbe[t]] = Math.Min(floor[trialProbe[t]], mates[t]);
        var mateFloor = tensor(floor, device: device);

        // Running state: each probe's top-maxRank distractor scores, and the largest impostor scores overall.
        var top = full(rows, maxRank, float.NegativeInfinity, device: device);
        var impostors = empty(0, device: device);
        long allowed = (long)Math.Floor(options.VerificationFar * rows * expectedDistractors);
        long distractorCount = 0, offset = 0;
        long blockRows = Math.Max(1, options.ScoreBlockElements / Math.Max(1, rows));
        foreach (var chunk in distractors.Chunks)
        {
            if (chunk.dim() != 2 || chunk.shape[1] != probes.shape[1])
                throw new ArgumentException($"Distractor chunk at row {offset} has shape [{string.Join(", ", chunk.shape)}]; expected C × {probes.shape[1]}.", nameof(distractors));
            for (long start = 0, count; start < chunk.shape[0]; start += count)
            {
                using var blockScope = NewDisposeScope();
                // A small first block seeds the running thresholds, so later blocks take the sparse merges.
                count = Math.Min(distractorCount == 0 ? Math.Min(blockRows, SeedBlockRows) : blockRows, chunk.shape[0] - start);
                var block = WithoutNoisy(chunk.narrow(0, start, count), offset + start, noisyDistractors);
                if (block.shape[0] == 0) continue;
                distractorCount += block.shape[0];
                block = block.to(float32, device);
                // Distractors are the bulk of the data: check them in one reduction rather than renormalising a copy.
                var normError = linalg.vector_norm(block, dims: [1]).sub(1).abs().max().item<float>();
                if (!(normError < 1e-3f))
                    throw new ArgumentException($"Distractors in rows {offset + start}…{offset + start + count - 1} are not L2-normalised or contain NaN/Inf (largest |‖d‖ − 1| = {normError}); pass Embeddings.Extract output or normalise them.", nameof(distractors));
                var scores = p.mm(block.t());
                var (oldTop, oldImpostors) = (top, impostors);
                (top, impostors) = Merge(top, impostors, scores, mateFloor, allowed + 1);
                top.MoveToOuterDisposeScope();
                impostors.MoveToOuterDisposeScope();
                oldTop.Dispose();
                oldImpostors.Dispose();
            }
            offset += chunk.shape[0];
        }
        if (offset != distractors.Count || distractorCount != expectedDistractors)
            throw new ArgumentException($"The distractor source promised {distractors.Count} rows but its chunks held {offset}.", nameof(distractors));

        // rank − 1 = number of distractors above the mate; beyond maxRank it is only known to be ≥ maxRank.
        var above = top.index_select(0, tensor(trialProbe)).gt(mate.unsqueeze(1)).sum(1).cpu().data<long>().ToArray();
        var cmc = new double[maxRank];
        for (int r = 0; r < maxRank; r++) cmc[r] = (double)above.Count(a => a <= r) / above.Length;

        // Allowed false accepts K = ⌊FAR·#impostors⌋; a threshold just above the (K+1)-th largest impostor keeps K.
        var sortedImpostors = impostors.sort(descending: true).Values.cpu().data<float>().ToArray();
        double tar = allowed < sortedImpostors.Length
            ? (double)mates.Count(s => s > sortedImpostors[allowed]) / mates.Length
            : 1.0;
        return new IdentificationResult(cmc[0], cmc, tar, options.VerificationFar, trialProbe.Length, distractorCount);
    }

    /// <summary>Same as the streaming overload with one distractor tensor (sliced into blocks, never copied whole).</summary>
    public static IdentificationResult Evaluate(Tensor probes, int[] probeIds, Tensor gallery, int[] galleryIds,
        Tensor distractors, int maxRank = 10, IdentificationOptions? options = null)
        => Evaluate(probes, probeIds, gallery, galleryIds, DistractorSource.From(distractors), maxRank, options);

    /// <summary>
    /// MegaFace challenge 1: FaceScrub images are both probes and gallery; every ordered pair of distinct images of one
    /// identity is a trial against the distractors. <paramref name="noisyFaceScrub"/> and
    /// <paramref name="noisyDistractors"/> give the refined ("R") protocol.
    /// </summary>
    public static IdentificationResult MegaFace(Tensor faceScrub, int[] identities, DistractorSource distractors,
        int maxRank = 10, int[]? noisyFaceScrub = null, long[]? noisyDistractors = null, Device? device = null)
        => Evaluate(faceScrub, identities, faceScrub, identities, distractors, maxRank, new IdentificationOptions(
            ExcludeSelfPairs: true, NoisyProbes: noisyFaceScrub, NoisyGallery: noisyFaceScrub,
            NoisyDistractors: noisyDistractors, Device: device));

    const long SeedBlockRows = 4096;

    static Tensor WithoutNoisy(Tensor block, long firstRow, HashSet<long> noisy)
    {
        if (noisy.Count == 0) return block;
        var keep = Enumerable.Range(0, (int)block.shape[0]).Where(j => !noisy.Contains(firstRow + j)).Select(j => (long)j).ToArray();
        return keep.Length == block.shape[0] ? block : block.index_select(0, tensor(keep, device: block.device));
    }

    /// <summary>
    /// Folds one P × C score block into the running state: each row's top-k (sorted descending; scores at most the
    /// row's mate floor are never needed) and the <paramref name="impostorCount"/> largest scores overall. After the
    /// first blocks few scores beat those thresholds, so one compare and one nonzero pass over the block collect the
    /// candidates and the merges run on short lists (boolean sums and masked_select are far slower on CPU).
    /// </summary>
    static (Tensor Top, Tensor Impostors) Merge(Tensor top, Tensor impostors, Tensor scores, Tensor mateFloor, long impostorCount)
    {
        int k = (int)top.shape[1];
        long width = scores.shape[1];
        var rowFloor = maximum(mateFloor, top.select(1, k - 1));
        var bound = ImpostorBound(top, impostors, impostorCount);
        var flat = scores.flatten();
        var index = scores.ge((bound is null ? rowFloor : minimum(rowFloor, bound)).unsqueeze(1)).flatten().nonzero().squeeze(1);
        if (index.shape[0] > flat.shape[0] / 16)
        {
            var denseTop = cat([top, scores.topk((int)Math.Min(k, width), dim: 1).values], 1).topk(k, dim: 1).values;
            return (denseTop, Largest(impostors, flat, impostorCount));
        }
        var values = flat.index_select(0, index);
        var rows = index.div(width, rounding_mode: RoundingMode.floor);
        var forRows = values.gt(rowFloor.index_select(0, rows)).nonzero().squeeze(1);
        var newTop = MergeRows(top, rows.index_select(0, forRows), values.index_select(0, forRows));
        var forImpostors = bound is null ? flat : values.index_select(0, values.ge(bound).nonzero().squeeze(1));
        return (newTop, Largest(impostors, forImpostors, impostorCount));
    }

    /// <summary>Each row's k largest of <paramref name="top"/> ∪ the (row, value) candidates, by a segmented sort.</summary>
    static Tensor MergeRows(Tensor top, Tensor candidateRows, Tensor candidateValues)
    {
        long rows = top.shape[0];
        int k = (int)top.shape[1];
        if (candidateRows.shape[0] == 0) return top.clone();
        var row = cat([candidateRows, arange(rows, device: top.device).repeat_interleave(k)]);
        var value = cat([candidateValues, top.flatten()]);
        // Sort by row, then by value descending, with one float64 key (cosines lie in [-1, 1]; −∞ fillers clamp).
        var order = (row.to(float64) * 4 + 1 - value.to(float64).clamp(-1.5, 1.5)).argsort();
        row = row.index_select(0, order);
        value = value.index_select(0, order);
        var counts = bincount(row, minlength: (int)rows);
        var position = arange(row.shape[0], device: top.device) - (counts.cumsum(0) - counts).index_select(0, row);
        var kept = position.lt(k).nonzero().squeeze(1);
        var merged = full(rows, k, float.NegativeInfinity, device: top.device);
        return merged.index_put_(value.index_select(0, kept), row.index_select(0, kept), position.index_select(0, kept));
    }

    /// <summary>A lower bound on the k-th largest score seen so far: any k actual scores give one (the kept
    /// impostors, or the running row tops once they hold k finite values); null before that.</summary>
    static Tensor? ImpostorBound(Tensor top, Tensor impostors, long k)
    {
        if (impostors.shape[0] >= k) return impostors.min();
        var finite = top.flatten();
        finite = finite.index_select(0, finite.isfinite().nonzero().squeeze(1));
        return finite.shape[0] >= k ? finite.topk((int)k).values.min() : null;
    }

    /// <summary>The <paramref name="k"/> largest of <paramref name="kept"/> ∪ <paramref name="candidates"/>.</summary>
    static Tensor Largest(Tensor kept, Tensor candidates, long k)
    {
        if (candidates.shape[0] == 0) return kept.clone();
        var merged = cat([kept, candidates.shape[0] > k ? candidates.topk((int)k).values : candidates]);
        return merged.shape[0] > k ? merged.topk((int)k).values : merged;
    }

    static (long[] Probe, long[] Mate) Trials(int[] keptProbes, int[] probeIds, int[] keptGallery, int[] galleryIds, bool excludeSelf)
    {
        var galleryRowsById = keptGallery.Select((index, row) => (index, row))
            .ToLookup(x => galleryIds[x.index]);
        var probe = new List<long>();
        var mate = new List<long>();
        for (int row = 0; row < keptProbes.Length; row++)
        {
            int index = keptProbes[row];
            foreach (var (galleryIndex, galleryRow) in galleryRowsById[probeIds[index]])
            {
                if (excludeSelf && galleryIndex == index) continue;
                probe.Add(row);
                mate.Add(galleryRow);
            }
        }
        return (probe.ToArray(), mate.ToArray());
    }

    static int[] Kept(int count, int[]? removed, string name)
    {
        var set = new HashSet<int>(removed ?? []);
        foreach (int r in set)
            if (r < 0 || r >= count) throw new ArgumentOutOfRangeException(name, r, $"Index must lie in [0, {count}).");
        return Enumerable.Range(0, count).Where(i => !set.Contains(i)).ToArray();
    }

    static Tensor Normalised(Tensor features, Device device)
        => nn.functional.normalize(features.to(float32, device), p: 2, dim: 1);

    static void Validate(Tensor features, int[] ids, string name)
    {
        ArgumentNullException.ThrowIfNull(features, name);
        ArgumentNullException.ThrowIfNull(ids, name + "Ids");
        if (features.dim() != 2 || features.shape[0] != ids.Length)
            throw new ArgumentException($"{name} must be N × D with N = {ids.Length} ids; got shape [{string.Join(", ", features.shape)}].", name);
        using var finite = isfinite(features).all();
        if (!finite.item<bool>()) throw new ArgumentException($"{name} contain NaN or Inf.", name);
    }
}
