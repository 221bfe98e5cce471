using System.Diagnostics;
using Cortado.Tests.Solvers;

namespace Cortado.Tests.Cli;

/// <summary>A real `cortado train` process receives SIGINT and stops after the current iteration with a snapshot.</summary>
public class SignalTests
{
    [Fact]
    public void SigintStopsTrainingWithASnapshot()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("net.prototxt"), SolverTestNets.Classifier);
        File.WriteAllText(dir.File("solver.prototxt"),
            $"net: \"{dir.File("net.prototxt")}\" base_lr: 0.01 lr_policy: \"fixed\" display: 1 max_iter: 1000000 snapshot_prefix: \"{dir.File("run")}\" random_seed: 1");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Cortado.Cli.dll"));
        foreach (var a in new[] { "train", "--solver", dir.File("solver.prototxt") }) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var log = new System.Text.StringBuilder();
        bool signalled = false;
        while (process.StandardError.ReadLine() is { } line)
        {
            log.AppendLine(line);
            if (!signalled && line.Contains("] Iteration 20 ("))
            {
                using var kill = Process.Start("kill", ["-INT", process.Id.ToString()]);
                kill.WaitForExit();
                signalled = true;
            }
        }
        Assert.True(process.WaitForExit(30000), "the process did not stop");
        Assert.True(signalled, log.ToString());
        Assert.Equal(0, process.ExitCode);
        Assert.Contains("] Optimization stopped early.", log.ToString());
        var states = Directory.GetFiles(dir.Path, "run_iter_*.solverstate");
        Assert.Single(states);
        int iter = int.Parse(Path.GetFileNameWithoutExtension(states[0]).Split('_')[^1]);
        Assert.InRange(iter, 21, 1000);
        Assert.True(File.Exists(dir.File($"run_iter_{iter}.caffemodel")));
    }
}
