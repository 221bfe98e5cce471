using System.Diagnostics;
using Cortado.Logging;
using Cortado.Proto;
using Cortado.Solvers;
using Cortado.Tests.Reliability;

namespace Cortado.Tests.Cli;

/// <summary>
/// `cortado train` is killed with SIGKILL twenty times at random moments (mid-iteration, mid-snapshot)
/// and resumed from its newest snapshot each time. Every snapshot on disk must load, and every line
/// each run printed must equal the uninterrupted run's line for the same iteration.
/// </summary>
public class KillAndResumeTests
{
    private const int MaxIter = 1000, Kills = 20;

    [Fact]
    public void TwentyKillsLeaveLoadableSnapshotsAndResumedRunsEqualTheUninterruptedOne()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("net.prototxt"), ResumeAndStopTests.Net(ResumeAndStopTests.Database(dir), ResumeAndStopTests.Database(dir, "test_lmdb", 20)));
        string settings = $"net: '{dir.File("net.prototxt")}' {ResumeAndStopTests.SolverSettings} max_iter: {MaxIter} random_seed: 7 snapshot: 7 snapshot_prefix: ";
        File.WriteAllText(dir.File("solver.prototxt"), settings + $"'{dir.File("k")}'");
        File.WriteAllText(dir.File("reference.prototxt"), settings + $"'{dir.File("reference/r")}'");
        var reference = new StringWriter();
        using (var solver = SolverFactory.FromFile(dir.File("reference.prototxt"), new CaffeLog(reference))) solver.Solve();
        var expected = ResumeAndStopTests.Results(reference.ToString(), from: 0);

        var random = new Random(11);
        string? resume = null;
        var runs = new List<(int From, List<string> Lines)>();
        for (int kill = 0; kill <= Kills; kill++)
        {
            int from = resume == null ? 0 : ProtoFiles.ReadSolverState(resume).Iter;
            // The last run goes to the end; the others die a little after a random iteration. A kill
            // aimed at the last iteration can land after the run has finished and written its final
            // snapshot; then there is no iteration left to die after, and this run is the last.
            bool finished = from >= MaxIter;
            int? target = kill < Kills && !finished ? Math.Min(from + random.Next(1, 30), MaxIter - 1) : null;
            var (log, code) = Train(dir, resume, target, random.Next(0, 15));
            var lines = ResumeAndStopTests.Results(log, from);
            if (target != null && lines.Count > 0) lines.RemoveAt(lines.Count - 1); // the kill may cut the last line short
            else Assert.True(code == 0, $"the last run ended with {code}:\n{log}");
            runs.Add((from, lines));

            foreach (var state in Directory.GetFiles(dir.Path, "k_iter_*.solverstate"))
            {
                var loaded = ProtoFiles.ReadSolverState(state);
                Assert.True(File.Exists(loaded.LearnedNet), $"{state} names {loaded.LearnedNet}, which is missing");
                ProtoFiles.ReadWeights(loaded.LearnedNet);
            }
            resume = Directory.GetFiles(dir.Path, "k_iter_*.solverstate").OrderBy(f => ProtoFiles.ReadSolverState(f).Iter).LastOrDefault();
            if (target == null) break;
        }

        Assert.Equal(MaxIter, ProtoFiles.ReadSolverState(resume!).Iter);
        foreach (var (from, lines) in runs)
        {
            int start = expected.FindIndex(l => l.StartsWith($"Iteration {from}", StringComparison.Ordinal));
            Assert.True(start >= 0, $"no reference lines from iteration {from}");
            Assert.Equal(expected.Skip(start).Take(lines.Count), lines);
        }
        Assert.True(runs.Count(r => r.From > 0) >= 10, $"only {runs.Count(r => r.From > 0)} runs resumed from a snapshot");
    }

    /// <summary>One `cortado train`, SIGKILLed <paramref name="delayMs"/> ms after it logs iteration <paramref name="killAfter"/>.</summary>
    private static (string Log, int Code) Train(TempDir dir, string? resume, int? killAfter, int delayMs)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Cortado.Cli.dll"));
        foreach (var a in new[] { "train", "--solver", dir.File("solver.prototxt"), "--threads", "1" }) start.ArgumentList.Add(a);
        if (resume != null) { start.ArgumentList.Add("--snapshot"); start.ArgumentList.Add(resume); }
        using var process = Process.Start(start)!;
        var log = new System.Text.StringBuilder();
        using var reached = new ManualResetEventSlim();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data == null) return;
            lock (log) log.AppendLine(e.Data);
            if (killAfter != null && e.Data.Contains($"] Iteration {killAfter}, lr = ")) reached.Set();
        };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            if (killAfter != null)
            {
                if (!reached.Wait(TimeSpan.FromSeconds(60))) Assert.Fail($"the run never reached iteration {killAfter}:\n{log}");
                Thread.Sleep(delayMs);
                process.Kill();
            }
            if (!process.WaitForExit(120_000)) Assert.Fail("training did not end:\n" + log);
            process.WaitForExit();
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        lock (log) return (log.ToString(), process.ExitCode);
    }
}
