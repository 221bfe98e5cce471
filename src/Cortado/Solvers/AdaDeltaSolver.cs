using Cortado.Compute;
using Cortado.Proto;

namespace Cortado.Solvers;

/// <summary>
/// AdaDelta (momentum plays rho): h = m h + (1 - m) g^2; u = g sqrt((h2 + delta) / (h + delta));
/// h2 = m h2 + (1 - m) u^2; W -= rate u. The second history set (h2) follows the first in snapshots.
/// </summary>
public sealed class AdaDeltaSolver(SolverParameter param, SolverOptions? options = null) : Solver(param, options)
{
    public override string Type => "AdaDelta";
    protected override int HistorySets => 2;

    protected override void ComputeUpdateValue(int paramId, float rate)
    {
        Update(paramId, new AdaDeltaRule(LocalRate(paramId, rate), Param.Momentum, Param.Delta));
    }
}
