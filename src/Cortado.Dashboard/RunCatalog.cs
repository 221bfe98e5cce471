using Cortado.Monitoring;

namespace Cortado.Dashboard;

/// <summary>The runs a dashboard shows, in the order added; runs may be added while it serves (the demo's second run).</summary>
public sealed class RunCatalog
{
    private readonly Lock _gate = new();
    private readonly List<RunHistory> _runs = [];

    public RunCatalog(IEnumerable<RunHistory>? runs = null) => _runs.AddRange(runs ?? []);

    /// <summary>Adds a run and returns its id (its index, as the page's URLs name it).</summary>
    public int Add(RunHistory run)
    {
        lock (_gate)
        {
            _runs.Add(run);
            return _runs.Count - 1;
        }
    }

    public IReadOnlyList<RunHistory> Snapshot() { lock (_gate) return _runs.ToList(); }

    public RunHistory? Find(int id) { lock (_gate) return id >= 0 && id < _runs.Count ? _runs[id] : null; }
}
