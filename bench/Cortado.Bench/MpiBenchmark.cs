using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Cortado.Distributed;

namespace Cortado.Bench;

/// <summary>
/// Data-parallel training's costs on this machine (loopback): MPI_Allreduce of the seed net's
/// 216k parameters and of a ResNet-50-sized 25.6 M floats, and the seed net's training throughput
/// on 1 rank against 2 ranks (1 thread each, batch 64 per rank), then the ring-allreduce projection
/// to 4, 16 and 64 machines on 10, 25 and 100 Gbit/s networks from those measurements.
/// </summary>
internal static class MpiBenchmark
{
    private const int SeedParameters = 216_000, ResNetParameters = 25_600_000;
    // Per-message latency of a ring step, assumed for a datacentre network (not measurable here).
    private const double StepLatency = 10e-6;

    public static int Run(string[] args)
    {
        if (args.Length > 0 && args[0] == "ranks") return TimeAllreduce();
        Console.WriteLine($"# bench/run.sh mpi on {MachineInfo.Describe()}, Open MPI loopback");
        string self = typeof(MpiBenchmark).Assembly.Location;
        var (_, allreduce) = Launch("mpirun", ["-np", "2", "--allow-run-as-root", "--oversubscribe", "dotnet", self, "mpi", "ranks"]);
        Console.Write(allreduce);

        string root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../.."));
        string cli = Path.Combine(root, "src/Cortado.Cli/bin/Release/net10.0/Cortado.Cli.dll");
        if (!File.Exists(cli)) throw new FileNotFoundException($"build the cortado tool first ({root}/cortado --help)", cli);
        var (train, _) = SeedNet.Databases();
        string dir = Directory.CreateTempSubdirectory("cortado-bench-mpi-").FullName;
        string solver = Path.Combine(dir, "solver.prototxt");
        File.WriteAllText(solver, SeedNet.Solver(SeedNet.Data(train, 64, "TRAIN") + SeedNet.Layers(2) + SeedNet.Loss, "fixed", 120, "display: 40 snapshot_after_train: false"));
        double one = ImagesPerSecond(Launch("dotnet", [cli, "train", "--solver", solver, "--threads", "1"]).Output, 64);
        double two = ImagesPerSecond(Launch("mpirun", ["-np", "2", "--allow-run-as-root", "--oversubscribe", "dotnet", cli, "train", "--solver", solver, "--threads", "1"]).Output, 128);
        Console.WriteLine();
        Console.WriteLine("| seed net, stride 2, batch 64 per rank, 1 thread per rank | images/s |");
        Console.WriteLine("| --- | --- |");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| 1 rank | {one:F0} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| 2 ranks | {two:F0} ({two / one:F2}x) |"));

        double computeSeconds = 64 / one;
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Projection: ring allreduce 2(N-1)/N x bytes / bandwidth + 2(N-1) x {StepLatency * 1e6:F0} us, against the measured {computeSeconds * 1e3:F1} ms per seed-net iteration (batch 64, 1 thread) and an assumed 100 ms per ResNet-50 iteration; efficiency = compute / (compute + communication), no overlap counted."));
        Console.WriteLine("| model | network | 4 machines | 16 | 64 |");
        Console.WriteLine("| --- | --- | --- | --- | --- |");
        foreach (var (model, floats, compute) in new[] { ("seed net (216k)", SeedParameters, computeSeconds), ("ResNet-50 (25.6 M)", ResNetParameters, 0.1) })
            foreach (double gbit in new[] { 10.0, 25.0, 100.0 })
            {
                var cells = new[] { 4, 16, 64 }.Select(n =>
                {
                    double seconds = 2.0 * (n - 1) / n * floats * 4 / (gbit * 1e9 / 8) + 2 * (n - 1) * StepLatency;
                    return string.Create(CultureInfo.InvariantCulture, $"{100 * compute / (compute + seconds):F0}% ({seconds * 1e3:F2} ms)");
                });
                Console.WriteLine($"| {model} | {gbit} Gbit/s | {string.Join(" | ", cells)} |");
            }
        return 0;
    }

    /// <summary>Under mpirun: the median time of an allreduce of each size, printed by rank 0.</summary>
    private static int TimeAllreduce()
    {
        using var world = new MpiCommunicator();
        foreach (var (name, floats, repeats) in new[] { ("seed net, 216k floats", SeedParameters, 50), ("ResNet-50 size, 25.6 M floats", ResNetParameters, 7) })
        {
            var buffer = GC.AllocateArray<float>(floats, pinned: true);
            var times = new List<double>();
            for (int i = 0; i < repeats + 2; i++)
            {
                var watch = Stopwatch.StartNew();
                world.StartSum(buffer).Wait();
                if (i >= 2) times.Add(watch.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            if (world.Rank == 0)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"allreduce, 2 ranks, {name}: {times[times.Count / 2]:F2} ms median of {repeats} ({floats * 4 / (times[times.Count / 2] / 1e3) / 1e9:F2} GB/s of buffer)"));
        }
        return 0;
    }

    private static double ImagesPerSecond(string log, int imagesPerIteration)
    {
        var rates = Regex.Matches(log, @"\] Iteration \d+ \(([\d.e+-]+) iter/s").Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
        if (rates.Count < 2) throw new InvalidOperationException($"no training rate in the log:\n{log}");
        return rates[^1] * imagesPerIteration;
    }

    private static (int Code, string Output) Launch(string file, string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}):\n{output}{error.Result}");
        return (process.ExitCode, output + error.Result);
    }
}
