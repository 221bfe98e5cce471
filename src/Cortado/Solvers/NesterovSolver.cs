using Cortado.Compute;
using Cortado.Proto;

namespace Cortado.Solvers;

/// <summary>Nesterov's accelerated gradient: h' = momentum h + rate g; W -= (1 + momentum) h' - momentum h.</summary>
public sealed class NesterovSolver(SolverParameter param, SolverOptions? options = null) : Solver(param, options)
{
    public override string Type => "Nesterov";
    private float[] _previous = [];

    protected override void ComputeUpdateValue(int paramId, float rate)
    {
        var diff = Net.LearnableParams[paramId].Diff;
        var history = HistoryOf(paramId).Data;
        if (_previous.Length < history.Length) _previous = new float[history.Length];
        var previous = _previous.AsSpan(0, history.Length);
        history.CopyTo(previous);
        Blas.Axpby(LocalRate(paramId, rate), diff, Param.Momentum, history);
        float momentum = Param.Momentum;
        for (int i = 0; i < diff.Length; i++) diff[i] = (1f + momentum) * history[i] - momentum * previous[i];
    }
}
