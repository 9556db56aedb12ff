using ArcFace.Training;
using Microsoft.FSharp.Core;
using Plotly.NET;
using PlotlyChart = Plotly.NET.CSharp.Chart;
using Plotly.NET.CSharp;

namespace ArcFace.Interactive;

/// <summary>A named curve: y over x.</summary>
public sealed record Curve(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y)
{
    /// <summary>A curve from pairs.</summary>
    public static Curve Of(string name, IEnumerable<(double X, double Y)> points)
    {
        var list = points.ToList();
        return new(name, list.Select(p => p.X).ToList(), list.Select(p => p.Y).ToList());
    }
}

/// <summary>
/// The charts the notebooks draw, as Plotly.NET charts. The host shows them offline; <see cref="ChartHtml.Page"/> makes
/// a standalone page. Any other Plotly.NET chart works too (<c>Chart.Line(...)</c> of Plotly.NET.CSharp).
/// </summary>
public static class Charts
{
    /// <summary>Curves sharing axes, e.g. accuracy over epochs for several margins.</summary>
    public static GenericChart Lines(string title, string xTitle, string yTitle, params Curve[] curves) =>
        Style(PlotlyChart.Combine(curves.Select(c => PlotlyChart.Line<double, double, string>(c.X, c.Y, Name: c.Name))), title, xTitle, yTitle);

    /// <summary>One curve.</summary>
    public static GenericChart Line(IEnumerable<double> x, IEnumerable<double> y, string title = "", string xTitle = "", string yTitle = "") =>
        Lines(title, xTitle, yTitle, new Curve(yTitle.Length > 0 ? yTitle : "y", x.ToList(), y.ToList()));

    /// <summary>Overlaid histograms of several groups (e.g. angle distributions of positive and negative pairs).</summary>
    public static GenericChart Histograms(string title, string xTitle, int bins, params (string Name, IEnumerable<double> Values)[] groups) =>
        Style(PlotlyChart.Combine(groups.Select(g => PlotlyChart.Histogram<double, double, string>(
            X: new Optional<IEnumerable<double>>(g.Values.ToList(), true), Name: g.Name, Opacity: 0.6, NBinsX: bins))).Overlaid(), title, xTitle, "count");

    /// <summary>Bars, one per key (e.g. verification accuracy per loss).</summary>
    public static GenericChart Bars(string title, IEnumerable<string> keys, IEnumerable<double> values, string yTitle = "") =>
        Style(PlotlyChart.Column<double, string, string>(values.ToList(), Keys: new Optional<IEnumerable<string>>(keys.ToList(), true)), title, "", yTitle);

    /// <summary>ROC curves: true accept rate over false accept rate, the false accept rate on a log axis.</summary>
    public static GenericChart Roc(string title, params Curve[] curves) =>
        Lines(title, "false accept rate", "true accept rate", curves)
            .WithXAxisStyle<double, double, string>(AxisType: StyleParam.AxisType.Log);

    /// <summary>Training curves from the trainer's reports: loss, accuracy, mean target angle and learning rate by step.</summary>
    public static GenericChart Training(IReadOnlyList<StepReport> history, string title = "training")
    {
        var steps = history.Select(r => (double)r.Step).ToList();
        GenericChart panel(string name, Func<StepReport, double> value) =>
            PlotlyChart.Line<double, double, string>(steps, history.Select(value).ToList(), Name: name);
        return Plotly.NET.Chart.withTitle(title, FSharpOption<Font>.None).Invoke(PlotlyChart.Grid(
            [panel("loss", r => r.Loss), panel("accuracy", r => r.Accuracy),
             panel("target angle (deg)", r => r.MeanTargetAngleDegrees), panel("learning rate", r => r.LearningRate)],
            nRows: 2, nCols: 2, SubPlotTitles: new Optional<IEnumerable<string>>(["loss", "train accuracy", "target angle (deg)", "learning rate"], true))
            .WithSize(900, 600));
    }

    static GenericChart Overlaid(this GenericChart chart)
    {
        var layout = GenericChart.getLayout(chart);
        layout.SetProperty("barmode", "overlay");
        return GenericChart.setLayout(layout, chart);
    }

    static GenericChart Style(GenericChart chart, string title, string xTitle, string yTitle)
    {
        if (xTitle.Length > 0) chart = chart.WithXAxisStyle<double, double, string>(TitleText: xTitle);
        if (yTitle.Length > 0) chart = chart.WithYAxisStyle<double, double, string>(TitleText: yTitle);
        return title.Length > 0 ? Plotly.NET.Chart.withTitle(title, FSharpOption<Font>.None).Invoke(chart) : chart;
    }
}
