using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Cortado.Compute;
using Cortado.Layers;
using Cortado.Nets;
using Cortado.Proto;
using Cortado.Solvers;

namespace Cortado.Bench;

/// <summary>
/// Cortado against PyTorch (CPU) and OpenCV DNN on the seed net, 28x28 Fashion-MNIST (and CIFAR-10 quick
/// for a wider net, on random inputs), one table:
/// training throughput (batch 128, both pooling variants, 1 and 2 threads, Cortado fed from an
/// LMDB through the Data layer), FLOP/s against the machine's GEMM peak, inference latency and
/// throughput of the trained net, time to 88% test accuracy, and the peak resident memory of
/// `cortado train`. Systems alternate within each row, several rounds, best of each, so drift in
/// the machine hits both.
/// </summary>
internal static class PerfBenchmark
{
    private const int Batch = 128;
    private static readonly List<string> Report = [];

    public static int Run(string[] args)
    {
        int rounds = ArgValue(args, "--rounds", 3);
        // --only training|reach|inference|memory runs one section (reach also feeds inference).
        string only = ArgValue(args, "--only", "all");
        bool Section(string name) => only == "all" || only == name || (name == "reach" && only == "inference");
        double seconds = ArgValue(args, "--seconds", 3.0);
        // --no-peers measures Cortado alone (quick checks while working on it).
        bool peers = !args.Contains("--no-peers");
        bool torch = peers && Peers.Has("torch"), opencv = peers && Peers.Has("cv2");
        var (trainDb, testDb) = SeedNet.Databases();
        string work = Directory.CreateTempSubdirectory("cortado-perf-").FullName;

        string peerNames = !peers ? "not run (--no-peers)"
            : $"{(torch ? "PyTorch " + Peers.Run("seed_torch.py", "infer", 2, 1, 1, 0.1).GetProperty("torch").GetString() : "PyTorch missing")}, {(opencv ? "OpenCV DNN" : "OpenCV missing")}";
        Line($"CPU: {MachineInfo.Describe()}; Cortado's GEMM kernel: {GemmKernel.Best.Name}");
        Line($"peers: {peerNames}");
        if (torch) Line($"PyTorch's BLAS: {TorchBlas()}");
        var peak = new[] { 0.0, GemmPeak(1), GemmPeak(2) };
        Line($"machine peak (Cortado GEMM, 2048^3): {peak[1]:F0} GFLOP/s on 1 thread, {peak[2]:F0} on 2");
        Line("");

        // Training throughput.
        if (Section("training")) TrainingRows(trainDb, rounds, seconds, torch, peak);

        // Time to accuracy; it also leaves the trained stride-2 net for the inference rows.
        string model = "";
        if (Section("reach")) model = ReachRows(trainDb, testDb, work, torch);
        if (Section("inference")) InferenceRows(model, work, rounds, seconds, torch, opencv);

        // Peak resident memory of the real command.
        if (Section("memory"))
            foreach (int stride in new[] { 1, 2 })
                Line($"peak resident memory of `cortado train`, stride {stride}, batch 128 with a test net: {PeakResidentMegabytes(trainDb, testDb, work, stride):F0} MB (target < 300 MB)");

        Directory.Delete(work, recursive: true);
        Console.WriteLine();
        Console.WriteLine("==== summary ====");
        foreach (var line in Report) Console.WriteLine(line);
        return 0;
    }

    /// <summary>The library torch's products ran on, with OpenBLAS's core name (the script refuses the reference BLAS).</summary>
    private static string TorchBlas()
    {
        var blas = Peers.Run("seed_torch.py", "blas");
        string files = string.Join(", ", blas.GetProperty("libraries").EnumerateArray().Select(f => f.GetString()));
        var core = blas.GetProperty("openblas_core");
        return core.ValueKind == JsonValueKind.String ? $"{files} (OpenBLAS, {core.GetString()} kernels)" : files;
    }

    private static void TrainingRows(string trainDb, int rounds, double seconds, bool torch, double[] peak)
    {
        Line($"training, batch {Batch}, SGD momentum 0.9        {"thr",3} {"Cortado",8} {"PyTorch",8} {"ratio",6} {"target",6} {"GFLOP/s",8} {"% peak",6}");
        var cortadoRates = new Dictionary<(int, int), double>();
        foreach (int stride in new[] { 1, 2 })
        {
            double flops = TrainingFlopsPerImage(stride);
            foreach (int threads in new[] { 1, 2 })
            {
                double ours = 0, theirs = 0;
                for (int round = 0; round < rounds; round++)
                {
                    ours = Math.Max(ours, CortadoTraining(trainDb, stride, threads, seconds));
                    if (torch) theirs = Math.Max(theirs, Peers.Run("seed_torch.py", "train", stride, threads, seconds).GetProperty("images_per_s").GetDouble());
                }
                cortadoRates[(stride, threads)] = ours;
                const double target = 1.5; // the AVX2 issue's target, on 1 and on 2 threads
                double gflops = ours * flops / 1e9;
                Line($"  pooling stride {stride}{(stride == 1 ? " (as written)" : " (as Keras)  ")}, images/s    {threads,3} {ours,8:F0} {Peer(theirs),8} {Ratio(ours, theirs),6} {target,5:F1}x {gflops,8:F1} {100 * gflops / peak[threads],5:F0}%");
            }
        }
        // The wider net: CIFAR-10 quick, 32x32x3 at batch 100, on fixed random inputs on both sides.
        double cifarFlops = FlopsPerImage(Cifar10Quick.Input(1, labels: false) + Cifar10Quick.Layers);
        foreach (int threads in new[] { 1, 2 })
        {
            double ours = 0, theirs = 0;
            for (int round = 0; round < rounds; round++)
            {
                ours = Math.Max(ours, CifarTraining(threads, seconds));
                if (torch) theirs = Math.Max(theirs, Peers.Run("cifar_torch.py", "train", threads, seconds).GetProperty("images_per_s").GetDouble());
            }
            cortadoRates[(32, threads)] = ours;
            double gflops = ours * cifarFlops / 1e9;
            Line($"  CIFAR-10 quick, batch 100, images/s       {threads,3} {ours,8:F0} {Peer(theirs),8} {Ratio(ours, theirs),6} {1.5,5:F1}x {gflops,8:F1} {100 * gflops / peak[threads],5:F0}%");
        }
        foreach (int stride in new[] { 1, 2 })
            Line($"  2-thread scaling, stride {stride}: {cortadoRates[(stride, 2)] / cortadoRates[(stride, 1)]:F2}x (target >= 1.8x)");
        Line($"  2-thread scaling, CIFAR-10 quick: {cortadoRates[(32, 2)] / cortadoRates[(32, 1)]:F2}x (target >= 1.8x)");
        Line($"  FLOPs per training image: {TrainingFlopsPerImage(1) / 1e6:F1} M (stride 1), {TrainingFlopsPerImage(2) / 1e6:F1} M (stride 2), {cifarFlops / 1e6:F1} M (CIFAR-10 quick); % peak against the same thread count");
        Line("");
    }

    private static string ReachRows(string trainDb, string testDb, string work, bool torch)
    {
        var (reachSeconds, reachIter, reachAccuracy, model) = CortadoReach(trainDb, testDb, work, threads: 2);
        JsonElement? torchReach = torch ? Peers.Run("seed_torch.py", "reach", 2, 2, 0.88, 4690, 100) : null;
        Line($"time to 88% test accuracy, stride 2, 2 threads (SGD 0.01, momentum 0.9, decay 5e-4, poly 0.5 over 10 epochs; tested every 100 iterations, test time excluded)");
        Line($"  Cortado: {Seconds(reachSeconds)} (iteration {reachIter}, {reachAccuracy:P1})");
        if (torchReach is { } r)
            Line($"  PyTorch: {Seconds(r.GetProperty("seconds").ValueKind == JsonValueKind.Null ? null : r.GetProperty("seconds").GetDouble())} (iteration {r.GetProperty("iterations").GetInt32()}, {r.GetProperty("accuracy").GetDouble():P1})");
        Line("");
        return model;
    }

    private static void InferenceRows(string model, string work, int rounds, double seconds, bool torch, bool opencv)
    {
        string deploy = Path.Combine(work, "deploy.prototxt");
        File.WriteAllText(deploy, "name: \"seed\"\n" + SeedNet.Input(1) + SeedNet.Layers(2) + SeedNet.Probabilities);
        Line($"inference, trained stride-2 net            {"thr",3} {"Cortado",8} {"OpenCV",8} {"PyTorch",8} {"vs OpenCV",9}");
        foreach (int threads in new[] { 1, 2 })
        {
            foreach (int batch in new[] { 1, 64 })
            {
                double ours = double.MaxValue, cv = double.MaxValue, pt = double.MaxValue;
                for (int round = 0; round < rounds; round++)
                {
                    ours = Math.Min(ours, CortadoLatency(model, batch, threads, seconds / 2));
                    if (opencv) cv = Math.Min(cv, Peers.Run("seed_opencv.py", deploy, model, threads, batch, seconds / 2).GetProperty("latency_ms").GetDouble());
                    if (torch) pt = Math.Min(pt, Peers.Run("seed_torch.py", "infer", 2, threads, batch, seconds / 2).GetProperty("latency_ms").GetDouble());
                }
                if (batch == 1)
                    Line($"  latency at batch 1, ms (lower is better) {threads,3} {ours,8:F3} {Peer(cv, "F3"),8} {Peer(pt, "F3"),8} {Ratio(cv, ours),9}");
                else
                    Line($"  images/s at batch 64                     {threads,3} {batch * 1e3 / ours,8:F0} {Peer(batch * 1e3 / cv),8} {Peer(batch * 1e3 / pt),8} {Ratio(batch * 1e3 / ours, batch * 1e3 / cv),9}");
            }
        }
        Line("");
    }

    private static void Line(string text)
    {
        Report.Add(text);
        Console.WriteLine(text);
    }

    private static string Peer(double value, string format = "F0") =>
        value is 0 or double.MaxValue or double.PositiveInfinity || double.IsNaN(value) ? "-" : value.ToString(format, CultureInfo.InvariantCulture);

    private static string Ratio(double ours, double theirs) =>
        theirs is 0 or double.MaxValue || ours == 0 || double.IsInfinity(theirs) || double.IsNaN(theirs) ? "-" : $"{ours / theirs:F2}x";

    private static string Seconds(double? seconds) => seconds is { } s ? $"{s:F1} s of training" : "not reached";

    private static T ArgValue<T>(string[] args, string name, T fallback) where T : IParsable<T>
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? T.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    // Best of many: on a shared machine a slow moment would understate the peak (and flatter the % column).
    private static double GemmPeak(int threads) =>
        GemmBenchmark.Measure(new GemmBenchmark.Shape("square 2048^3", false, false, 2048, 2048, 2048), threads, withOpenBlas: false, rounds: 12).Cortado;

    private static Solver TrainingSolver(string db, int stride, string policy = "fixed", int maxIter = 1_000_000, string extra = "", string test = "") =>
        SolverFactory.Create(TextFormat.Parse<SolverParameter>(
            SeedNet.Solver(SeedNet.Data(db, Batch, "TRAIN") + test + SeedNet.Layers(stride) + SeedNet.Loss, policy, maxIter, extra)));

    private static double CortadoTraining(string db, int stride, int threads, double seconds)
    {
        ComputeSettings.Threads = threads;
        using var solver = TrainingSolver(db, stride);
        return StepsPerSecond(solver, seconds) * Batch;
    }

    /// <summary>Training steps per second over <paramref name="seconds"/>, after a second of warm-up (the JIT's second tier and the data prefetch settle first).</summary>
    private static double StepsPerSecond(Solver solver, double seconds)
    {
        for (var warm = Stopwatch.StartNew(); warm.Elapsed.TotalSeconds < 1;) solver.Step(1);
        var watch = Stopwatch.StartNew();
        int steps = 0;
        while (watch.Elapsed.TotalSeconds < seconds) { solver.Step(1); steps++; }
        return steps / watch.Elapsed.TotalSeconds;
    }

    /// <summary>CIFAR-10 quick's training images/s on fixed random pixels and labels (an Input layer, so no data layer's cost).</summary>
    private static double CifarTraining(int threads, double seconds)
    {
        ComputeSettings.Threads = threads;
        using var solver = SolverFactory.Create(TextFormat.Parse<SolverParameter>(Cifar10Quick.Solver));
        var random = new Random(1);
        var data = solver.Net.Blob("data").Data;
        for (int i = 0; i < data.Length; i++) data[i] = (float)(random.NextDouble() * 2 - 1);
        var labels = solver.Net.Blob("label").Data;
        for (int i = 0; i < labels.Length; i++) labels[i] = random.Next(10);
        return StepsPerSecond(solver, seconds) * Cifar10Quick.Batch;
    }

    private static double TrainingFlopsPerImage(int stride) => FlopsPerImage(SeedNet.Input(1) + SeedNet.Layers(stride));

    /// <summary>Multiply-adds times two of the convolutions and inner products, forward, weight and data gradients.</summary>
    private static double FlopsPerImage(string prototxt)
    {
        using var net = new Net(TextFormat.Parse<NetParameter>(prototxt), Phase.Train);
        double flops = 0;
        for (int i = 0; i < net.Layers.Count; i++)
        {
            var layer = net.Layers[i];
            double macs = layer switch
            {
                ConvolutionLayer => (double)net.Tops[i][0].CountFrom(1) * layer.Blobs[0].CountFrom(1),
                InnerProductLayer => layer.Blobs[0].Count,
                _ => 0,
            };
            bool dataGradient = i > 0 && net.Layers[i - 1] is not InputLayer;
            flops += 2 * macs * (dataGradient ? 3 : 2);
        }
        return flops;
    }

    private static (double? Seconds, int Iter, double Accuracy, string Model) CortadoReach(string trainDb, string testDb, string work, int threads)
    {
        ComputeSettings.Threads = threads;
        const int maxIter = 4690, interval = 100;
        using var solver = TrainingSolver(trainDb, 2, "poly", maxIter, "weight_decay: 0.0005\ntest_iter: 100\n", SeedNet.Data(testDb, 100, "TEST"));
        double training = 0, accuracy = 0;
        double? reached = null;
        while (solver.Iter < maxIter && reached is null)
        {
            var watch = Stopwatch.StartNew();
            solver.Step(interval);
            training += watch.Elapsed.TotalSeconds;
            accuracy = solver.Test(0).First(o => o.Name == "accuracy").Value;
            if (accuracy >= 0.88) reached = training;
        }
        string model = Path.Combine(work, "seed_stride2.caffemodel");
        ProtoFiles.WriteBinary(model, solver.Net.ToProto());
        return (reached, solver.Iter, accuracy, model);
    }

    /// <summary>Median milliseconds of one forward pass of the deploy net at the given batch.</summary>
    private static double CortadoLatency(string model, int batch, int threads, double seconds)
    {
        ComputeSettings.Threads = threads;
        using var net = new Net(TextFormat.Parse<NetParameter>(SeedNet.Input(batch) + SeedNet.Layers(2) + SeedNet.Probabilities), Phase.Test);
        net.CopyTrainedLayersFrom(ProtoFiles.ReadWeights(model));
        var input = net.Blob("data").Data;
        var random = new Random(1);
        for (int i = 0; i < input.Length; i++) input[i] = (float)random.NextDouble();
        var times = new List<double>();
        for (int i = 0; i < 200; i++) net.Forward();
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < seconds)
        {
            long start = Stopwatch.GetTimestamp();
            net.Forward();
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }

    /// <summary>Runs `cortado train` for 300 iterations and samples its VmHWM (the kernel's peak resident set).</summary>
    private static double PeakResidentMegabytes(string trainDb, string testDb, string work, int stride)
    {
        string net = Path.Combine(work, $"train_val_s{stride}.prototxt");
        File.WriteAllText(net, SeedNet.Data(trainDb, Batch, "TRAIN") + SeedNet.Data(testDb, 100, "TEST") + SeedNet.Layers(stride) + SeedNet.Loss);
        string solver = Path.Combine(work, $"solver_s{stride}.prototxt");
        File.WriteAllText(solver, $"net: \"{net}\"\ntest_iter: 100\ntest_interval: 100\nbase_lr: 0.01\nmomentum: 0.9\nlr_policy: \"poly\"\npower: 0.5\nmax_iter: 300\nweight_decay: 0.0005\nsnapshot_prefix: \"{work}/rss_s{stride}\"\n");
        var start = new ProcessStartInfo(Path.Combine(Repo.Root, "cortado"), ["train", "--solver", solver]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        process.ErrorDataReceived += (_, _) => { };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        double peakKb = 0;
        while (!process.HasExited)
        {
            try
            {
                foreach (var line in File.ReadLines($"/proc/{process.Id}/status"))
                    if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                        peakKb = Math.Max(peakKb, double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture));
            }
            catch (IOException) { }
            Thread.Sleep(50);
        }
        if (process.ExitCode != 0) throw new InvalidOperationException($"cortado train failed ({process.ExitCode}) on {solver}");
        return peakKb / 1024;
    }
}
