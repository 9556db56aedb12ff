using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using ArcFace.Training;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.Formatting;
using Plotly.NET;

namespace ArcFace.Interactive;

/// <summary>Live views that update in place while a cell runs.</summary>
public static class Live
{
    /// <summary>
    /// A progress view for the trainer (<c>trainer.Fit(data, Live.Progress())</c>): a bar, the latest numbers and
    /// loss/accuracy sparklines, updated in place (a display handle) at most every <paramref name="every"/>
    /// (default 0.5 s) and at the last step. Outside a notebook it prints a line per update.
    /// </summary>
    public static LiveProgress Progress(string title = "training", TimeSpan? every = null) => new(title, every ?? TimeSpan.FromSeconds(0.5));
}

/// <summary>
/// Shows <see cref="StepReport"/>s as they come and keeps them: <see cref="History"/> and <see cref="Chart"/> serve the
/// cells after training.
/// </summary>
public sealed class LiveProgress(string title, TimeSpan every) : IProgress<StepReport>
{
    readonly List<StepReport> history = [];
    readonly Stopwatch sinceShown = new();
    readonly string displayId = Guid.NewGuid().ToString("N");
    bool shown;

    /// <summary>Every report received, in order.</summary>
    public IReadOnlyList<StepReport> History => history;

    /// <summary>Records a report and refreshes the view when due.</summary>
    public void Report(StepReport value)
    {
        lock (history)
        {
            history.Add(value);
            bool last = value.Step >= value.TotalSteps;
            if (sinceShown.IsRunning && sinceShown.Elapsed < every && !last) return;
            Show(new ProgressView(title, [.. history]));
            sinceShown.Restart();
        }
    }

    /// <summary>The training curves of the reports so far.</summary>
    public GenericChart Chart() => Charts.Training(history, title);

    // Events published directly: DisplayedValue.Update (1.0.0-beta.26120.1) sends another id than Display did.
    void Show(ProgressView view)
    {
        if (KernelInvocationContext.Current is not { } context) { Console.WriteLine(view.ToText()); return; }
        context.CancellationToken.ThrowIfCancellationRequested();   // a Jupyter interrupt stops training here
        NotebookFormatters.Register();
        var formatted = FormattedValue.CreateManyFromObject(view, HtmlFormatter.MimeType, PlainTextFormatter.MimeType);
        context.Publish(shown ? new DisplayedValueUpdated(view, displayId, context.Command, formatted)
                              : new DisplayedValueProduced(view, context.Command, formatted, displayId));
        shown = true;
    }
}

/// <summary>A snapshot of training progress, formatted as HTML (bar, numbers, inline SVG sparklines) and as one text line.</summary>
public sealed record ProgressView(string Title, IReadOnlyList<StepReport> History)
{
    /// <summary>The latest report.</summary>
    public StepReport Last => History[^1];

    /// <summary>Fraction of the run done, 0–1.</summary>
    public double Fraction => Last.TotalSteps > 0 ? Math.Clamp((double)Last.Step / Last.TotalSteps, 0, 1) : 0;

    /// <summary>One line, e.g. for a console.</summary>
    public string ToText() => string.Create(CultureInfo.InvariantCulture,
        $"{Title}  step {Last.Step}/{Last.TotalSteps} ({Fraction * 100:F0}%)  epoch {Last.Epoch}  loss {Last.Loss:F4}  acc {Last.Accuracy * 100:F1}%  " +
        $"angle {Last.MeanTargetAngleDegrees:F1}°  lr {Last.LearningRate:G4}  {Last.ImagesPerSecond:F0} img/s");

    /// <summary>The HTML view: no script, so it renders the same in Jupyter, the runner's report and GitHub.</summary>
    public string ToHtml()
    {
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"""
            <div class="arcface-progress" style="font-family: sans-serif; font-size: 13px; max-width: 720px;">
            <div><b>{WebUtility.HtmlEncode(Title)}</b> — step {Last.Step}/{Last.TotalSteps}, epoch {Last.Epoch}</div>
            <div style="background: #e5e7eb; border-radius: 4px; height: 12px; margin: 4px 0;"><div style="background: #2563eb; width: {Fraction * 100:F1}%; height: 12px; border-radius: 4px;"></div></div>
            <div>loss <b>{Last.Loss:F4}</b> · train acc <b>{Last.Accuracy * 100:F1}%</b> · target angle <b>{Last.MeanTargetAngleDegrees:F1}°</b> · lr {Last.LearningRate:G4} · {Last.ImagesPerSecond:F0} img/s</div>
            <div style="display: flex; gap: 16px; margin-top: 4px;">
            """);
        html.Append(Sparkline("loss", History.Select(r => r.Loss).ToList(), "#dc2626"));
        html.Append(Sparkline("train acc", History.Select(r => r.Accuracy).ToList(), "#16a34a"));
        html.Append("</div></div>");
        return html.ToString();
    }

    static string Sparkline(string label, IReadOnlyList<double> values, string color)
    {
        const double width = 240, height = 48;
        var finite = values.Where(double.IsFinite).ToList();
        if (finite.Count == 0) return "";
        double lo = finite.Min(), hi = finite.Max(), span = hi > lo ? hi - lo : 1;
        var points = string.Join(" ", values.Select((v, i) => (v, i)).Where(p => double.IsFinite(p.v)).Select(p => string.Create(CultureInfo.InvariantCulture,
            $"{(values.Count == 1 ? width / 2 : p.i * width / (values.Count - 1)):F1},{height - 2 - (p.v - lo) / span * (height - 4):F1}")));
        return string.Create(CultureInfo.InvariantCulture, $"""
            <figure style="margin: 0;"><svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" style="background: #f9fafb;"><polyline fill="none" stroke="{color}" stroke-width="1.5" points="{points}"/></svg>
            <figcaption style="font-size: 11px; color: #555;">{label}: {lo:G4} – {hi:G4}</figcaption></figure>
            """);
    }
}
