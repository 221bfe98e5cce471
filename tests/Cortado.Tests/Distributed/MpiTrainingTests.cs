using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Cortado.Logging;
using Cortado.Proto;
using Cortado.Solvers;
using Cortado.Tests.Data;

namespace Cortado.Tests.Distributed;

/// <summary>
/// Data-parallel training under Open MPI's mpirun (Debian's openmpi-bin, installed by .ci/run), on
/// localhost, one thread per rank: 2 ranks of batch 64 against one process of batch 128 (dropout in
/// the net), a snapshot of one rank count resumed on another, the weight check, a killed rank,
/// and the single process that never loads MPI.
/// </summary>
public class MpiTrainingTests
{
    private static string Net(int batch) => $$"""
        name: "mlp"
        layer { name: "data" type: "Data" top: "data" top: "label" data_param { source: "fm_lmdb" batch_size: {{batch}} backend: LMDB } transform_param { scale: 0.00390625 } }
        layer { name: "fc1" type: "InnerProduct" bottom: "data" top: "fc1" inner_product_param { num_output: 32 weight_filler { type: "xavier" } } }
        layer { name: "relu" type: "ReLU" bottom: "fc1" top: "fc1" }
        layer { name: "drop" type: "Dropout" bottom: "fc1" top: "fc1" dropout_param { dropout_ratio: 0.3 } }
        layer { name: "fc2" type: "InnerProduct" bottom: "fc1" top: "fc2" inner_product_param { num_output: 10 weight_filler { type: "xavier" } } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc2" bottom: "label" top: "loss" }
        """;

    /// <summary>A folder with the Fashion-MNIST test set as an LMDB and solvers for batch 64 and 128.</summary>
    private static TempDir Workspace(int maxIter, int snapshot = 0)
    {
        var dir = new TempDir();
        Cortado.Data.IdxConverter.Convert(FashionMnist.TestImages, FashionMnist.TestLabels, dir.File("fm_lmdb"));
        foreach (int batch in new[] { 64, 128 })
        {
            File.WriteAllText(dir.File($"net{batch}.prototxt"), Net(batch));
            File.WriteAllText(dir.File($"solver{batch}.prototxt"), $"net: \"net{batch}.prototxt\" base_lr: 0.05 momentum: 0.9 weight_decay: 0.0005 lr_policy: \"fixed\" " +
                $"display: 1 max_iter: {maxIter} random_seed: 11 snapshot: {snapshot} snapshot_prefix: \"snap{batch}\" snapshot_after_train: false");
        }
        return dir;
    }

    private static string CliDll => Path.Combine(AppContext.BaseDirectory, "Cortado.Cli.dll");

    private static ProcessStartInfo Mpirun(string dir, int ranks, params string[] args)
    {
        string mpirun = File.Exists("/usr/bin/mpirun") ? "/usr/bin/mpirun" : "mpirun";
        Assert.True(File.Exists(mpirun) || File.Exists("/usr/local/bin/mpirun"), "mpirun is missing: install Debian's openmpi-bin (apt-get install openmpi-bin, as .ci/run does)");
        var start = new ProcessStartInfo(mpirun) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["-np", $"{ranks}", "--allow-run-as-root", "--oversubscribe", "dotnet", CliDll, .. args]) start.ArgumentList.Add(a);
        return start;
    }

    private static (int Code, string Output) Run(ProcessStartInfo start, int timeoutSeconds = 180)
    {
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(timeoutSeconds * 1000)) { process.Kill(entireProcessTree: true); Assert.Fail($"{start.FileName} did not finish in {timeoutSeconds} s"); }
        return (process.ExitCode, output + error.Result);
    }

    private static (int Code, string Output) Single(string dir, params string[] args)
    {
        var (code, output, error) = Cli.CortadoProcess.Run(dir, args);
        return (code, output + error);
    }

    /// <summary>Caffe's display lines: iteration and loss.</summary>
    private static SortedDictionary<int, double> Losses(string log) =>
        new(Regex.Matches(log, @"\] Iteration (\d+) \([^)]*\), loss = ([\d.e+-]+)")
            .ToDictionary(m => int.Parse(m.Groups[1].Value), m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)));

    private static void SameLosses(SortedDictionary<int, double> expected, SortedDictionary<int, double> actual, IEnumerable<int> iterations)
    {
        foreach (int i in iterations)
        {
            Assert.True(expected.ContainsKey(i) && actual.ContainsKey(i), $"iteration {i} is missing from a log");
            // Printed at Caffe's 6 significant digits: 1e-5 relative, plus that rounding.
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * expected[i] + 5e-6 * expected[i], $"iteration {i}: one process {expected[i]}, two ranks {actual[i]}");
        }
    }

    [Fact]
    public void TwoRanksOfBatch64EqualOneProcessOfBatch128()
    {
        using var dir = Workspace(maxIter: 100);
        var (singleCode, singleLog) = Single(dir.Path, "train", "--solver", "solver128.prototxt", "--threads", "1");
        Assert.True(singleCode == 0, singleLog);
        var (code, log) = Run(Mpirun(dir.Path, 2, "train", "--solver", "solver64.prototxt", "--threads", "1", "--check_weights", "10"));
        Assert.True(code == 0, log);
        Assert.Contains("Data-parallel training on 2 ranks", log);
        var single = Losses(singleLog);
        var two = Losses(log);
        Assert.Equal(100, two.Count); // rank 1 is quiet: one display line per iteration, rank 0's
        SameLosses(single, two, Enumerable.Range(0, 100));
        Assert.True(single[99] < 0.6 * single[0], $"and it learns: {single[0]} -> {single[99]}");
    }

    [Fact]
    public void ASnapshotOfTwoRanksResumesInOneProcess()
    {
        using var dir = Workspace(maxIter: 60, snapshot: 30);
        var (code, log) = Run(Mpirun(dir.Path, 2, "train", "--solver", "solver64.prototxt", "--threads", "1", "--stop_at", "30"));
        Assert.True(code == 0, log);
        Assert.True(File.Exists(dir.File("snap64_iter_30.solverstate")), log);
        Assert.False(File.Exists(dir.File("snap128_iter_30.solverstate")));
        var (straightCode, straight) = Single(dir.Path, "train", "--solver", "solver128.prototxt", "--threads", "1");
        Assert.True(straightCode == 0, straight);
        var (resumedCode, resumed) = Single(dir.Path, "train", "--solver", "solver128.prototxt", "--threads", "1", "--snapshot", "snap64_iter_30.solverstate");
        Assert.True(resumedCode == 0, resumed);
        SameLosses(Losses(straight), Losses(resumed), Enumerable.Range(30, 30));
    }

    [Fact]
    public async Task AKilledRankEndsTheJobWithinSecondsAndLeavesTheLastSnapshotWhole()
    {
        using var dir = Workspace(maxIter: 100000, snapshot: 20);
        var start = Mpirun(dir.Path, 2, "train", "--solver", "solver64.prototxt", "--threads", "1");
        using var job = Process.Start(start)!;
        var output = job.StandardOutput.ReadToEndAsync();
        var error = job.StandardError.ReadToEndAsync();
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (!File.Exists(dir.File("snap64_iter_40.solverstate")) && DateTime.UtcNow < deadline) Thread.Sleep(100);
        Assert.True(File.Exists(dir.File("snap64_iter_40.solverstate")), "the job should have snapshotted twice");
        int victim = RankProcess(job.Id, rank: 1);
        var killed = Stopwatch.StartNew();
        Process.GetProcessById(victim).Kill();
        Assert.True(job.WaitForExit(15_000), "the surviving rank must not hang");
        killed.Stop();
        string text = await output + await error;
        Assert.NotEqual(0, job.ExitCode);
        Assert.Matches(new Regex(@"rank 1\b.*(signal 9|Killed)", RegexOptions.Singleline), text);
        // Every snapshot written is whole: the newest loads into a net.
        var newest = Directory.GetFiles(dir.Path, "snap64_iter_*.solverstate").OrderBy(f => int.Parse(Regex.Match(f, @"_iter_(\d+)").Groups[1].Value)).Last();
        var state = ProtoFiles.ReadSolverState(newest);
        var weights = ProtoFiles.ReadWeights(Path.Combine(dir.Path, Path.GetFileName(state.LearnedNet)));
        Assert.Equal(4, weights.Layer.Sum(l => l.Blobs.Count));
        Assert.InRange(killed.Elapsed.TotalSeconds, 0, 15);
    }

    /// <summary>The process of one rank: a descendant of mpirun whose environment says OMPI_COMM_WORLD_RANK.</summary>
    private static int RankProcess(int mpirun, int rank)
    {
        foreach (var dir in Directory.GetDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
        {
            try
            {
                string environ = File.ReadAllText(Path.Combine(dir, "environ"));
                if (!environ.Contains($"OMPI_COMM_WORLD_RANK={rank}\0") || !File.ReadAllText(Path.Combine(dir, "cmdline")).Contains("Cortado.Cli.dll")) continue;
                int pid = int.Parse(Path.GetFileName(dir));
                for (int p = pid; p > 1; p = ParentOf(p))
                    if (p == mpirun) return pid;
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        throw new InvalidOperationException($"no process of rank {rank} under mpirun {mpirun}");
    }

    private static int ParentOf(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
    }

    [Fact]
    public void OneProcessTrainsWithoutLoadingMpi()
    {
        using var dir = Workspace(maxIter: 3);
        var param = ProtoFiles.ReadSolverText(dir.File("solver64.prototxt"));
        param.Net = dir.File("net64.prototxt");
        var netText = File.ReadAllText(dir.File("net64.prototxt")).Replace("source: \"fm_lmdb\"", $"source: \"{dir.File("fm_lmdb")}\"");
        param.ClearNet();
        param.NetParam = TextFormat.Parse<NetParameter>(netText);
        using var solver = SolverFactory.Create(param, new SolverOptions { Log = new CaffeLog(null) });
        Assert.False(Cortado.Distributed.MpiCommunicator.UnderMpirun);
        solver.Step(3);
        Assert.Equal(3, solver.Iter);
        Assert.DoesNotContain("libmpi", File.ReadAllText("/proc/self/maps"));
    }
}
