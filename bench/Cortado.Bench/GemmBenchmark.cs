using System.Diagnostics;
using Cortado.Compute;

namespace Cortado.Bench;

/// <summary>
/// sgemm GFLOP/s of Cortado against OpenBLAS on the shapes the seed net meets (on the 24x15 numbers
/// unless named otherwise), on 1 and 2
/// threads, interleaved (Cortado, OpenBLAS, Cortado, ...) so machine drift hits both.
/// </summary>
internal static class GemmBenchmark
{
    internal sealed record Shape(string Name, bool TA, bool TB, int M, int N, int K);

    private static readonly Shape[] Shapes =
    [
        new("square 2048^3 (NN)", false, false, 2048, 2048, 2048),
        new("conv2 forward W*col (NN)", false, false, 32, 28160, 288),
        new("conv2 weight grad dY*col^T (NT)", false, true, 32, 288, 28160),
        new("conv2 data grad W^T*dY (TN)", true, false, 288, 28160, 32),
        new("conv2 per image, 28x28 (NN)", false, false, 32, 576, 288),
        new("conv2 wgrad per image (NT)", false, true, 32, 288, 576),
        new("conv2 dgrad per image (TN)", true, false, 288, 576, 32),
        new("fc1 forward X*W^T (NT)", false, true, 128, 128, 1600),
        new("fc1 weight grad dY^T*X (TN)", true, false, 128, 1600, 128),
        new("fc1 data grad dY*W (NN)", false, false, 128, 1600, 128),
        // The same layer on Fashion-MNIST's 28x28 at pooling stride 1 (32 x 23 x 23 inputs), the
        // products `bench/run.sh perf` trains with: long k, both operands streamed from memory.
        new("fc1 forward, 28x28 (NT)", false, true, 128, 128, 16928),
        new("fc1 wgrad, 28x28 (TN)", true, false, 128, 16928, 128),
        new("fc1 dgrad, 28x28 (NN)", false, false, 128, 16928, 128),
    ];

    public static int Run(string[] args)
    {
        // --only <text> measures the shapes whose name contains it (e.g. --only "conv2 forward").
        int only = Array.IndexOf(args, "--only");
        string filter = only >= 0 && only + 1 < args.Length ? args[only + 1] : "";
        // --rounds <n>: timed rounds per shape, alternating, each side's best kept. The default of 9 (5 before)
        // lets both sides meet a fast spell of a shared host: 2-thread ratios read 0.83-1.18 over runs with 5.
        int roundsAt = Array.IndexOf(args, "--rounds");
        int rounds = 9;
        if (roundsAt >= 0 && (roundsAt + 1 >= args.Length || !int.TryParse(args[roundsAt + 1], out rounds) || rounds < 1))
        {
            Console.Error.WriteLine($"gemm: --rounds needs a whole number of at least 1, got \"{(roundsAt + 1 < args.Length ? args[roundsAt + 1] : "")}\"");
            return 1;
        }
        var shapes = Shapes.Where(s => s.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)).ToArray();
        if (shapes.Length == 0)
        {
            Console.Error.WriteLine($"gemm: no shape's name contains \"{filter}\"; the shapes are: {string.Join(", ", Shapes.Select(s => s.Name))}");
            return 1;
        }
        bool openBlas = OpenBlas.IsAvailable();
        Console.WriteLine($"CPU: {MachineInfo.Describe()}");
        Console.WriteLine($"Cortado kernels: {string.Join(", ", GemmKernel.Available.Select(k => k.Name))}; OpenBLAS: {(openBlas ? OpenBlas.Core + " core" : "not installed (apt-get install libopenblas0-pthread)")}");
        Console.WriteLine($"OPENBLAS_CORETYPE={Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") ?? "(unset)"}");
        Console.WriteLine();
        var below = new List<string>();
        Console.WriteLine($"{"shape",-34} {"M",5} {"N",6} {"K",6} {"thr",3} {"Cortado",9} {"OpenBLAS",9} {"ratio",6}  kernel");
        foreach (int threads in new[] { 1, 2 })
        {
            foreach (var shape in shapes)
            {
                var (cortado, reference) = Measure(shape, threads, openBlas, rounds);
                string refText = openBlas ? $"{reference,9:F1}" : $"{"-",9}";
                string ratio = openBlas ? $"{cortado / reference,6:F2}" : $"{"-",6}";
                if (openBlas && cortado < reference) below.Add($"{shape.Name} on {threads} thread{(threads == 1 ? "" : "s")} ({cortado / reference:F2}x)");
                Console.WriteLine($"{shape.Name,-34} {shape.M,5} {shape.N,6} {shape.K,6} {threads,3} {cortado,9:F1} {refText} {ratio}  {GemmKernel.For(shape.M, shape.N).Name}");
            }
        }
        Console.WriteLine();
        Console.WriteLine("GFLOP/s = 2*M*N*K / best time of several runs; ratio = Cortado / OpenBLAS (target >= 1.00 on every shape).");
        if (openBlas)
            Console.WriteLine(below.Count == 0 ? $"target met: all {2 * shapes.Length} rows at 1.00x or above"
                : $"target not met on {below.Count} of {2 * shapes.Length} rows: {string.Join("; ", below)}");
        return 0;
    }

    internal static (double Cortado, double OpenBlas) Measure(Shape s, int threads, bool withOpenBlas, int rounds = 5)
    {
        var random = new Random(1);
        var a = Enumerable.Range(0, s.M * s.K).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var b = Enumerable.Range(0, s.K * s.N).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var c = new float[s.M * s.N];
        ComputeSettings.Threads = threads;
        if (withOpenBlas) OpenBlas.SetThreads(threads);
        var ta = s.TA ? Transpose.Yes : Transpose.No;
        var tb = s.TB ? Transpose.Yes : Transpose.No;
        Action ours = () => Gemm.Compute(ta, tb, s.M, s.N, s.K, 1f, a, b, 0f, c);
        Action theirs = () => OpenBlas.Gemm(s.TA, s.TB, s.M, s.N, s.K, a, b, c);
        double flops = 2.0 * s.M * s.N * s.K;
        double bestOurs = double.MaxValue, bestTheirs = double.MaxValue;
        ours(); if (withOpenBlas) theirs();
        // Each shape allocates its operands anew (48 MB for 2048^3): a background collection of the
        // ones before would otherwise run on the second core while two threads are timed.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        for (int round = 0; round < rounds; round++)
        {
            bestOurs = Math.Min(bestOurs, Time(ours, flops));
            if (withOpenBlas) bestTheirs = Math.Min(bestTheirs, Time(theirs, flops));
        }
        return (flops / bestOurs / 1e9, withOpenBlas ? flops / bestTheirs / 1e9 : double.NaN);
    }

    // Seconds per call, over enough calls to fill about 0.15 s.
    private static double Time(Action action, double flops)
    {
        int reps = Math.Max(1, (int)(0.15 / (flops / 100e9)));
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < reps; i++) action();
        return watch.Elapsed.TotalSeconds / reps;
    }
}
