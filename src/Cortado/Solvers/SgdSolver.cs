using Cortado.Compute;
using Cortado.Proto;

namespace Cortado.Solvers;

/// <summary>SGD with momentum: h = momentum h + rate g; W -= h.</summary>
public sealed class SgdSolver(SolverParameter param, SolverOptions? options = null) : Solver(param, options)
{
    public override string Type => "SGD";

    protected override void ComputeUpdateValue(int paramId, float rate)
    {
        Update(paramId, new SgdRule(LocalRate(paramId, rate), Param.Momentum));
    }
}
