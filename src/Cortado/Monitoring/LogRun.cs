using System.Text.RegularExpressions;
using Cortado.Diagnostics;
using Cortado.Errors;
using Cortado.Logging;
using Cortado.Proto;
using static Cortado.Logging.CppFormat;

namespace Cortado.Monitoring;

/// <summary>
/// A finished run read back from its Caffe-format training log (Caffe's or Cortado's): the
/// curves that Caffe's parse_log.py reads, how the run ended, the training net when the log names
/// its file, and the findings a log can show (a non-finite loss, a loss stuck at chance).
/// </summary>
public static partial class LogRun
{
    [GeneratedRegex(@"Creating training net from (?:net|train_net) file: (.+)$")]
    private static partial Regex NetFileLine();

    /// <summary>A run per log: the file itself, or every *.log in a folder (a run directory).</summary>
    public static IReadOnlyList<RunHistory> ReadAll(string logOrFolder)
    {
        if (System.IO.Directory.Exists(logOrFolder))
        {
            var logs = System.IO.Directory.GetFiles(logOrFolder, "*.log").Order(StringComparer.Ordinal).ToList();
            if (logs.Count == 0) throw new CortadoException($"{logOrFolder}: the folder holds no training log (*.log)");
            return logs.Select(Read).ToList();
        }
        if (!File.Exists(logOrFolder)) throw new CortadoException($"{logOrFolder}: no such log file or run folder");
        return [Read(logOrFolder)];
    }

    public static RunHistory Read(string logPath)
    {
        var lines = File.ReadAllLines(logPath);
        var log = TrainingLog.Parse(lines);
        string folder = Path.GetDirectoryName(Path.GetFullPath(logPath))!;
        var net = TrainNet(lines, folder);
        var run = new RunHistory(Path.GetFileNameWithoutExtension(logPath), folder, net, RunState.Stopped);

        var rates = log.LearningRate.ToDictionary(r => r.Iteration, r => (float)r.Rate);
        float rate = float.NaN;
        foreach (var (iteration, loss) in log.TrainLoss)
        {
            if (rates.TryGetValue(iteration, out float r)) rate = r;
            run.AddPoint(new TrainPoint(iteration, (float)loss, (float)loss, rate));
        }
        var tests = log.Test.SelectMany(t => t.Value.Select(p => new TestPoint(p.Iteration, 0, t.Key, (float)p.Value)));
        foreach (var test in tests.OrderBy(t => t.Iteration)) run.AddTest(test); // stable: a pass's outputs in the log's order

        int last = log.TrainLoss.Count > 0 ? log.TrainLoss[^1].Iteration : 0;
        var nonFinite = log.TrainLoss.FirstOrDefault(p => !double.IsFinite(p.Loss));
        if (nonFinite != default)
        {
            run.Raise(new Finding(Severity.Error, "LOSS_NOT_FINITE", $"The loss became {G(nonFinite.Loss)} at iteration {nonFinite.Iteration}",
                $"{Path.GetFileName(logPath)}: \"Iteration {nonFinite.Iteration} ..., loss = {G(nonFinite.Loss)}\"",
                "Once a value overflows, every later computation is NaN. `cortado train` names the first layer whose outputs were not finite.",
                "scale the inputs, lower base_lr, or set clip_gradients: 10", Rank: 3), nonFinite.Iteration);
        }
        RaiseIfAtChance(run, log, net);
        bool done = lines.Any(l => l.EndsWith("Optimization Done.", StringComparison.Ordinal));
        run.SetState(nonFinite != default ? RunState.Diverged : done ? RunState.Finished : RunState.Stopped,
            nonFinite != default ? $"at iteration {nonFinite.Iteration}" : $"the log ends at iteration {last}");
        return run;
    }

    /// <summary>The smoothed losses of the last quarter of the log against ln(classes), when the net says how many classes.</summary>
    private static void RaiseIfAtChance(RunHistory run, TrainingLog log, NetParameter? net)
    {
        int classes = net == null ? 0 : ClassCount(net);
        var late = log.TrainLoss.Skip(log.TrainLoss.Count * 3 / 4).Select(p => (float)p.Loss).ToList();
        if (classes < 2 || late.Count < 4) return;
        var judged = ChanceTest.Judge(late, classes);
        if (!judged.AtChance) return;
        run.Raise(ChanceTest.Finding(classes, $"mean displayed loss over the last {late.Count} display lines: {G(judged.Mean)} (spread {G(judged.Spread)})",
            "run cortado diagnose on the solver: it names the cause"), log.TrainLoss[log.TrainLoss.Count * 3 / 4].Iteration);
    }

    /// <summary>The net file the log names, tried as written and from the log's folder; null when it cannot be read.</summary>
    private static NetParameter? TrainNet(IEnumerable<string> lines, string folder)
    {
        var named = lines.Select(l => NetFileLine().Match(l)).FirstOrDefault(m => m.Success);
        if (named == null) return null;
        string file = named.Groups[1].Value.Trim();
        foreach (string candidate in new[] { file, Path.Combine(folder, file), Path.Combine(folder, Path.GetFileName(file)) })
        {
            if (!File.Exists(candidate)) continue;
            try { return ProtoFiles.ReadNetText(candidate); }
            catch (CortadoException) { return null; }
        }
        return null;
    }

    /// <summary>num_output of the InnerProduct (or Convolution) whose top the SoftmaxWithLoss scores; 0 when not found.</summary>
    private static int ClassCount(NetParameter net)
    {
        var loss = net.Layer.FirstOrDefault(l => l.Type == "SoftmaxWithLoss" && l.Bottom.Count > 0);
        if (loss == null) return 0;
        var producer = net.Layer.LastOrDefault(l => l.Top.Contains(loss.Bottom[0]) && l.Type is "InnerProduct" or "Convolution");
        return (int)(producer?.InnerProductParam?.NumOutput ?? producer?.ConvolutionParam?.NumOutput ?? 0);
    }
}
