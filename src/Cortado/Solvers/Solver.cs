using System.Diagnostics;
using Cortado.Compute;
using Cortado.Errors;
using Cortado.Layers;
using Cortado.Logging;
using Cortado.Nets;
using Cortado.Proto;
using Cortado.Tensors;
using static Cortado.Logging.CppFormat;

namespace Cortado.Solvers;

/// <summary>
/// Trains a net as Caffe's Solver and SGDSolver do, one iteration being: clear the parameter
/// diffs, test when due, forward/backward iter_size times, log, then update (learning rate from
/// the policy, gradient clipping, per parameter: divide by iter_size, add weight decay, compute
/// the step with rate * lr_mult, W -= step), count the iteration and snapshot when due.
/// Update rules differ only in <see cref="ComputeUpdateValue"/>. The solver reports through
/// <see cref="IterationDone"/> and its log; it prints nothing itself.
/// </summary>
public abstract class Solver : IDisposable
{
    private readonly CaffeLog _log;
    /// <summary>The backend the nets and the parameter updates run on.</summary>
    protected ICompute Backend { get; }
    private readonly List<Net> _testNets = [];
    private readonly Queue<float> _recentLosses = new();
    private float[]? _restoredLosses;
    // The run's seed: from random_seed, or the clock; a resumed run takes the snapshot's.
    private int _seed;
    private volatile SolverAction _requested;
    private int _snapshotIter = -1;
    private readonly Distributed.ICommunicator _communicator;
    private readonly Distributed.GradientAllreduce? _allreduce;
    private readonly int _checkWeightsEvery;

    /// <summary>Rank 0 of a data-parallel job (or the only process): it tests and writes the snapshots.</summary>
    public bool IsRoot => _communicator.Rank == 0;

    protected Solver(SolverParameter param, SolverOptions? options = null)
    {
        options ??= new SolverOptions();
        _log = options.Log;
        Backend = options.Compute;
        Param = param;
        SolverPath = options.SolverPath;
        Validate(param);
        WarnAboutLikelyMistakes(param);
        _communicator = options.Communicator;
        _checkWeightsEvery = options.CheckWeightsEvery;
        _seed = param.RandomSeed >= 0 ? (int)param.RandomSeed : Environment.TickCount & int.MaxValue;
        // Every rank draws the same random streams: dropout then keys each rank's part of the batch by its offset.
        if (_communicator.Size > 1) _seed = (int)_communicator.Broadcast(_seed);
        var (trainParam, testParams) = SolverNets.Resolve(param, options.SolverPath);
        _log.Info("solver.cs", $"Creating training net from {trainParam.Source}");
        Net = new Net(trainParam.Net, trainParam.State, new NetOptions
        {
            Log = _log, Random = new CaffeRandom(_seed), Compute = Backend, Shard = new DataShard(_communicator.Rank, _communicator.Size),
        });
        if (_communicator.Size > 1)
        {
            _allreduce = new Distributed.GradientAllreduce(Net, _communicator);
            _log.Info("solver.cs", $"Data-parallel training on {_communicator.Size} ranks: an effective batch of {_communicator.Size} x each net's batch, gradients averaged by MPI_Allreduce");
        }
        try { BuildRest(param, testParams); }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The test nets, the solver's own weights and the history: the parts of set-up after the train net.</summary>
    private void BuildRest(SolverParameter param, List<SolverNets.NetSource> testParams)
    {
        for (int i = 0; i < testParams.Count; i++)
        {
            _log.Info("solver.cs", $"Creating test net (#{i}) specified by {testParams[i].Source}");
            var test = new Net(testParams[i].Net, testParams[i].State, new NetOptions { Log = _log, Random = new CaffeRandom(_seed + 1 + i), Compute = Backend });
            test.ShareTrainedLayersWith(Net);
            _testNets.Add(test);
        }
        // The solver's own weights field, as Caffe's Solver::Init reads it (the command line's --weights adds to it).
        foreach (string weights in param.Weights)
        {
            _log.Info("solver.cs", $"Finetuning from {weights}");
            Net.CopyTrainedLayersFrom(ProtoFiles.ReadWeights(weights), weights);
        }
        for (int i = 0; i < Net.LearnableParams.Count; i++)
            for (int set = 0; set < HistorySets; set++) History.Add(new Blob(Net.LearnableParams[i].Shape.ToArray()));
        _log.Info("solver.cs", "Solver scaffolding done.");
        if (Param.DebugInfo)
            _log.Info("solver.cs", $"debug_info: per-layer data and gradient scales follow every {Param.Display} iterations; " +
                "`cortado diagnose --solver SOLVER.prototxt` reads the same signals and names what stops a net from learning");
    }

    public SolverParameter Param { get; }
    public string? SolverPath { get; }
    public Net Net { get; }
    public IReadOnlyList<Net> TestNets => _testNets;
    public int Iter { get; protected set; }
    public float SmoothedLoss { get; private set; }
    public string? LastSnapshot { get; private set; }
    public abstract string Type { get; }

    /// <summary>History blobs: HistorySets sets of one blob per learnable parameter (set s of parameter i at i * HistorySets + s... stored set-major for snapshots).</summary>
    protected List<Blob> History { get; } = [];

    /// <summary>1 for most rules; AdaDelta and Adam keep a second set of history.</summary>
    protected virtual int HistorySets => 1;

    /// <summary>History blob of a parameter in a set, in Caffe's order: all first-set blobs, then all second-set blobs.</summary>
    protected Blob HistoryOf(int paramId, int set = 0) => History[paramId * HistorySets + set];

    /// <summary>After every iteration's update: (iteration just finished, its loss, the smoothed loss, the rate used).</summary>
    public event Action<int, float, float, float>? IterationDone;

    /// <summary>After forward and backward, before the update: (iteration, its loss). The diffs hold the gradients.</summary>
    public event Action<int, float>? AfterBackward;

    /// <summary>After each test pass: (iteration, test net index, output names and mean values).</summary>
    public event Action<int, int, IReadOnlyList<(string Name, float Value)>>? TestDone;

    /// <summary>Asks the solver to stop (with a snapshot) or snapshot after the current iteration; safe from signal handlers.</summary>
    public void Request(SolverAction action) => _requested = action;

    protected abstract void ComputeUpdateValue(int paramId, float rate);

    /// <summary>The debug check of data-parallel training: every rank must hold bit-identical weights.</summary>
    private void CheckWeightsAgree()
    {
        ulong hash = Distributed.WeightHash.Of(Net.LearnableParams);
        if (!_communicator.AllEqual(hash))
            throw new CortadoException($"rank {_communicator.Rank}: the ranks' weights differ after iteration {Iter} (weights hash {hash:x16}); the data-parallel update is not the same everywhere");
    }

    public void Dispose()
    {
        _allreduce?.Dispose();
        Net.Dispose();
        foreach (var net in _testNets) net.Dispose();
    }

    protected virtual void ValidateRule(SolverParameter param) { }

    /// <summary>
    /// Trains to max_iter (resuming from a .solverstate when given), then snapshots and reports as Caffe does.
    /// With <paramref name="stopAt"/> before max_iter it stops there as a stop request would, with a snapshot.
    /// </summary>
    public void Solve(string? resumeFile = null, int? stopAt = null)
    {
        if (stopAt is <= 0) throw new CortadoException($"stop_at must be a positive iteration, got {stopAt}");
        _log.Info("solver.cs", $"Solving {Net.Name}");
        _log.Info("solver.cs", $"Learning Rate Policy: {Param.LrPolicy}");
        foreach (string stale in IO.AtomicFile.RemoveStale(SnapshotPrefix() + "_iter_"))
            _log.Info("solver.cs", $"Removed {stale}, a partial snapshot left by a run that was killed while writing it");
        if (resumeFile != null)
        {
            _log.Info("solver.cs", $"Restoring previous solver status from {resumeFile}");
            Restore(resumeFile);
        }
        if (stopAt < Param.MaxIter)
        {
            Step(Math.Max(0, stopAt.Value - Iter));
            if (IsRoot && _snapshotIter != Iter) Snapshot();
            _log.Info("solver.cs", $"Optimization stopped early{(_requested == SolverAction.Stop ? "" : $" at iteration {Iter} (--stop_at)")}.");
            return;
        }
        Step(Param.MaxIter - Iter);
        if (_requested == SolverAction.Stop) { _log.Info("solver.cs", "Optimization stopped early."); return; }
        if (IsRoot && Param.SnapshotAfterTrain && (Param.Snapshot == 0 || Iter % Param.Snapshot != 0)) Snapshot();
        if (IsRoot && Param.Display > 0 && Iter % Param.Display == 0)
        {
            float loss = Net.Forward();
            _log.Info("solver.cs", $"Iteration {Iter}, loss = {G(loss)}");
        }
        if (IsRoot && Param.TestInterval > 0 && Iter % Param.TestInterval == 0) TestAll();
        if (_requested == SolverAction.Stop) { _log.Info("solver.cs", "Optimization stopped early."); return; }
        _log.Info("solver.cs", "Optimization Done.");
    }

    public void Step(int iterations)
    {
        int start = Iter, stop = Iter + iterations;
        int lastDisplayed = Iter;
        var timer = Stopwatch.StartNew();
        _recentLosses.Clear();
        // A resumed run goes on with the snapshot's average_loss window, so its display lines equal the uninterrupted run's.
        foreach (float restored in _restoredLosses ?? []) _recentLosses.Enqueue(restored);
        _restoredLosses = null;
        while (Iter < stop)
        {
            Net.ClearParamDiffs();
            if (IsRoot && Param.TestInterval > 0 && Iter % Param.TestInterval == 0 && (Iter > 0 || Param.TestInitialization))
            {
                TestAll();
                // A stop asked for during the test pass: snapshot now rather than after another training iteration.
                if (_requested == SolverAction.Stop) { if (IsRoot) Snapshot(); break; }
            }
            bool display = Param.Display > 0 && Iter % Param.Display == 0;

            // One random stream per iteration: a resumed run draws exactly what an uninterrupted one would.
            Net.Context.Random.Reseed(unchecked(_seed * 1000003 + Iter));
            float loss = 0;
            Net.DebugInfo = display && Param.DebugInfo;
            for (int i = 0; i < Param.IterSize; i++)
            {
                if (i == Param.IterSize - 1) _allreduce?.Arm();
                loss += Net.ForwardBackward();
            }
            loss /= Param.IterSize;
            if (_allreduce != null)
            {
                _allreduce.Finish();
                Span<double> total = [loss];
                _communicator.SumInPlace(total);
                loss = (float)(total[0] / _communicator.Size);
            }
            if (!float.IsFinite(loss))
            {
                var layer = Net.FirstNonFiniteLayer();
                throw new TrainingDivergedException(Iter, loss, layer == null ? null : $"'{layer.Name}' ({layer.Type})", LastSnapshot);
            }
            UpdateSmoothedLoss(loss);
            AfterBackward?.Invoke(Iter, loss);
            if (display)
            {
                double lapse = timer.Elapsed.TotalSeconds;
                double perSecond = (Iter - lastDisplayed) / (lapse > 0 ? lapse : 1);
                _log.Info("solver.cs", $"Iteration {Iter} ({G(perSecond)} iter/s, {G(lapse)}s/{Param.Display} iters), loss = {G(SmoothedLoss)}");
                timer.Restart();
                lastDisplayed = Iter;
                LogOutputs("Train", Net, Net.Outputs.Select(b => b.HostData.ToArray()).ToList());
            }
            float rate = ApplyUpdate(display);
            Iter++;
            IterationDone?.Invoke(Iter, loss, SmoothedLoss, rate);
            if (_checkWeightsEvery > 0 && _communicator.Size > 1 && Iter % _checkWeightsEvery == 0) CheckWeightsAgree();
            var request = _requested;
            if (IsRoot && ((Param.Snapshot > 0 && Iter % Param.Snapshot == 0) || request != SolverAction.None)) Snapshot();
            if (request == SolverAction.Snapshot) _requested = SolverAction.None;
            if (request == SolverAction.Stop) break;
        }
    }

    /// <summary>The mean of the last average_loss losses, summed afresh each time so a restored window gives the same bits.</summary>
    private void UpdateSmoothedLoss(float loss)
    {
        int window = Math.Max(1, Param.AverageLoss);
        _recentLosses.Enqueue(loss);
        if (_recentLosses.Count > window) _recentLosses.Dequeue();
        double sum = 0;
        foreach (float recent in _recentLosses) sum += recent;
        SmoothedLoss = (float)(sum / _recentLosses.Count);
    }

    private float ApplyUpdate(bool display)
    {
        float rate = LearningRatePolicy.Rate(Param, Iter);
        if (display) _log.Info("solver.cs", $"Iteration {Iter}, lr = {G(rate)}");
        ClipGradients();
        var parameters = Net.LearnableParams;
        for (int i = 0; i < parameters.Count; i++)
        {
            if (Param.IterSize > 1) Backend.Scal(1f / Param.IterSize, parameters[i].WriteDiff(Backend));
            Regularize(i);
            ComputeUpdateValue(i, rate);
        }
        if (Net.DebugInfo) Net.UpdateDebugInfo();
        foreach (var blob in parameters) Backend.Axpy(-1f, blob.ReadDiff(Backend), blob.WriteData(Backend));
        return rate;
    }

    private void ClipGradients()
    {
        float clip = Param.ClipGradients;
        if (clip < 0) return;
        double sumSquares = 0;
        foreach (var blob in Net.LearnableParams) sumSquares += Backend.SumSquares(blob.ReadDiff(Backend));
        float norm = (float)Math.Sqrt(sumSquares);
        if (norm <= clip) return;
        float scale = clip / norm;
        _log.Info("solver.cs", $"Gradient clipping: scaling down gradients (L2 norm {G(norm)} > {G(clip)}) by scale factor {G(scale)}");
        foreach (var blob in Net.LearnableParams) Backend.Scal(scale, blob.WriteDiff(Backend));
    }

    private void Regularize(int paramId)
    {
        var blob = Net.LearnableParams[paramId];
        float decay = Param.WeightDecay * Net.ParamsWeightDecay[paramId];
        if (decay == 0f) return;
        switch (Param.RegularizationType)
        {
            case "L2":
                Backend.Axpy(decay, blob.ReadData(Backend), blob.WriteDiff(Backend));
                break;
            case "L1":
                Backend.Map(new AddSignOp(decay), blob.ReadDiff(Backend), blob.ReadData(Backend), blob.WriteDiff(Backend));
                break;
            default:
                throw new CortadoException($"unknown regularization_type \"{Param.RegularizationType}\"; use \"L2\" or \"L1\"");
        }
    }

    /// <summary>Runs an update rule over one parameter's diff and its history blobs, on the backend.</summary>
    protected void Update<TRule>(int paramId, TRule rule) where TRule : struct, IUpdateRule
    {
        var diff = Net.LearnableParams[paramId].WriteDiff(Backend);
        var history = TRule.Histories > 0 ? HistoryOf(paramId, 0).WriteData(Backend) : default;
        var history2 = TRule.Histories > 1 ? HistoryOf(paramId, 1).WriteData(Backend) : default;
        Backend.SolverUpdate(rule, diff, history, history2);
    }

    /// <summary>The rate for one parameter: the policy's rate times its lr_mult.</summary>
    protected float LocalRate(int paramId, float rate) => rate * Net.ParamsLr[paramId];

    // ------------------------------------------------------------------ testing

    public void TestAll()
    {
        for (int i = 0; i < _testNets.Count && _requested != SolverAction.Stop; i++) Test(i);
    }

    public IReadOnlyList<(string Name, float Value)> Test(int index)
    {
        _log.Info("solver.cs", $"Iteration {Iter}, Testing net (#{index})");
        var net = _testNets[index];
        var sums = net.Outputs.Select(b => new double[b.Count]).ToList();
        double loss = 0;
        int iterations = Param.TestIter[index];
        for (int i = 0; i < iterations; i++)
        {
            // Caffe checks for a stop request between test batches: a long test pass must not hold up SIGINT.
            if (_requested == SolverAction.Stop)
            {
                _log.Info("solver.cs", "Test interrupted.");
                return [];
            }
            float iterationLoss = net.Forward();
            if (Param.TestComputeLoss) loss += iterationLoss;
            for (int o = 0; o < net.Outputs.Count; o++)
            {
                var data = net.Outputs[o].HostData;
                for (int k = 0; k < data.Length; k++) sums[o][k] += data[k];
            }
        }
        if (Param.TestComputeLoss) _log.Info("solver.cs", $"Test loss: {G(loss / iterations)}");
        var means = sums.Select(s => s.Select(v => (float)(v / iterations)).ToArray()).ToList();
        var report = LogOutputs("Test", net, means);
        TestDone?.Invoke(Iter, index, report);
        return report;
    }

    /// <summary>"    Train net output #0: loss = 2.30259 (* 1 = 2.30259 loss)", one line per output value.</summary>
    private List<(string, float)> LogOutputs(string kind, Net net, IReadOnlyList<float[]> values)
    {
        var report = new List<(string, float)>();
        int index = 0;
        for (int o = 0; o < net.Outputs.Count; o++)
        {
            var blob = net.Outputs[o];
            float weight = net.LossWeightOf(blob);
            foreach (float value in values[o])
            {
                string lossText = weight != 0f ? $" (* {G(weight)} = {G(weight * value)} loss)" : "";
                _log.Info("solver.cs", $"    {kind} net output #{index++}: {blob.Name} = {G(value)}{lossText}");
                report.Add((blob.Name, value));
            }
        }
        return report;
    }

    // ------------------------------------------------------------------ snapshots

    /// <summary>Writes PREFIX_iter_N.caffemodel and .solverstate (with .h5 appended in HDF5 format), each atomically; returns the state file.</summary>
    public string Snapshot()
    {
        bool hdf5 = Param.SnapshotFormat == SolverParameter.Types.SnapshotFormat.Hdf5;
        string prefix = SnapshotPrefix(), extension = hdf5 ? ".h5" : "", kind = hdf5 ? "HDF5" : "binary proto";
        string model = $"{prefix}_iter_{Iter}.caffemodel{extension}";
        _log.Info("solver.cs", $"Snapshotting to {kind} file {model}");
        if (hdf5) IO.Hdf5Snapshots.WriteNet(model, Net.ToProto(), Param.SnapshotDiff);
        else ProtoFiles.WriteBinary(model, Net.ToProto(Param.SnapshotDiff));
        string state = $"{prefix}_iter_{Iter}.solverstate{extension}";
        _log.Info("solver.cs", $"Snapshotting solver state to {kind} file {state}");
        var solverState = new SolverState { Iter = Iter, LearnedNet = model, CurrentStep = LearningRatePolicy.CurrentStep(Param, Iter), CortadoResume = ResumeState() };
        // Caffe's order: the first history set for every parameter, then the second set.
        for (int set = 0; set < HistorySets; set++)
            for (int i = 0; i < Net.LearnableParams.Count; i++) solverState.History.Add(HistoryOf(i, set).ToProto());
        if (hdf5) IO.Hdf5Snapshots.WriteState(state, solverState);
        else ProtoFiles.WriteBinary(state, solverState);
        LastSnapshot = state;
        _snapshotIter = Iter;
        return state;
    }

    /// <summary>What an exact resume needs beyond Caffe's fields: the seed, every data layer's position, the loss window.</summary>
    private ResumeState ResumeState()
    {
        var resume = new ResumeState { RandomSeed = _seed };
        resume.RecentLosses.Add(_recentLosses);
        foreach (var (net, label) in NetsByLabel())
            foreach (var layer in net.Layers)
                if (layer is IResumableData data)
                    resume.Data.Add(new DataPosition { Net = label, Layer = layer.Name, Consumed = data.Position.NextRecord, TransformSeed = data.Position.TransformSeed });
        return resume;
    }

    private void RestoreResumeState(ResumeState resume, string stateFile)
    {
        _seed = (int)resume.RandomSeed;
        _restoredLosses = [.. resume.RecentLosses];
        var nets = NetsByLabel().ToDictionary(n => n.Label, n => n.Net);
        foreach (var position in resume.Data)
        {
            // A net changed since the snapshot keeps its layers' fresh positions; the weights still had to fit.
            if (!nets.TryGetValue(position.Net, out var net) || net.Layers.FirstOrDefault(l => l.Name == position.Layer) is not IResumableData data)
            {
                _log.Warning("solver.cs", $"{stateFile}: no data layer '{position.Layer}' in the {position.Net} net to resume; it starts from its first record");
                continue;
            }
            data.Resume(position.Consumed, (int)position.TransformSeed);
        }
    }

    private IEnumerable<(Net Net, string Label)> NetsByLabel() => _testNets.Select((n, i) => (n, $"test{i}")).Prepend((Net, "train"));

    private string SnapshotPrefix()
    {
        if (Param.HasSnapshotPrefix && Param.SnapshotPrefix.Length > 0) return Param.SnapshotPrefix;
        if (SolverPath != null) return Path.Combine(Path.GetDirectoryName(SolverPath) ?? "", Path.GetFileNameWithoutExtension(SolverPath));
        return Net.Name.Length > 0 ? Net.Name : "snapshot";
    }

    /// <summary>Loads a .solverstate (and the .caffemodel it names): weights, history, iteration.</summary>
    public void Restore(string stateFile)
    {
        if (!File.Exists(stateFile) && stateFile.Contains(".solverstate", StringComparison.Ordinal)
            && stateFile.Replace(".solverstate", ".caffemodel") is { } model0 && File.Exists(model0))
            throw new ModelFileException(stateFile, $"not found, but {model0} is there: the run was stopped between writing the weights and the solver state. " +
                "Resume from the snapshot before it, or start from these weights with --weights (the iteration count and momentum start afresh)");
        var state = ProtoFiles.ReadSolverState(stateFile);
        int expected = Net.LearnableParams.Count * HistorySets;
        if (state.History.Count != expected)
            throw new ModelFileException(stateFile, $"holds {state.History.Count} history blobs, but this {Type} solver on net '{Net.Name}' needs {expected} ({Net.LearnableParams.Count} learnable parameters x {HistorySets}); was it written for another net or solver type?");
        if (state.LearnedNet.Length == 0)
            throw new ModelFileException(stateFile, "names no weights file (learned_net is empty); resuming would start from the fillers' values, not the snapshot's");
        string model = ResolveNear(state.LearnedNet, stateFile);
        Net.CopyTrainedLayersFrom(ProtoFiles.ReadWeights(model), model);
        for (int set = 0; set < HistorySets; set++)
        {
            for (int i = 0; i < Net.LearnableParams.Count; i++)
            {
                var stored = state.History[set * Net.LearnableParams.Count + i];
                var shape = Blob.ProtoShape(stored, $"{stateFile}, history blob {set * Net.LearnableParams.Count + i}");
                if (!Net.LearnableParams[i].Shape.SequenceEqual(shape))
                    throw new ModelFileException(stateFile, $"history for {Net.LearnableParamName(i)} has shape {string.Join(" ", shape)}, but the net's parameter has shape {Net.LearnableParams[i].ShapeString}; the snapshot is from a different net");
                HistoryOf(i, set).FromProto(stored, reshape: false);
            }
        }
        Iter = state.Iter;
        if (state.CortadoResume != null) RestoreResumeState(state.CortadoResume, stateFile);
    }

    private static string ResolveNear(string path, string stateFile)
    {
        if (File.Exists(path)) return path;
        string sibling = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(stateFile)) ?? "", Path.GetFileName(path));
        if (File.Exists(sibling)) return sibling;
        throw new ModelFileException(stateFile, $"names the weights file {path}, which does not exist (nor does {sibling})");
    }

    private void Validate(SolverParameter p)
    {
        if (!p.HasMaxIter || p.MaxIter <= 0) throw new CortadoException($"max_iter must be positive, got {(p.HasMaxIter ? p.MaxIter : "none")}");
        LearningRatePolicy.Validate(p);
        if (p.IterSize < 1) throw new CortadoException($"iter_size must be at least 1, got {p.IterSize}");
        if (p.AverageLoss < 1) throw new CortadoException($"average_loss must be at least 1, got {p.AverageLoss}");
        if (p.RegularizationType is not ("L1" or "L2")) throw new CortadoException($"unknown regularization_type \"{p.RegularizationType}\"; use \"L2\" or \"L1\"");
        if (!float.IsFinite(p.BaseLr) || !float.IsFinite(p.Momentum) || !float.IsFinite(p.WeightDecay))
            throw new CortadoException($"base_lr, momentum and weight_decay must be finite numbers, got {G(p.BaseLr)}, {G(p.Momentum)}, {G(p.WeightDecay)}");
        ValidateRule(p);
    }

    /// <summary>Legal by Caffe's rules but almost surely a mistake: said once, at the start.</summary>
    private void WarnAboutLikelyMistakes(SolverParameter p)
    {
        if (p.BaseLr < 0) _log.Warning("solver.cs", $"base_lr is negative ({G(p.BaseLr)}): every step climbs the loss instead of descending it");
        if (p.Momentum >= 1) _log.Warning("solver.cs", $"momentum is {G(p.Momentum)}; at 1 or more the update grows without bound (usual values: 0.9 to 0.99)");
    }
}

/// <summary>What a signal asks of a running solver.</summary>
public enum SolverAction { None, Stop, Snapshot }
