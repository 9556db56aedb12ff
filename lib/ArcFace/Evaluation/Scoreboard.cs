using System.Text.Json;
using System.Text.Json.Serialization;
using ArcFace.Runtime;

namespace ArcFace.Evaluation;

/// <summary>
/// The run's claims, machine-readable: <c>&lt;output&gt;/report/claims.json</c>, an object
/// <c>{ "claims": [ { "notebook", "claim", "paper", "unit", "values", "baseline", "mean", "std", "seeds", "verdict", "test" } ] }</c>
/// with verdicts as "holds", "inconclusive", "contradicted" and NaN (no spread, failed measurement) as null. Notebooks add rows; the runner
/// shows them first in the report.
/// </summary>
public static class Scoreboard
{
    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false), new NanAsNull() },
    };

    /// <summary>The scoreboard file of an output folder.</summary>
    public static string PathFor(string output) => Path.Combine(output, "report", "claims.json");

    /// <summary>
    /// Adds <paramref name="claim"/>, replacing the row of the same notebook and claim where there is one (in place,
    /// so a rerun keeps the order); a new row goes after its notebook's other rows, the notebooks in name order, so
    /// notebooks that finish in any order (side by side) leave the same table. Writes to a temporary file and renames
    /// it, so a reader never sees half a file.
    /// </summary>
    /// <exception cref="InvalidDataException">The existing file is not a scoreboard.</exception>
    public static void Record(string output, ClaimResult claim) => Update(output, claims =>
    {
        int i = claims.FindIndex(c => c.Notebook == claim.Notebook && c.Claim == claim.Claim);
        if (i >= 0) claims[i] = claim;
        else
        {
            int later = claims.FindIndex(c => string.CompareOrdinal(c.Notebook, claim.Notebook) > 0);
            claims.Insert(later >= 0 ? later : claims.Count, claim);
        }
    });

    /// <summary>
    /// Removes every claim of <paramref name="notebook"/>; the runner calls it before it runs the notebook, so the
    /// notebook's claims are those of its latest run, and a claim it no longer makes leaves the scoreboard.
    /// </summary>
    /// <exception cref="InvalidDataException">The existing file is not a scoreboard.</exception>
    public static void Forget(string output, string notebook)
    {
        if (File.Exists(PathFor(output))) Update(output, claims => claims.RemoveAll(c => c.Notebook == notebook));
    }

    static void Update(string output, Action<List<ClaimResult>> change)
    {
        // Notebooks running side by side record into the same file: one read-modify-write at a time.
        using var exclusive = FileLock.Acquire(PathFor(output) + ".lock");
        var claims = Read(output).ToList();
        change(claims);
        string path = PathFor(output);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        string temp = path + $".{Environment.ProcessId}.tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(new ScoreboardFile(claims), Json));
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The recorded claims in order; none where the file does not exist.</summary>
    /// <exception cref="InvalidDataException">The file is not a scoreboard; the message names it.</exception>
    public static IReadOnlyList<ClaimResult> Read(string output)
    {
        string path = PathFor(output);
        if (!File.Exists(path)) return [];
        try
        {
            var claims = JsonSerializer.Deserialize<ScoreboardFile>(File.ReadAllText(path), Json)?.Claims
                ?? throw new JsonException("no 'claims' array");
            foreach (var c in claims)
                if (c is null || c.Notebook is null || c.Claim is null || c.Paper is null || c.Unit is null || c.Values is null || c.Test is null)
                    throw new JsonException("a row lacks one of 'notebook', 'claim', 'paper', 'unit', 'values', 'test'");
            return claims;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a claims scoreboard ({e.Message}); delete it or rerun every notebook.", e);
        }
    }

    // The file's top level: an object, so that run-wide fields can join the claims later without breaking readers.
    sealed record ScoreboardFile(IReadOnlyList<ClaimResult> Claims);

    // JSON has no NaN: the std of one seed, or a failed measurement, still has to round-trip.
    sealed class NanAsNull : JsonConverter<double>
    {
        public override bool HandleNull => true;

        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType switch
            {
                JsonTokenType.Null => double.NaN,
                JsonTokenType.Number => reader.GetDouble(),
                _ => throw new JsonException($"expected a number or null, found {reader.TokenType}"),
            };

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
        {
            if (double.IsFinite(value)) writer.WriteNumberValue(value); else writer.WriteNullValue();
        }
    }
}
