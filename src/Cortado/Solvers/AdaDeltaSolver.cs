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
        var diff = Net.LearnableParams[paramId].Diff;
        var gradients = HistoryOf(paramId, 0).Data;
        var updates = HistoryOf(paramId, 1).Data;
        float local = LocalRate(paramId, rate), rho = Param.Momentum, delta = Param.Delta;
        for (int i = 0; i < diff.Length; i++)
        {
            gradients[i] = rho * gradients[i] + (1f - rho) * diff[i] * diff[i];
            float update = diff[i] * MathF.Sqrt((updates[i] + delta) / (gradients[i] + delta));
            updates[i] = rho * updates[i] + (1f - rho) * update * update;
            diff[i] = local * update;
        }
    }
}
