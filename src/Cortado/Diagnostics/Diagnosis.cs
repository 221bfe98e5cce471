using Cortado.Logging;
using Cortado.Nets;
using Cortado.Proto;
using Cortado.Solvers;

namespace Cortado.Diagnostics;

/// <summary>
/// Why a net does (not) learn: static checks of net, solver and a data sample, then a short
/// probe run with monitors. Findings come most serious first, and the input scale, when wrong,
/// first of all. <see cref="Fix"/> writes the corrected net and solver.
/// </summary>
public static class Diagnosis
{
    public sealed record Report(string Solver, int Iterations, List<Finding> Findings, ProbeTrace Trace, SolverParameter Parameters,
        IReadOnlyList<SkippedCheck> Skipped, IReadOnlyList<string> MissingData)
    {
        public IEnumerable<Finding> AtLeast(Severity severity) => Findings.Where(f => f.Severity >= severity);
    }

    public static Report Run(string solverPath, int iterations = 100, CaffeLog? log = null)
    {
        var param = ProtoFiles.ReadSolverText(solverPath);
        SolverUpgrader.Upgrade(param);
        var probe = param.Clone();
        probe.Display = 0;
        probe.TestInterval = 0;
        probe.Snapshot = 0;
        probe.SnapshotAfterTrain = false;
        if (probe.RandomSeed < 0) probe.RandomSeed = 1;
        var (train, tests) = SolverNets.Resolve(probe, solverPath);
        var trainParam = SplitInsertion.Insert(NetFilter.Filter(train.Net, train.State));
        var missing = MissingSources(trainParam).Concat(tests.SelectMany(t => MissingSources(NetFilter.Filter(t.Net, t.State)))).Distinct().ToList();
        if (missing.Count > 0) return WithoutData(solverPath, param, trainParam, missing);

        using var solver = SolverFactory.Create(probe, new SolverOptions { SolverPath = solverPath, Log = log ?? CaffeLog.Null });
        var data = DataSample.Take(solver.Net);
        var findings = StaticChecks.Run(param, trainParam, solver.Net, data, solver.TestNets.FirstOrDefault());
        int classes = ClassCount(solver.Net);
        // Never past max_iter: there "poly" takes the root of a negative number.
        var trace = new ProbeTrace();
        findings.AddRange(TrainingProbe.Run(solver, Math.Min(iterations, param.MaxIter), classes, trace));
        Sort(findings);
        return new Report(solverPath, iterations, findings, trace, param, [], []);
    }

    /// <summary>The checks that read only the prototxts, when a data source is missing; the rest are listed as skipped.</summary>
    private static Report WithoutData(string solverPath, SolverParameter param, NetParameter trainParam, List<string> missing)
    {
        const string why = "needs the data";
        var findings = StaticChecks.RunWithoutData(param, trainParam);
        Sort(findings);
        SkippedCheck[] skipped =
        [
            new("input scale (INPUT_SCALE)", why), new("label range (LABEL_RANGE)", why), new("class order and balance (SORTED_LABELS, CLASS_IMBALANCE)", why),
            new("run length in epochs (LONG_TRAINING)", why), new("test coverage (TEST_COVERAGE)", why),
            new("pooling output sizes (in POOL_OVERLAP)", "the blob shapes follow from the data"),
            new("the probe run (loss, NaN, dead ReLUs, gradient and update scales)", why),
        ];
        return new Report(solverPath, 0, findings, new ProbeTrace(), param, skipped, missing);
    }

    /// <summary>Data, ImageData and HDF5Data sources that do not exist (relative paths from the working directory, as the layers read them).</summary>
    private static IEnumerable<string> MissingSources(NetParameter net) =>
        net.Layer.Select(l => l.Type switch
            {
                "Data" => l.DataParam?.Source,
                "ImageData" => l.ImageDataParam?.Source,
                "HDF5Data" => l.Hdf5DataParam?.Source,
                _ => null,
            })
            .Where(source => !string.IsNullOrEmpty(source) && !File.Exists(source) && !Directory.Exists(source))
            .Select(source => source!);

    private static void Sort(List<Finding> findings) =>
        findings.Sort((a, b) => b.Severity != a.Severity ? b.Severity.CompareTo(a.Severity) : a.Rank.CompareTo(b.Rank));

    private static int ClassCount(Net net)
    {
        int loss = net.Layers.ToList().FindIndex(l => l.Type == "SoftmaxWithLoss");
        return loss < 0 ? 0 : net.Bottoms[loss][0].Shape[1];
    }

    /// <summary>
    /// Writes OUT/train_val.prototxt and OUT/solver.prototxt with the fixes of the report's errors
    /// and warnings applied (input scaling, fillers, pooling stride, softmax, BatchNorm, labels, run length).
    /// </summary>
    public static (string Net, string Solver) Fix(Report report, string folder)
    {
        var solver = ProtoFiles.ReadSolverText(report.Solver);
        var (train, _) = SolverNets.Resolve(solver, report.Solver);
        var net = train.Net.Clone();
        var codes = report.AtLeast(Severity.Warning).Select(f => f.Code).ToHashSet();
        var applied = new List<string>();
        foreach (var layer in net.Layer)
        {
            if (codes.Contains("INPUT_SCALE") && layer.Type is "Data" or "ImageData" && !(layer.TransformParam?.HasScale ?? false))
            {
                layer.TransformParam ??= new TransformationParameter();
                layer.TransformParam.Scale = 0.00390625f;
                applied.Add($"{layer.Name}: transform_param {{ scale: 0.00390625 }} (pixels 0..255 become 0..1)");
            }
            if (codes.Contains("NO_WEIGHT_FILLER"))
            {
                if (layer.ConvolutionParam is { } c && (c.WeightFiller == null || c.WeightFiller.Type == "constant" && c.WeightFiller.Value == 0)) { c.WeightFiller = new FillerParameter { Type = "xavier" }; applied.Add($"{layer.Name}: xavier weight filler"); }
                if (layer.InnerProductParam is { } i && (i.WeightFiller == null || i.WeightFiller.Type == "constant" && i.WeightFiller.Value == 0)) { i.WeightFiller = new FillerParameter { Type = "xavier" }; applied.Add($"{layer.Name}: xavier weight filler"); }
            }
            if (codes.Contains("POOL_OVERLAP") && layer.PoolingParam is { GlobalPooling: false } p && (p.HasStrideH ? p.StrideH : p.Stride) < (p.HasKernelH ? p.KernelH : p.KernelSize))
            {
                uint kernel = p.HasKernelH ? p.KernelH : p.KernelSize;
                p.ClearStrideH(); p.ClearStrideW();
                p.Stride = kernel;
                p.RoundMode = PoolingParameter.Types.RoundMode.Floor;
                applied.Add($"{layer.Name}: stride {kernel} and round_mode FLOOR, as Keras's MaxPooling2D");
            }
            if (codes.Contains("BN_GLOBAL_STATS_TRAIN") && layer.BatchNormParam is { } bn) { bn.ClearUseGlobalStats(); applied.Add($"{layer.Name}: use_global_stats removed"); }
        }
        if (codes.Contains("SOFTMAX_BEFORE_LOSS"))
        {
            var softmax = net.Layer.Where(l => l.Type == "Softmax").ToDictionary(l => l.Top[0], l => l.Bottom[0]);
            foreach (var layer in net.Layer.Where(l => l.Type is "SoftmaxWithLoss" or "Accuracy"))
                if (softmax.TryGetValue(layer.Bottom[0], out var logits)) { layer.Bottom[0] = logits; applied.Add($"{layer.Name}: reads the logits {logits} instead of the softmax output"); }
        }
        if (report.Findings.FirstOrDefault(f => f.Code == "LONG_TRAINING") is { Fix: { } lengthFix })
        {
            int maxIter = int.Parse(lengthFix.Split(' ')[1]);
            solver.MaxIter = maxIter;
            applied.Add($"solver: max_iter {maxIter} (12 epochs)");
        }
        Directory.CreateDirectory(folder);
        string netPath = Path.Combine(folder, "train_val.prototxt"), solverPath = Path.Combine(folder, "solver.prototxt");
        solver.Net = Path.GetFullPath(netPath);
        solver.ClearTrainNet();
        solver.SnapshotPrefix = Path.Combine(Path.GetFullPath(folder), "fixed");
        string header = $"# Written by cortado diagnose from {report.Solver}. Changes:\n" + string.Concat(applied.Select(a => $"#   {a}\n"));
        IO.AtomicFile.WriteAllText(netPath, header + TextFormat.Print(net));
        IO.AtomicFile.WriteAllText(solverPath, header + TextFormat.Print(solver));
        return (netPath, solverPath);
    }
}
