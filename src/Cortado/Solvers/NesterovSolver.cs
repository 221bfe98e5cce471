using Cortado.Compute;
using Cortado.Proto;

namespace Cortado.Solvers;

/// <summary>Nesterov's accelerated gradient: h' = momentum h + rate g; W -= (1 + momentum) h' - momentum h.</summary>
public sealed class NesterovSolver(SolverParameter param, SolverOptions? options = null) : Solver(param, options)
{
    public override string Type => "Nesterov";

    protected override void ComputeUpdateValue(int paramId, float rate)
    {
        Update(paramId, new NesterovRule(LocalRate(paramId, rate), Param.Momentum));
    }
}
