using Cortado.Errors;
using Cortado.Logging;
using ScottPlot;

namespace Cortado.Cli.Verbs;

/// <summary>
/// Draws the curves of a training log (Caffe's or Cortado's): smoothed train loss and test
/// loss, test accuracy, and the learning rate, against iterations, as one PNG.
/// </summary>
public sealed class PlotVerb : IVerb
{
    public string Name => "plot";
    public string Summary => "draw loss, test accuracy and learning rate from a training log as a PNG";
    public string Usage => "LOGFILE -o curves.png";
    public IReadOnlyList<Flag> Flags => [new("o", "the PNG to write (default: LOGFILE.png)"), new("output", "same as -o")];

    public int Run(VerbArguments arguments, VerbConsole console)
    {
        string logPath = arguments.ExpectPositional(1)[0];
        string output = arguments.Get("o") ?? arguments.Get("output") ?? logPath + ".png";
        string[] lines;
        try { lines = File.ReadAllLines(logPath); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFileException(logPath, e is FileNotFoundException or DirectoryNotFoundException ? "file not found" : e.Message, e);
        }
        var log = TrainingLog.Parse(lines);
        if (log.TrainLoss.Count == 0 && log.Test.Count == 0)
            throw new CortadoException($"{logPath}: no 'Iteration N (...), loss = X' or 'Test net output' lines found; is it a Caffe training log (with display > 0)?");

        var multiplot = new Multiplot();
        multiplot.AddPlots(3);
        var (lossPlot, accuracyPlot, ratePlot) = (multiplot.GetPlot(0), multiplot.GetPlot(1), multiplot.GetPlot(2));

        AddLine(lossPlot, log.TrainLoss, "train loss (smoothed)");
        if (log.Test.TryGetValue("loss", out var testLoss)) AddLine(lossPlot, testLoss, "test loss");
        lossPlot.Title("Loss");
        lossPlot.ShowLegend();

        foreach (var (name, series) in log.Test.Where(t => t.Key.Contains("acc", StringComparison.OrdinalIgnoreCase)))
            AddLine(accuracyPlot, series, "test " + name);
        accuracyPlot.Title("Test accuracy");
        accuracyPlot.ShowLegend();

        AddLine(ratePlot, log.LearningRate, "learning rate");
        ratePlot.Title("Learning rate");
        ratePlot.XLabel("Iteration");

        string? folder = Path.GetDirectoryName(Path.GetFullPath(output));
        if (folder != null) Directory.CreateDirectory(folder);
        multiplot.SavePng(output, 900, 1000);
        console.Out.WriteLine($"Wrote {output}: {log.TrainLoss.Count} train loss points, {log.Test.Values.Sum(v => v.Count)} test points, {log.LearningRate.Count} rates");
        return 0;
    }

    private static void AddLine(Plot plot, IReadOnlyList<(int Iteration, double Value)> points, string label)
    {
        var finite = points.Where(p => double.IsFinite(p.Value)).ToArray();
        if (finite.Length == 0) return;
        var line = plot.Add.Scatter(finite.Select(p => (double)p.Iteration).ToArray(), finite.Select(p => p.Value).ToArray());
        line.LegendText = label;
        line.MarkerSize = finite.Length > 50 ? 0 : 4;
    }
}
