using Cortado.Compute;
using Cortado.Proto;

namespace Cortado.Solvers;

/// <summary>SGD with momentum: h = momentum h + rate g; W -= h.</summary>
public sealed class SgdSolver(SolverParameter param, SolverOptions? options = null) : Solver(param, options)
{
    public override string Type => "SGD";

    protected override void ComputeUpdateValue(int paramId, float rate)
    {
        var diff = Net.LearnableParams[paramId].Diff;
        var history = HistoryOf(paramId).Data;
        Blas.Axpby(LocalRate(paramId, rate), diff, Param.Momentum, history);
        history.CopyTo(diff);
    }
}
