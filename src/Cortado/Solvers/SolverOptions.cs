using Cortado.Compute;
using Cortado.Logging;

namespace Cortado.Solvers;

/// <summary>How a solver is run: where it logs, and where relative paths in the solver file are resolved.</summary>
public sealed record SolverOptions
{
    public CaffeLog Log { get; init; } = CaffeLog.Null;
    /// <summary>The backend the nets and the updates run on.</summary>
    public ICompute Compute { get; init; } = CpuCompute.Instance;
    /// <summary>The solver file, when there is one: its name gives the default snapshot prefix, its folder a second place to find the net.</summary>
    public string? SolverPath { get; init; }
}
