using System.Diagnostics;
using Cortado.Diagnostics;
using Cortado.Layers;
using Cortado.Nets;
using Cortado.Solvers;
using static Cortado.Logging.CppFormat;

namespace Cortado.Monitoring;

/// <summary>
/// The diagnose monitors, live: records a solver's loss, rate and test outputs into a
/// <see cref="RunHistory"/>, samples every layer's activation, gradient and update scales and
/// dead ReLUs now and then, and raises findings as they appear: a non-finite loss and the layer it
/// came from, a loss stuck at chance, one class predicted for everything, ReLUs that never fire.
/// </summary>
public sealed class TrainingMonitor : IDisposable
{
    private readonly Solver _solver;
    private readonly MonitorOptions _options;
    private readonly Net _net;
    private readonly (Layer Layer, int Index)[] _scaled, _relus;
    private readonly int _lossLayer, _classes;
    private readonly Queue<float> _recentLosses = new();
    private readonly Queue<int[]> _predictions = new();
    private readonly Stopwatch _sinceSample = new();
    private List<(LayerScale Scale, Tensors.Blob? Parameter, double Weight)>? _pending;
    private int _pendingIteration;

    public TrainingMonitor(Solver solver, RunHistory history, MonitorOptions? options = null)
    {
        _solver = solver;
        History = history;
        _options = options ?? new MonitorOptions();
        _net = solver.Net;
        var layers = _net.Layers.Select((layer, index) => (layer, index)).ToArray();
        _scaled = layers.Where(p => p.layer.Blobs.Count > 0 && p.layer.Blobs[0].Count > 0 && _net.Tops[p.index].Count > 0).ToArray();
        _relus = layers.Where(p => p.layer is ReLULayer && _net.Tops[p.index].Count > 0).ToArray();
        _lossLayer = Array.FindIndex(layers, p => p.layer is SoftmaxWithLossLayer);
        _classes = _lossLayer < 0 ? 0 : _net.Bottoms[_lossLayer][0].CountFrom(1);
        solver.AfterBackward += OnAfterBackward;
        solver.IterationDone += OnIterationDone;
        solver.TestDone += OnTestDone;
    }

    public RunHistory History { get; }

    /// <summary>A new live run for a solver: named after its file (or <paramref name="name"/>), with its train net to draw and its folder's files.</summary>
    public static RunHistory NewRun(Solver solver, string? name = null)
    {
        var (train, _) = SolverNets.Resolve(solver.Param, solver.SolverPath);
        string? folder = solver.SolverPath == null ? null : Path.GetDirectoryName(Path.GetFullPath(solver.SolverPath));
        return new RunHistory(name ?? (solver.SolverPath != null ? Path.GetFileNameWithoutExtension(solver.SolverPath) : solver.Net.Name),
            folder, NetFilter.Filter(train.Net, train.State));
    }

    /// <summary>Runs the training, recording how it ended; a diverged run raises the finding before it rethrows.</summary>
    public void Run(Action train)
    {
        try
        {
            train();
            History.SetState(_solver.Iter >= _solver.Param.MaxIter ? RunState.Finished : RunState.Stopped, $"at iteration {_solver.Iter}");
        }
        catch (TrainingDivergedException e)
        {
            History.Raise(new Finding(Severity.Error, "LOSS_NOT_FINITE",
                e.Layer != null ? $"The loss became {G(e.Loss)}; the first non-finite values came out of {e.Layer}" : $"The loss became {G(e.Loss)}",
                e.Message,
                "Once a value overflows, every later computation is NaN. The first layer whose outputs are not finite is where to look: its inputs or weights grew too large.",
                "scale the inputs, lower base_lr, or set clip_gradients: 10", Rank: 3), e.Iteration);
            History.SetState(RunState.Diverged, $"at iteration {e.Iteration}");
            throw;
        }
        catch (Exception e)
        {
            History.SetState(RunState.Failed, e.Message);
            throw;
        }
    }

    public void Dispose()
    {
        _solver.AfterBackward -= OnAfterBackward;
        _solver.IterationDone -= OnIterationDone;
        _solver.TestDone -= OnTestDone;
    }

    private void OnTestDone(int iteration, int testNet, IReadOnlyList<(string Name, float Value)> outputs)
    {
        foreach (var (name, value) in outputs) History.AddTest(new TestPoint(iteration, testNet, name, value));
    }

    /// <summary>Takes the activation and gradient scales now; the update is only known after the step.</summary>
    private void OnAfterBackward(int iteration, float loss)
    {
        _recentLosses.Enqueue(loss);
        if (_recentLosses.Count > _options.ChanceWindow) _recentLosses.Dequeue();
        if (iteration % Math.Max(1, _options.SampleEvery) != 0) return;
        if (_sinceSample.IsRunning && _sinceSample.Elapsed < _options.MinInterval) return;
        _sinceSample.Restart();

        var scales = new List<(LayerScale, Tensors.Blob?, double)>(_scaled.Length + _relus.Length);
        foreach (var (layer, index) in _scaled)
        {
            var parameter = layer.Blobs[0];
            scales.Add((new LayerScale(layer.Name, layer.Type, BlobStatistics.Rms(_net.Tops[index][0].Data), BlobStatistics.Rms(parameter.Diff),
                double.NaN, double.NaN), parameter, BlobStatistics.Rms(parameter.Data)));
        }
        bool anyDead = false;
        foreach (var (layer, index) in _relus)
        {
            double dead = BlobStatistics.NeverPositiveFraction(_net.Tops[index][0]);
            scales.Add((new LayerScale(layer.Name, layer.Type, BlobStatistics.Rms(_net.Tops[index][0].Data), double.NaN, double.NaN, dead), null, double.NaN));
            anyDead |= dead > 0.5;
            if (dead > 0.5)
                History.Raise(new Finding(Severity.Warning, "DEAD_RELU", $"Most units after '{layer.Name}' never fire",
                    $"{layer.Name}: {dead * 100:F0}% of {_net.Tops[index][0].CountFrom(1)} units were not positive for any sample of the batch at iteration {iteration}",
                    "A ReLU that is never positive passes no gradient, so the weights before it stop learning.", "scale the inputs; lower base_lr", Rank: 15), iteration);
        }
        if (!anyDead) History.Clear("DEAD_RELU", iteration);
        _pending = scales;
        _pendingIteration = iteration;
        CheckPredictions(iteration);
        CheckChance(iteration);
    }

    /// <summary>After the update the parameter diffs hold the step taken: the update/weight ratio completes the sample.</summary>
    private void OnIterationDone(int iterationsDone, float loss, float smoothed, float rate)
    {
        History.AddPoint(new TrainPoint(iterationsDone - 1, loss, smoothed, rate));
        if (_pending == null) return;
        var layers = new List<LayerScale>(_pending.Count);
        foreach (var (scale, parameter, weight) in _pending)
            layers.Add(parameter == null ? scale : scale with { UpdateRatio = weight > 0 ? BlobStatistics.Rms(parameter.Diff) / weight : double.NaN });
        History.AddSample(new LayerSample(_pendingIteration, layers));
        _pending = null;
    }

    private void CheckChance(int iteration)
    {
        if (_classes < 2 || _recentLosses.Count < _options.ChanceWindow) return;
        var judged = ChanceTest.Judge(_recentLosses.ToArray(), _classes);
        if (judged.AtChance)
            History.Raise(ChanceTest.Finding(_classes,
                $"mean loss over the last {_recentLosses.Count} iterations: {G(judged.Mean)} (spread {G(judged.Spread)}, change {G(-judged.Drop)})",
                "scale the inputs, check for dead units, lower base_lr (cortado diagnose names the cause)"), iteration);
        else History.Clear("LOSS_AT_CHANCE", iteration);
    }

    private void CheckPredictions(int iteration)
    {
        if (_classes < 2) return;
        var counts = new int[_classes];
        BlobStatistics.CountPredictions(_net.Bottoms[_lossLayer][0], counts);
        _predictions.Enqueue(counts);
        if (_predictions.Count > _options.PredictionSamples) _predictions.Dequeue();
        var pooled = new int[_classes];
        foreach (var batch in _predictions) for (int c = 0; c < _classes; c++) pooled[c] += batch[c];
        int total = pooled.Sum(), most = pooled.Max();
        if (_predictions.Count >= Math.Min(3, _options.PredictionSamples) && most >= 0.95 * total)
            History.Raise(new Finding(Severity.Error, "ONE_CLASS", "The net predicts one class for everything",
                $"{most * 100.0 / total:F0}% of the last {total} sampled predictions are class {Array.IndexOf(pooled, most)}",
                "A constant prediction means the last layers ignore their input: look for dead ReLUs or a saturated first layer.", Rank: 6), iteration);
        else History.Clear("ONE_CLASS", iteration);
    }
}
