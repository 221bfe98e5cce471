using Cortado.Compute;
using Cortado.Proto;

namespace Cortado.Solvers;

/// <summary>
/// Adam (beta1 = momentum, beta2 = momentum2, eps = delta, t = iter + 1):
/// m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; W -= rate sqrt(1 - b2^t) / (1 - b1^t) m / (sqrt(v) + eps).
/// </summary>
public sealed class AdamSolver(SolverParameter param, SolverOptions? options = null) : Solver(param, options)
{
    public override string Type => "Adam";
    protected override int HistorySets => 2;

    protected override void ComputeUpdateValue(int paramId, float rate)
    {
        float beta1 = Param.Momentum, beta2 = Param.Momentum2, eps = Param.Delta;
        int t = Iter + 1;
        float correction = MathF.Sqrt(1f - MathF.Pow(beta2, t)) / (1f - MathF.Pow(beta1, t));
        float local = LocalRate(paramId, rate) * correction;
        Update(paramId, new AdamRule(local, beta1, beta2, eps));
    }
}
