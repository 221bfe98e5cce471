using System.Globalization;
using Cortado.Data;
using Cortado.Diagnostics;
using Cortado.Logging;
using Cortado.Monitoring;
using Cortado.Proto;
using Cortado.Solvers;

namespace Cortado.Cli.Verbs;

/// <summary>
/// The README's first command: the seed case from start to end. It makes the 24 x 15 numbers
/// data, trains the Caffe port as its author wrote it (the loss sticks at ln 11 or turns NaN),
/// runs diagnose on it, writes the corrected configuration, trains that (it learns), and draws
/// both runs' curves. Everything goes to out/demo; nothing is downloaded.
/// </summary>
public sealed class DemoVerb : IVerb
{
    public string Name => "demo";
    public string Summary => "the seed case end to end: a Caffe port that does not learn, why, and the fix learning";
    public string Usage => "[--out DIR] [--quick] [--dashboard [PORT]]";
    public IReadOnlyList<Flag> Flags =>
    [
        new("out", "where to write data, logs and curves (default out/demo)"),
        new("quick", "a smaller, faster run (for tests)", TakesValue: false),
        DashboardSession.PortFlag,
        DashboardSession.HostFlag,
    ];

    public int Run(VerbArguments arguments, VerbConsole console)
    {
        arguments.ExpectPositional(0);
        var o = console.Out;
        bool quick = arguments.Has("quick");
        string folder = Path.GetFullPath(arguments.Get("out") ?? Path.Combine("out", "demo"));
        Directory.CreateDirectory(folder);
        int perClass = quick ? 150 : 1500, seedIterations = quick ? 100 : 300, probe = quick ? 60 : 100;
        // With --dashboard both runs are watched live, and diagnose's findings join the seed run's card.
        using var dashboard = DashboardSession.StartIfAsked(arguments, console, Name);

        o.WriteLine("Cortado demo: a Keras CNN that learned, ported to Caffe, sits at a loss of 2.1-2.6. Why?");
        o.WriteLine();
        o.WriteLine($"1. The data: 24 x 15 grayscale numbers, 11 classes (digits and 'no number'), made up from a seed -> {folder}");
        var (train, validation) = NumbersDataset.Write(folder, perClass, perClass / 5, overwrite: true);
        var summary = DatasetSummary.Read(train);
        o.WriteLine($"   {summary.Count} training and {perClass / 5 * 11} validation images, pixels {summary.PixelMin:0}..{summary.PixelMax:0} (raw bytes, as the author's LMDB held them)");

        string seedSolver = WriteSeedCase(folder, train, validation, perClass);
        o.WriteLine();
        o.WriteLine("2. The Caffe port as written (examples/fneishnet_numbers): no input scaling, pooling stride 1, SGD 0.01, momentum 0.9, poly power 0.5");
        var seedRun = Train(seedSolver, seedIterations, Path.Combine(folder, "seed.log"), o, dashboard, "seed (as written)");
        o.WriteLine(seedRun.Diverged != null
            ? $"   -> the loss turned non-finite at iteration {seedRun.Diverged}: the net blew up"
            : string.Create(CultureInfo.InvariantCulture, $"   -> after {seedIterations} iterations the loss is {seedRun.LastLoss:F4}; ln(11) = {Math.Log(11):F4}, the loss of a net that gives every class the same probability; validation accuracy {seedRun.Accuracy * 100:F1}% (chance: 9.1%)"));

        o.WriteLine();
        o.WriteLine($"3. cortado diagnose --solver {seedSolver}");
        var report = Diagnosis.Run(seedSolver, probe);
        foreach (var finding in report.AtLeast(Severity.Warning).DistinctBy(f => f.Code))
            seedRun.History?.Raise(finding with { Title = $"diagnose: {finding.Title}" }, seedIterations);
        foreach (var finding in report.AtLeast(Severity.Warning).DistinctBy(f => f.Code))
        {
            o.WriteLine($"   [{(finding.Severity == Severity.Error ? "ERROR" : "WARN ")}] {finding.Title}");
            o.WriteLine($"           {finding.Evidence}");
            if (finding.Fix != null) o.WriteLine($"           fix: {finding.Fix}");
        }
        var (fixedNet, fixedSolver) = Diagnosis.Fix(report, Path.Combine(folder, "fixed"));
        o.WriteLine($"   The corrected configuration: {fixedSolver}");

        o.WriteLine();
        o.WriteLine("4. The corrected configuration, trained");
        var solverParam = ProtoFiles.ReadSolverText(fixedSolver);
        var fixedRun = Train(fixedSolver, solverParam.MaxIter, Path.Combine(folder, "fixed.log"), o, dashboard, "corrected by diagnose");
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   -> after {solverParam.MaxIter} iterations (12 epochs) the loss is {fixedRun.LastLoss:F4} and validation accuracy {fixedRun.Accuracy * 100:F1}%"));

        o.WriteLine();
        foreach (var run in new[] { "seed", "fixed" })
            CommandLine.Run(["plot", Path.Combine(folder, $"{run}.log"), "-o", Path.Combine(folder, $"{run}_curves.png")], TextWriter.Null, console.Error);
        o.WriteLine($"Logs (Caffe's format): {Path.Combine(folder, "seed.log")}, {Path.Combine(folder, "fixed.log")}");
        o.WriteLine($"Curves: {Path.Combine(folder, "seed_curves.png")}, {Path.Combine(folder, "fixed_curves.png")}");
        o.WriteLine("In short: the pixels were never scaled to 0..1 (the Keras model divided them by 255); Caffe's xavier weights then meet inputs 100 times too large. The pooling stride (1 vs Keras's 2) changes the model's size, and poly with power 0.5 keeps the rate near 0.01: neither stops learning.");
        dashboard?.HoldForPerson();
        return fixedRun.Accuracy > seedRun.Accuracy ? 0 : 1;
    }

    /// <summary>The seed's net and solver as written, with the data sources pointing at the made-up LMDBs.</summary>
    private static string WriteSeedCase(string folder, string train, string validation, int perClass)
    {
        string net = EmbeddedExamples.Read("train_val.prototxt")
            .Replace("examples/fneishnet_numbers/fneishnet_numbers_train_lmdb", train)
            .Replace("examples/fneishnet_numbers/fneishnet_numbers_val_lmdb", validation);
        File.WriteAllText(Path.Combine(folder, "train_val.prototxt"), net);
        // As written but for the file paths, the display interval, and a test pass that covers the validation set.
        int testIter = (perClass / 5 * 11 + 63) / 64;
        string solver = EmbeddedExamples.Read("solver.prototxt")
            .Replace("examples/fneishnet_numbers/train_val.prototxt", Path.Combine(folder, "train_val.prototxt"))
            .Replace("test_iter: 1000", $"test_iter: {testIter}")
            .Replace("test_interval: 4000", "test_interval: 100")
            .Replace("display: 40", "display: 50")
            .Replace("snapshot_prefix: \"examples/fneishnet_numbers/fneishnet_numbers\"", $"snapshot_prefix: \"{Path.Combine(folder, "seed")}\"")
            + "random_seed: 2\n";
        string path = Path.Combine(folder, "solver.prototxt");
        File.WriteAllText(path, solver);
        return path;
    }

    private sealed record RunResult(float LastLoss, float Accuracy, int? Diverged, RunHistory? History);

    /// <summary>
    /// Trains for some iterations, logging Caffe's lines to a file and the display lines to the
    /// console, watched on the dashboard when there is one; then tests once.
    /// </summary>
    private static RunResult Train(string solverPath, int iterations, string logPath, TextWriter output, DashboardSession? dashboard, string name)
    {
        using var file = new StreamWriter(logPath);
        using var tee = new LineTee(file, output);
        var param = ProtoFiles.ReadSolverText(solverPath);
        param.Snapshot = 0;
        param.SnapshotAfterTrain = false;
        using var solver = SolverFactory.Create(param, new SolverOptions { SolverPath = solverPath, Log = new CaffeLog(tee) });
        float lastLoss = float.NaN;
        solver.IterationDone += (_, _, smoothed, _) => lastLoss = smoothed;
        int? diverged = null;
        RunHistory? history = null;
        TrainingMonitor? monitor = null;
        if (dashboard != null)
        {
            history = TrainingMonitor.NewRun(solver, name);
            monitor = new TrainingMonitor(solver, history);
            dashboard.Catalog.Add(history);
        }
        using (monitor)
        {
            void Step() => solver.Step(iterations);
            try { if (monitor != null) monitor.Run(Step); else Step(); }
            catch (TrainingDivergedException e) { diverged = e.Iteration; }
            float accuracy = 0;
            if (diverged == null && solver.TestNets.Count > 0)
                accuracy = solver.Test(0).FirstOrDefault(r => r.Name == "accuracy").Value;
            return new RunResult(lastLoss, accuracy, diverged, history);
        }
    }

    /// <summary>Every log line to the file; only the training and test result lines to the console, indented.</summary>
    private sealed class LineTee(TextWriter file, TextWriter console) : TextWriter
    {
        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;
        public override void WriteLine(string? value)
        {
            file.WriteLine(value);
            if (value == null) return;
            int mark = value.IndexOf("] ", StringComparison.Ordinal);
            string message = mark >= 0 ? value[(mark + 2)..] : value;
            if (message.Contains(" iter/s, ") || message.StartsWith("    Test net output") || message.Contains(", Testing net"))
                console.WriteLine("   " + message.TrimStart());
        }
        public override void Write(char value) => file.Write(value);
    }
}
