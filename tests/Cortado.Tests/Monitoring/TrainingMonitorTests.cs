using Cortado.Monitoring;
using Cortado.Solvers;
using Cortado.Tests.Solvers;

namespace Cortado.Tests.Monitoring;

public class TrainingMonitorTests
{
    private static readonly MonitorOptions EveryTenth = new() { SampleEvery = 10, MinInterval = TimeSpan.Zero, ChanceWindow = 20 };

    private static Solver Create(string net, string settings) =>
        SolverFactory.Create(SolverTestNets.Solver(net, settings + " random_seed: 5"));

    [Fact]
    public void RecordsEveryIterationsLossAndRateAndTheTestOutputs()
    {
        using var solver = Create(SolverTestNets.Classifier, "base_lr: 0.05 lr_policy: 'step' gamma: 0.5 stepsize: 10 max_iter: 30 test_iter: 2 test_interval: 10 test_initialization: false");
        var seen = new List<(int, float, float, float)>();
        solver.IterationDone += (done, loss, smoothed, rate) => seen.Add((done - 1, loss, smoothed, rate));
        var run = new RunHistory("classifier");
        using var monitor = new TrainingMonitor(solver, run, EveryTenth);
        monitor.Run(() => solver.Step(30));

        var all = run.ReadAll();
        Assert.Equal(seen, all.Points.Select(p => (p.Iteration, p.Loss, p.SmoothedLoss, p.Rate)));
        Assert.Equal(0.05f, all.Points[0].Rate);
        Assert.Equal(0.0125f, all.Points[29].Rate, 6); // step: 0.05 * 0.5^2 from iteration 20
        Assert.Equal([10, 10, 20, 20], all.Tests.Select(t => t.Iteration)); // accuracy and loss at each test pass
        Assert.Equal(["accuracy", "loss"], all.Tests.Take(2).Select(t => t.Output));
        Assert.Equal(RunState.Finished, run.State); // max_iter reached
    }

    [Fact]
    public void SampledScalesEqualTheBlobsMeasuredIndependently()
    {
        using var solver = Create(SolverTestNets.Classifier, "base_lr: 0.1 momentum: 0.9 lr_policy: 'fixed' max_iter: 25");
        var conv = solver.Net.Layers.Single(l => l.Name == "conv");
        var relu = solver.Net.Tops[solver.Net.Layers.ToList().FindIndex(l => l.Name == "relu")][0];
        var expected = new Dictionary<int, (double Activation, double Gradient, double Dead, float[] Before)>();
        var run = new RunHistory("classifier");
        using var monitor = new TrainingMonitor(solver, run, EveryTenth);
        // Measured here by hand after the monitor's own handler, on the same iterations.
        solver.AfterBackward += (iteration, _) =>
        {
            if (iteration % 10 != 0) return;
            var top = solver.Net.Tops[solver.Net.Layers.ToList().IndexOf(conv)][0].Data.ToArray();
            var grad = conv.Blobs[0].Diff.ToArray();
            var relued = relu.Data.ToArray();
            int unit = relu.CountFrom(1), samples = relu.Shape[0], dead = 0;
            for (int u = 0; u < unit; u++)
                if (Enumerable.Range(0, samples).All(s => relued[s * unit + u] <= 0)) dead++;
            expected[iteration] = (Rms(top), Rms(grad), dead / (double)unit, conv.Blobs[0].Data.ToArray());
        };
        var updates = new Dictionary<int, double>();
        solver.IterationDone += (done, _, _, _) =>
        {
            if (!expected.TryGetValue(done - 1, out var e)) return;
            var after = conv.Blobs[0].Data.ToArray();
            updates[done - 1] = Rms(e.Before.Zip(after, (b, a) => b - a).ToArray()) / Rms(e.Before);
        };
        monitor.Run(() => solver.Step(25));

        var samples = run.ReadAll().Samples;
        Assert.Equal([0, 10, 20], samples.Select(s => s.Iteration));
        foreach (var sample in samples)
        {
            var convScale = sample.Layers.Single(l => l.Layer == "conv");
            var e = expected[sample.Iteration];
            Assert.Equal(e.Activation, convScale.ActivationRms, 1e-6 * e.Activation);
            Assert.Equal(e.Gradient, convScale.GradientRms, 1e-6 * e.Gradient);
            Assert.Equal(updates[sample.Iteration], convScale.UpdateRatio, 1e-4 * updates[sample.Iteration]);
            Assert.Equal(e.Dead, sample.Layers.Single(l => l.Layer == "relu").DeadFraction, 12);
        }
        Assert.Contains(samples[0].Layers, l => l.Layer == "fc" && l.UpdateRatio > 0);
    }

    [Fact]
    public void AtMostOneSampleInEachMinimumInterval()
    {
        using var solver = Create(SolverTestNets.Classifier, "base_lr: 0.1 lr_policy: 'fixed' max_iter: 40");
        var run = new RunHistory("classifier");
        using var monitor = new TrainingMonitor(solver, run, EveryTenth with { SampleEvery = 1, MinInterval = TimeSpan.FromHours(1) });
        monitor.Run(() => solver.Step(40));
        Assert.Equal([0], run.ReadAll().Samples.Select(s => s.Iteration));
    }

    [Fact]
    public void ALossAtChanceAndOneClassAreRaisedLive()
    {
        using var solver = Create(MonitorTestNets.AtChance, "base_lr: 0 lr_policy: 'fixed' max_iter: 60");
        var run = new RunHistory("at chance");
        using var monitor = new TrainingMonitor(solver, run, EveryTenth);
        monitor.Run(() => solver.Step(60));

        var findings = run.ReadAll().Findings!;
        var chance = Assert.Single(findings, f => f.Finding.Code == "LOSS_AT_CHANCE");
        Assert.True(chance.Active);
        Assert.Equal(20, chance.Iteration); // the first sample with a full window of 20 losses
        Assert.Contains("ln(4) = 1.38629", chance.Finding.Title);
        var oneClass = Assert.Single(findings, f => f.Finding.Code == "ONE_CLASS");
        Assert.Contains("100% of the last", oneClass.Finding.Evidence);
        Assert.Contains("class 0", oneClass.Finding.Evidence);
    }

    [Fact]
    public void AFindingIsClearedWhenItNoLongerHolds()
    {
        // The classifier learns class 1 for everything: one class is right here, and its loss leaves chance.
        using var solver = Create(SolverTestNets.Classifier, "base_lr: 0.1 lr_policy: 'fixed' max_iter: 100");
        var run = new RunHistory("classifier");
        run.Raise(new Cortado.Diagnostics.Finding(Cortado.Diagnostics.Severity.Error, "LOSS_AT_CHANCE", "stuck", "", ""), 0);
        using var monitor = new TrainingMonitor(solver, run, EveryTenth);
        monitor.Run(() => solver.Step(100));
        var chance = Assert.Single(run.ReadAll().Findings!, f => f.Finding.Code == "LOSS_AT_CHANCE");
        Assert.False(chance.Active);
        Assert.Equal(20, chance.ClearedAt);
    }

    [Fact]
    public void ReLUsThatNeverFireAreCountedAndRaised()
    {
        using var solver = Create(MonitorTestNets.DeadRelu, "base_lr: 0.01 lr_policy: 'fixed' max_iter: 20");
        var run = new RunHistory("dead");
        using var monitor = new TrainingMonitor(solver, run, EveryTenth);
        monitor.Run(() => solver.Step(20));
        var all = run.ReadAll();
        Assert.All(all.Samples, s => Assert.Equal(1.0, s.Layers.Single(l => l.Layer == "relu").DeadFraction));
        var dead = Assert.Single(all.Findings!, f => f.Finding.Code == "DEAD_RELU");
        Assert.Contains("100% of 5 units", dead.Finding.Evidence);
    }

    [Fact]
    public void ANonFiniteLossIsRaisedWithItsFirstLayerAndTheRunMarkedDiverged()
    {
        using var solver = Create(MonitorTestNets.Overflowing, "base_lr: 0.01 lr_policy: 'fixed' max_iter: 20");
        var run = new RunHistory("overflowing");
        using var monitor = new TrainingMonitor(solver, run, EveryTenth);
        Assert.Throws<TrainingDivergedException>(() => monitor.Run(() => solver.Step(20)));
        Assert.Equal(RunState.Diverged, run.State);
        var nan = Assert.Single(run.ReadAll().Findings!);
        Assert.Equal("LOSS_NOT_FINITE", nan.Finding.Code);
        Assert.Contains("'ip1' (InnerProduct)", nan.Finding.Title);
        Assert.Equal(0, nan.Iteration);
    }

    [Fact]
    public void DetachingStopsTheRecording()
    {
        using var solver = Create(SolverTestNets.Classifier, "base_lr: 0.1 lr_policy: 'fixed' max_iter: 20");
        var run = new RunHistory("classifier");
        using (new TrainingMonitor(solver, run, EveryTenth)) solver.Step(5);
        solver.Step(5);
        Assert.Equal(5, run.ReadAll().Points.Count);
    }

    private static double Rms(float[] values) => Math.Sqrt(values.Sum(v => v * (double)v) / values.Length);
}
