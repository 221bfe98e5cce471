using Cortado.Compute;
using Cortado.Errors;
using Cortado.Proto;

namespace Cortado.Solvers;

/// <summary>AdaGrad: h += g^2; W -= rate g / (sqrt(h) + delta). Momentum must be 0.</summary>
public sealed class AdaGradSolver(SolverParameter param, SolverOptions? options = null) : Solver(param, options)
{
    public override string Type => "AdaGrad";

    protected override void ValidateRule(SolverParameter p)
    {
        if (p.Momentum != 0f) throw new CortadoException($"the AdaGrad solver has no momentum; remove momentum: {p.Momentum}");
    }

    protected override void ComputeUpdateValue(int paramId, float rate)
    {
        Update(paramId, new AdaGradRule(LocalRate(paramId, rate), Param.Delta));
    }
}
