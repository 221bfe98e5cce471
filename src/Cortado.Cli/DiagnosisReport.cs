using System.Net;
using System.Text;
using Cortado.Diagnostics;
using Cortado.Solvers;
using ScottPlot;

namespace Cortado.Cli;

/// <summary>
/// The diagnosis as one HTML file that opens in a browser with no network: the findings, and
/// plots of the probe's loss, each layer's activation and gradient scale, and the learning rate
/// over the whole schedule, embedded as PNG images.
/// </summary>
public static class DiagnosisReport
{
    public static void Write(Diagnosis.Report report, string path)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Cortado diagnosis</title><style>")
            .Append("body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}.f{border-left:6px solid #999;padding:.4em 1em;margin:1em 0;background:#f7f7f7}")
            .Append(".Error{border-color:#c0392b}.Warning{border-color:#e67e22}.Info{border-color:#2980b9}code{background:#eee;padding:0 .2em}img{max-width:100%}")
            .Append("</style></head><body>");
        html.Append($"<h1>Why it does (not) learn</h1><p>{Encode(report.Solver)}: static checks, " +
            (report.Skipped.Count == 0 ? $"then a probe of {report.Iterations} training iterations.</p>" : $"of the prototxts only ({Encode(string.Join(", ", report.MissingData))} not found).</p>"));
        foreach (var f in report.Findings)
        {
            html.Append($"<div class=\"f {f.Severity}\"><h3>{f.Severity}: {Encode(f.Title)} <small>({f.Code})</small></h3>")
                .Append($"<p><b>Evidence:</b> {Encode(f.Evidence)}</p><p><b>Why:</b> {Encode(f.Explanation)}</p>");
            if (f.Fix != null) html.Append($"<p><b>Fix:</b> <code>{Encode(f.Fix)}</code></p>");
            html.Append("</div>");
        }
        if (report.Skipped.Count > 0)
        {
            html.Append("<h2>Skipped checks</h2><ul>");
            foreach (var skipped in report.Skipped) html.Append($"<li>{Encode(skipped.Check)}: {Encode(skipped.Reason)}</li>");
            html.Append("</ul>");
        }
        html.Append("<h2>Probe</h2>");
        html.Append(Image(plot =>
        {
            var losses = report.Trace.Losses.Select((l, i) => (i, l)).Where(p => float.IsFinite(p.l)).ToArray();
            if (losses.Length > 0) plot.Add.Scatter(losses.Select(p => (double)p.i).ToArray(), losses.Select(p => (double)p.l).ToArray()).LegendText = "loss";
            plot.Title("Loss during the probe");
            plot.XLabel("iteration");
        }));
        html.Append(Image(plot =>
        {
            var accuracy = report.Trace.BatchAccuracy.Select((a, i) => (i, a)).Where(p => float.IsFinite(p.a)).ToArray();
            if (accuracy.Length > 0) plot.Add.Scatter(accuracy.Select(p => (double)p.i).ToArray(), accuracy.Select(p => (double)p.a).ToArray()).LegendText = "accuracy";
            plot.Title("Training-batch accuracy during the probe");
            plot.XLabel("iteration");
        }));
        html.Append(Image(plot => Series(plot, report.Trace.ActivationRms, "Output rms per layer (log10)")));
        html.Append(Image(plot => Series(plot, report.Trace.GradientRms, "Weight gradient rms per layer (log10)")));
        html.Append(Image(plot =>
        {
            var p = report.Parameters;
            int points = 200, max = Math.Max(1, p.MaxIter);
            var xs = Enumerable.Range(0, points).Select(i => (double)i * max / points).ToArray();
            plot.Add.Scatter(xs, xs.Select(x => (double)LearningRatePolicy.Rate(p, (int)x)).ToArray()).LegendText = p.LrPolicy;
            plot.Title($"Learning rate over max_iter ({p.LrPolicy})");
            plot.XLabel("iteration");
        }));
        html.Append("</body></html>");
        IO.AtomicFile.WriteAllText(path, html.ToString());
    }

    private static void Series(Plot plot, Dictionary<string, List<double>> series, string title)
    {
        foreach (var (layer, values) in series)
        {
            var points = values.Select((v, i) => (i, v)).Where(p => double.IsFinite(p.v) && p.v > 0).ToArray();
            if (points.Length == 0) continue;
            var line = plot.Add.Scatter(points.Select(p => (double)p.i).ToArray(), points.Select(p => Math.Log10(p.v)).ToArray());
            line.LegendText = layer;
            line.MarkerSize = 0;
        }
        plot.Title(title);
        plot.XLabel("iteration");
        plot.ShowLegend();
    }

    private static string Image(Action<Plot> draw)
    {
        var plot = new Plot();
        draw(plot);
        byte[] png = plot.GetImageBytes(900, 320, ImageFormat.Png);
        return $"<p><img alt=\"plot\" src=\"data:image/png;base64,{Convert.ToBase64String(png)}\"></p>";
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
