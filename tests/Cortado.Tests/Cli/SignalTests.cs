using System.Diagnostics;
using Cortado.Tests.Solvers;

namespace Cortado.Tests.Cli;

/// <summary>
/// A real `cortado train` process is told to stop by a signal and stops after the current
/// iteration with a snapshot. SIGTERM is used: shells without job control start background
/// commands with SIGINT ignored (and .NET keeps an ignored signal ignored), so SIGINT would not
/// reach the child under some CI runners; both signals go through the same handler.
/// </summary>
public class SignalTests
{
    [Fact]
    public void SigtermStopsTrainingWithASnapshot()
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
        string Log() { lock (log) return log.ToString(); } // events append from another thread
        using var running = new ManualResetEventSlim();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data == null) return;
            lock (log) log.AppendLine(e.Data);
            if (e.Data.Contains("] Iteration 20 (")) running.Set();
        };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            if (!running.Wait(TimeSpan.FromSeconds(60))) Assert.Fail("training did not reach iteration 20:\n" + Log());
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()])) kill.WaitForExit();
            if (!process.WaitForExit(30000)) Assert.Fail("the process did not stop after SIGTERM:\n" + Log());
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        process.WaitForExit();
        string text = Log();
        var states = Directory.GetFiles(dir.Path, "run_iter_*.solverstate");
        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}:\n{text}");
        Assert.True(text.Contains("] Optimization stopped early."), text);
        Assert.True(states.Length == 1, $"{states.Length} snapshots ({string.Join(", ", states)}):\n{text}");
        int iter = int.Parse(Path.GetFileNameWithoutExtension(states[0]).Split('_')[^1]);
        Assert.InRange(iter, 21, 1000000);
        Assert.True(File.Exists(dir.File($"run_iter_{iter}.caffemodel")));
    }
}
