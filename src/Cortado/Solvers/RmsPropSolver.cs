using Cortado.Compute;
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
        Update(paramId, new RmsPropRule(LocalRate(paramId, rate), Param.RmsDecay, Param.Delta));
    }
}
