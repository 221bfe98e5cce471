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
    /// <summary>The job this solver trains in, data-parallel: one process by default, or the ranks of an mpirun.</summary>
    public Distributed.ICommunicator Communicator { get; init; } = Distributed.SingleProcess.Instance;
    /// <summary>With several ranks, check every this many iterations that all hold bit-identical weights (0: never).</summary>
    public int CheckWeightsEvery { get; init; }
}
