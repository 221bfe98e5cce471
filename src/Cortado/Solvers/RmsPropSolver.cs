using Cortado.Errors;
using Cortado.Proto;

namespace Cortado.Solvers;

/// <summary>RMSProp: h = d h + (1 - d) g^2 with d = rms_decay; W -= rate g / (sqrt(h) + delta). Momentum must be 0.</summary>
public sealed class RmsPropSolver(SolverParameter param, SolverOptions? options = null) : Solver(param, options)
{
    public override string Type => "RMSProp";

    protected override void ValidateRule(SolverParameter p)
    {
        if (p.Momentum != 0f) throw new CortadoException($"the RMSProp solver has no momentum (use rms_decay); remove momentum: {p.Momentum}");
    }

    protected override void ComputeUpdateValue(int paramId, float rate)
    {
        var diff = Net.LearnableParams[paramId].Diff;
        var history = HistoryOf(paramId).Data;
        float local = LocalRate(paramId, rate), decay = Param.RmsDecay, delta = Param.Delta;
        for (int i = 0; i < diff.Length; i++)
        {
            history[i] = decay * history[i] + (1f - decay) * diff[i] * diff[i];
            diff[i] = local * diff[i] / (MathF.Sqrt(history[i]) + delta);
        }
    }
}
