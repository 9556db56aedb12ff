using ArcFace.Evaluation;
using ArcFace.Runtime;

namespace ArcFace.Interactive;

/// <summary>One claim as a notebook shows it.</summary>
/// <param name="Claim">The claim in words.</param>
/// <param name="Paper">The paper's value or statement.</param>
/// <param name="Ours">Mean ± std over the seeds, with the unit (a comparison: the paired difference).</param>
/// <param name="Seeds">How many seeds.</param>
/// <param name="Verdict">holds, inconclusive or contradicted.</param>
/// <param name="Test">How the verdict was decided.</param>
public sealed record ClaimRow(string Claim, string Paper, string Ours, int Seeds, string Verdict, string Test);

/// <summary>The notebook end of the scoreboard: record a notebook's claims for the report and show them.</summary>
public static class Scoreboards
{
    /// <summary>
    /// Records each claim in <c>claims.json</c> under <see cref="Settings.Output"/> (replacing the same claim of an
    /// earlier run) and returns them as a table: Claim, Paper, Ours, Seeds, Verdict, Test.
    /// </summary>
    public static Deedle.Frame<int, string> Record(Settings settings, params ClaimResult[] claims)
    {
        foreach (var claim in claims) Scoreboard.Record(settings.Output, claim);
        return Tables.Of(claims.Select(c => new ClaimRow(c.Claim, c.Paper, c.Ours, c.Seeds, c.Verdict.ToString().ToLowerInvariant(), c.Test)));
    }
}
