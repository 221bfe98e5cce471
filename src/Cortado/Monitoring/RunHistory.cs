using Cortado.Diagnostics;
using Cortado.Proto;

namespace Cortado.Monitoring;

/// <summary>
/// Everything recorded about one training run, live or read from its log: the loss and rate of
/// each iteration, the test outputs, sampled per-layer scales, and findings. Training appends from
/// its own thread while readers (the dashboard) take what is new since their <see cref="RunCursor"/>.
/// </summary>
public sealed class RunHistory
{
    /// <summary>Points kept per doubling of the stride, so a run of millions of iterations stays small.</summary>
    public const int PointsPerStride = 20_000;

    private readonly Lock _gate = new();
    private readonly List<TrainPoint> _points = [];
    private readonly List<TestPoint> _tests = [];
    private readonly List<LayerSample> _samples = [];
    private readonly List<LiveFinding> _findings = [];
    private int _stride = 1, _nextDoubling = PointsPerStride;
    private int _findingsVersion, _stateVersion = 1;
    private RunState _state;
    private string? _stateDetail;

    public RunHistory(string name, string? directory = null, NetParameter? net = null, RunState state = RunState.Training)
    {
        Name = name;
        Directory = directory;
        Net = net;
        _state = state;
    }

    public string Name { get; }

    /// <summary>The run's folder, whose files a reader may fetch; null when it has none.</summary>
    public string? Directory { get; }

    /// <summary>The training net's description, to draw; null when unknown.</summary>
    public NetParameter? Net { get; }

    public RunState State { get { lock (_gate) return _state; } }

    /// <summary>Every iteration until <see cref="PointsPerStride"/> points, then every 2nd, 4th, ... iteration.</summary>
    public void AddPoint(TrainPoint point)
    {
        lock (_gate)
        {
            if (point.Iteration % _stride != 0) return;
            _points.Add(point);
            if (_points.Count >= _nextDoubling) { _stride *= 2; _nextDoubling += PointsPerStride; }
        }
    }

    public void AddTest(TestPoint point) { lock (_gate) _tests.Add(point); }

    public void AddSample(LayerSample sample) { lock (_gate) _samples.Add(sample); }

    /// <summary>Raises a finding, or keeps the one already active under its code (first iteration kept, evidence renewed).</summary>
    public void Raise(Finding finding, int iteration)
    {
        lock (_gate)
        {
            int index = _findings.FindIndex(f => f.Finding.Code == finding.Code && f.Active);
            if (index >= 0) _findings[index] = _findings[index] with { Finding = finding };
            else _findings.Add(new LiveFinding(finding, iteration, Active: true));
            _findingsVersion++;
        }
    }

    /// <summary>Marks the active finding under <paramref name="code"/> as no longer holding.</summary>
    public void Clear(string code, int iteration)
    {
        lock (_gate)
        {
            int index = _findings.FindIndex(f => f.Finding.Code == code && f.Active);
            if (index < 0) return;
            _findings[index] = _findings[index] with { Active = false, ClearedAt = iteration };
            _findingsVersion++;
        }
    }

    public bool IsActive(string code) { lock (_gate) return _findings.Exists(f => f.Finding.Code == code && f.Active); }

    public void SetState(RunState state, string? detail = null)
    {
        lock (_gate)
        {
            _state = state;
            _stateDetail = detail;
            _stateVersion++;
        }
    }

    /// <summary>What was added or changed since <paramref name="seen"/>, and the cursor to read on from.</summary>
    public RunDelta ReadSince(RunCursor seen)
    {
        lock (_gate)
        {
            var cursor = new RunCursor(_points.Count, _tests.Count, _samples.Count, _findingsVersion, _stateVersion);
            return new RunDelta(cursor,
                _points.GetRange(seen.Points, _points.Count - seen.Points),
                _tests.GetRange(seen.Tests, _tests.Count - seen.Tests),
                _samples.GetRange(seen.Samples, _samples.Count - seen.Samples),
                seen.FindingsVersion != _findingsVersion ? _findings.ToList() : null,
                seen.StateVersion != _stateVersion ? _state : null,
                seen.StateVersion != _stateVersion ? _stateDetail : null);
        }
    }

    /// <summary>Everything recorded so far.</summary>
    public RunDelta ReadAll() => ReadSince(default);
}
