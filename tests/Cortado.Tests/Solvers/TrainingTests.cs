using Cortado.Tests.Devices;
using System.Text.RegularExpressions;
using Cortado.Errors;
using Cortado.Logging;
using Cortado.Proto;
using Cortado.Solvers;
using Google.Protobuf;

namespace Cortado.Tests.Solvers;

public abstract class TrainingTests<TDevice> where TDevice : ITestDevice
{
    private const string Settings = "base_lr: 0.05 lr_policy: 'inv' gamma: 0.01 power: 0.75 momentum: 0.9 weight_decay: 0.0005 random_seed: 7 ";

    private static Solver Create(string settings, StringWriter? log = null, string net = SolverTestNets.Classifier) =>
        SolverFactory.Create(SolverTestNets.Solver(net, Settings + settings), new SolverOptions { Log = new CaffeLog(log), Compute = TDevice.Compute });

    [Fact]
    public void LossFallsOnALearnableTask()
    {
        var solver = Create("max_iter: 60");
        var losses = new List<float>();
        solver.IterationDone += (_, loss, _, _) => losses.Add(loss);
        solver.Step(60);
        Assert.True(losses[0] > 0.8, $"starts near ln 3 = 1.0986: {losses[0]}");
        Assert.True(losses.TakeLast(5).Average() < 0.1 * losses[0], $"ends low: {losses.TakeLast(5).Average()}");
    }

    [Fact]
    public void LogLinesFollowCaffesFormat()
    {
        using var dir = new TempDir();
        var log = new StringWriter();
        var solver = Create($"max_iter: 4 display: 2 average_loss: 2 test_iter: 3 test_interval: 2 snapshot: 4 snapshot_prefix: '{dir.File("snap")}'", log);
        solver.Solve();
        string text = log.ToString();
        // The patterns of Caffe's tools/extra/parse_log.py, on the message part of each glog line.
        Assert.Matches(new Regex(@"\] Iteration 0 \([\d.e+-]+ iter/s, [\d.e+-]+s/2 iters\), loss = [\d.e+-]+\n"), text);
        Assert.Matches(new Regex(@"\] Iteration 2 \([\d.e+-]+ iter/s, [\d.e+-]+s/2 iters\), loss = [\d.e+-]+\n"), text);
        Assert.Matches(new Regex(@"\]     Train net output #0: loss = [\d.e+-]+ \(\* 1 = [\d.e+-]+ loss\)\n"), text);
        Assert.Matches(new Regex(@"\] Iteration 2, lr = [\d.e+-]+\n"), text);
        Assert.Matches(new Regex(@"\] Iteration 0, Testing net \(#0\)\n"), text);
        Assert.Matches(new Regex(@"\]     Test net output #0: accuracy = [\d.e+-]+\n"), text);
        Assert.Matches(new Regex(@"\]     Test net output #1: loss = [\d.e+-]+ \(\* 1 = [\d.e+-]+ loss\)\n"), text);
        Assert.Contains($"] Snapshotting to binary proto file {dir.File("snap")}_iter_4.caffemodel\n", text);
        Assert.Contains($"] Snapshotting solver state to binary proto file {dir.File("snap")}_iter_4.solverstate\n", text);
        Assert.Contains("] Iteration 4, loss = ", text);
        Assert.Contains("] Iteration 4, Testing net (#0)", text);
        Assert.EndsWith("] Optimization Done.\n", text.Replace("\r", ""));
        Assert.Contains("] Solving classifier\n", text);
        Assert.Contains("] Learning Rate Policy: inv\n", text);
        // snapshot_after_train is skipped when the last iteration was just snapshotted.
        Assert.Single(Regex.Matches(text, "_iter_4.caffemodel"));
    }

    [Fact]
    public void ResumedRunContinuesExactlyAsAnUninterruptedOne()
    {
        using var dir = new TempDir();
        const int half = 15;
        var straight = Create($"max_iter: {2 * half} snapshot_prefix: '{dir.File("a")}'");
        var straightLosses = new List<float>();
        straight.IterationDone += (_, loss, _, _) => straightLosses.Add(loss);
        straight.Step(2 * half);

        var first = Create($"max_iter: {2 * half} snapshot_prefix: '{dir.File("b")}'");
        var resumedLosses = new List<float>();
        first.IterationDone += (_, loss, _, _) => resumedLosses.Add(loss);
        first.Step(half);
        string state = first.Snapshot();

        var second = Create($"max_iter: {2 * half} snapshot_prefix: '{dir.File("b")}'");
        second.IterationDone += (_, loss, _, _) => resumedLosses.Add(loss);
        second.Restore(state);
        Assert.Equal(half, second.Iter);
        second.Step(half);

        Assert.Equal(straightLosses, resumedLosses);
        for (int i = 0; i < straight.Net.LearnableParams.Count; i++)
            Assert.Equal(straight.Net.LearnableParams[i].Data.ToArray(), second.Net.LearnableParams[i].Data.ToArray());
    }

    [Fact]
    public void SnapshotsAreCaffesFilesReadableByAPlainProtobufDecoder()
    {
        using var dir = new TempDir();
        var solver = Create($"type: 'Adam' max_iter: 3 snapshot: 3 snapshot_prefix: '{dir.File("net")}'");
        solver.Solve();
        string model = dir.File("net_iter_3.caffemodel"), state = dir.File("net_iter_3.solverstate");
        var decoded = NetParameter.Parser.ParseFrom(File.ReadAllBytes(model));
        Assert.Equal("classifier", decoded.Name);
        var conv = decoded.Layer.Single(l => l.Name == "conv");
        Assert.Equal([4L, 3, 3, 3], conv.Blobs[0].Shape.Dim);
        Assert.Equal([4L], conv.Blobs[1].Shape.Dim);
        Assert.Equal([3L, 64], decoded.Layer.Single(l => l.Name == "fc").Blobs[0].Shape.Dim);
        Assert.Equal(108, conv.Blobs[0].Data.Count);

        var decodedState = SolverState.Parser.ParseFrom(File.ReadAllBytes(state));
        Assert.Equal(3, decodedState.Iter);
        Assert.Equal(model, decodedState.LearnedNet);
        Assert.Equal(8, decodedState.History.Count); // Adam: m for 4 blobs, then v for 4 blobs
        Assert.Equal([4L, 3, 3, 3], decodedState.History[0].Shape.Dim);
        Assert.Equal([4L, 3, 3, 3], decodedState.History[4].Shape.Dim);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void SnapshotFromAnotherNetIsRejectedNamingTheParameter()
    {
        using var dir = new TempDir();
        var solver = Create($"max_iter: 2 snapshot_prefix: '{dir.File("x")}'");
        solver.Step(1);
        string state = solver.Snapshot();
        var other = Create("max_iter: 2", net: SolverTestNets.Classifier.Replace("num_output: 4", "num_output: 5"));
        var e = Assert.Throws<LayerException>(() => other.Restore(state));
        Assert.Contains("layer 'conv' (Convolution): parameter 0 in ", e.Message);
        Assert.Contains("has shape 4 3 3 3, but the net's has shape 5 3 3 3 (135)", e.Message);

        var adam = Create("type: 'Adam' max_iter: 2");
        var wrongRule = Assert.Throws<ModelFileException>(() => adam.Restore(state));
        Assert.Contains("holds 4 history blobs, but this Adam solver on net 'classifier' needs 8", wrongRule.Message);
    }

    [Fact]
    public void TruncatedSolverStateIsNamed()
    {
        using var dir = new TempDir();
        var solver = Create($"max_iter: 2 snapshot_prefix: '{dir.File("t")}'");
        string state = solver.Snapshot();
        var bytes = File.ReadAllBytes(state);
        File.WriteAllBytes(state, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<ModelFileException>(() => Create("max_iter: 2").Restore(state));
        Assert.StartsWith(state + ": is not a valid binary SolverState", e.Message);
    }

    [Theory]
    [InlineData("max_iter: 0", "max_iter must be positive, got 0")]
    [InlineData("lr_policy: 'step' max_iter: 10", "lr_policy \"step\" needs a positive stepsize")]
    [InlineData("max_iter: 10 test_interval: 5", "test_interval is set but there is no test net")]
    [InlineData("max_iter: 10 regularization_type: 'L3'", "unknown regularization_type \"L3\"")]
    public void BadSolversFailBeforeTraining(string settings, string expected)
    {
        var param = SolverTestNets.Solver(SolverTestNets.Classifier, Settings.Replace("lr_policy: 'inv'", settings.Contains("lr_policy") ? "" : "lr_policy: 'inv'") + settings);
        var e = Assert.Throws<CortadoException>(() => SolverFactory.Create(param));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void TestNetWithoutTestIterAndMissingNetFileAreNamed()
    {
        var param = TextFormat.Parse<SolverParameter>("train_net: 'a.prototxt' test_net: 'b.prototxt' base_lr: 0.1 lr_policy: 'fixed' max_iter: 10");
        param.TrainNetParam = TextFormat.Parse<NetParameter>(SolverTestNets.Classifier);
        param.ClearTrainNet();
        param.TestNet.Clear();
        param.TestNetParam.Add(TextFormat.Parse<NetParameter>(SolverTestNets.Classifier));
        var e = Assert.Throws<CortadoException>(() => SolverFactory.Create(param));
        Assert.Equal("the solver has 1 test net(s) but 0 test_iter value(s); give one test_iter per test net", e.Message);

        using var dir = new TempDir();
        File.WriteAllText(dir.File("solver.prototxt"), "net: 'missing_train_val.prototxt' base_lr: 0.1 lr_policy: 'fixed' max_iter: 10");
        var missing = Assert.Throws<ModelFileException>(() => SolverFactory.FromFile(dir.File("solver.prototxt")));
        Assert.Contains("missing_train_val.prototxt: file not found (the net named by solver", missing.Message);
    }

    [Fact]
    public void DivergingLossStopsNamingTheIterationAndTheFirstNonFiniteLayer()
    {
        using var dir = new TempDir();
        // A regression whose curvature (2 for w, 1 for b) times the rate is far above 2: every step overshoots
        // by a factor of about 30 until the loss overflows to infinity.
        var solver = SolverFactory.Create(SolverTestNets.Solver(SolverTestNets.Linear, $"base_lr: 10 lr_policy: 'fixed' max_iter: 200 snapshot: 1 snapshot_prefix: '{dir.File("d")}' random_seed: 3"), new SolverOptions { Compute = TDevice.Compute });
        var e = Assert.Throws<TrainingDivergedException>(() => solver.Solve());
        Assert.Matches(@"^iteration \d+: the loss is (nan|inf|-inf); the first non-finite values came out of layer '\w+' \(\w+\)\. Training stopped; the last good snapshot is .*_iter_\d+\.solverstate\.", e.Message);
        string lastGood = solver.LastSnapshot!;
        var state = SolverState.Parser.ParseFrom(File.ReadAllBytes(lastGood));
        Assert.Equal(e.Iteration, state.Iter);
        var weights = NetParameter.Parser.ParseFrom(File.ReadAllBytes(state.LearnedNet));
        Assert.All(weights.Layer.SelectMany(l => l.Blobs).SelectMany(b => b.Data), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void StopRequestSnapshotsAndEndsAfterTheCurrentIteration()
    {
        using var dir = new TempDir();
        var solver = Create($"max_iter: 100 snapshot_prefix: '{dir.File("s")}'");
        solver.IterationDone += (iter, _, _, _) => { if (iter == 5) solver.Request(SolverAction.Stop); };
        solver.Solve();
        Assert.Equal(5, solver.Iter);
        Assert.True(File.Exists(dir.File("s_iter_5.caffemodel")));
        Assert.True(File.Exists(dir.File("s_iter_5.solverstate")));
    }
}

public class SeveralTestNetsTests
{
    [Fact]
    public void EachTestNetIsRunWithItsOwnIterationsAndState()
    {
        var param = SolverTestNets.Solver(SolverTestNets.Classifier, "base_lr: 0.01 lr_policy: 'fixed' max_iter: 2 test_iter: 2 test_iter: 3 test_interval: 1 test_initialization: true random_seed: 2");
        param.TestNetParam.Add(TextFormat.Parse<NetParameter>(SolverTestNets.Classifier));
        var log = new StringWriter();
        var solver = SolverFactory.Create(param, new SolverOptions { Log = new CaffeLog(log) });
        var runs = new List<(int Iter, int Net)>();
        solver.TestDone += (iter, net, _) => runs.Add((iter, net));
        solver.Step(2);
        Assert.Equal([(0, 0), (0, 1), (1, 0), (1, 1)], runs);
        Assert.Contains("] Iteration 1, Testing net (#1)", log.ToString());
        Assert.Equal(2, solver.TestNets.Count);
        // Test nets share the train net's weights.
        Assert.Equal(solver.Net.Layer("fc").Blobs[0].Data[0], solver.TestNets[1].Layer("fc").Blobs[0].Data[0]);
    }
}

public sealed class TrainingTestsOnCpu : TrainingTests<OnCpu>;
public sealed class TrainingTestsOnEmulatedDevice : TrainingTests<OnEmulatedDevice>;
public sealed class TrainingTestsOnEmulatedGpu : TrainingTests<OnEmulatedGpu>;
