using Cortado.Cli;
using Cortado.Tests.Solvers;

namespace Cortado.Tests.Cli;

public class TrainAndTestVerbTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CommandLine.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static string WriteProject(TempDir dir, int maxIter)
    {
        File.WriteAllText(dir.File("train_val.prototxt"), SolverTestNets.Classifier);
        File.WriteAllText(dir.File("solver.prototxt"), $"""
            net: "train_val.prototxt"
            test_iter: 2
            test_interval: 10
            base_lr: 0.05
            momentum: 0.9
            lr_policy: "fixed"
            display: 5
            max_iter: {maxIter}
            snapshot: 10
            snapshot_prefix: "{dir.File("model")}"
            random_seed: 5
            solver_mode: CPU
            """);
        return dir.File("solver.prototxt");
    }

    [Fact]
    public void TrainsResumesFineTunesAndTests()
    {
        using var dir = new TempDir();
        string solver = WriteProject(dir, 20);
        var (code, _, log) = Run("train", "-solver=" + solver);
        Assert.True(code == 0, log);
        Assert.Contains("] Iteration 20, Testing net (#0)", log);
        Assert.Contains("] Optimization Done.", log);
        Assert.True(File.Exists(dir.File("model_iter_10.solverstate")));
        Assert.True(File.Exists(dir.File("model_iter_20.caffemodel")));

        // Resume from iteration 10 to 30: it reports the restore and goes on from there.
        File.WriteAllText(solver, File.ReadAllText(solver).Replace("max_iter: 20", "max_iter: 30"));
        (code, _, log) = Run("train", "--solver", solver, "--snapshot", dir.File("model_iter_10.solverstate"));
        Assert.True(code == 0, log);
        Assert.Contains($"] Restoring previous solver status from {dir.File("model_iter_10.solverstate")}", log);
        Assert.DoesNotContain("] Iteration 5 (", log);
        Assert.Contains("] Iteration 15 (", log);
        Assert.True(File.Exists(dir.File("model_iter_30.caffemodel")));

        (code, _, log) = Run("train", "--solver", solver, "--weights", dir.File("model_iter_30.caffemodel"));
        Assert.True(code == 0, log);
        Assert.Contains($"] Finetuning from {dir.File("model_iter_30.caffemodel")}", log);

        (code, _, log) = Run("test", "--model", dir.File("train_val.prototxt"), "--weights", dir.File("model_iter_30.caffemodel"), "--iterations", "3");
        Assert.True(code == 0, log);
        Assert.Matches(@"\] Batch 0, accuracy = [\d.e+-]+\n", log);
        Assert.Matches(@"\] Batch 2, loss = [\d.e+-]+\n", log);
        Assert.Matches(@"\] Loss: [\d.e+-]+\n", log);
        Assert.Matches(@"\] accuracy = 1\n", log);
        Assert.Matches(@"\] loss = [\d.e+-]+ \(\* 1 = [\d.e+-]+ loss\)\n", log);
    }

    [Fact]
    public void TrainRefusesBadCombinationsClearly()
    {
        using var dir = new TempDir();
        string solver = WriteProject(dir, 5);
        var (code, _, error) = Run("train", "--solver", solver, "--weights", "a.caffemodel", "--snapshot", "b.solverstate");
        Assert.Equal(1, code);
        Assert.Contains("give --weights or --snapshot, not both", error);
        (code, _, error) = Run("train", "--solver", solver, "--snapshot", dir.File("nope.solverstate"));
        Assert.Equal(1, code);
        Assert.Contains("nope.solverstate: file not found", error);
        (code, _, error) = Run("train");
        Assert.Equal(1, code);
        Assert.Contains("train: --solver is required", error);
    }
}
