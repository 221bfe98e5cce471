using Cortado.Errors;

namespace Cortado.Proto;

/// <summary>
/// Moves the deprecated <c>solver_type</c> enum into the <c>type</c> string, as Caffe does, and
/// upgrades the nets written inside the solver (net_param, train_net_param, test_net_param) as
/// a net file would be (V0/V1 <c>layers</c> to <c>layer</c>, ...).
/// </summary>
public static class SolverUpgrader
{
    public static bool Upgrade(SolverParameter solver)
    {
        bool nets = false;
        foreach (var net in new[] { solver.NetParam, solver.TrainNetParam }.Concat(solver.TestNetParam))
            if (net != null) nets |= NetUpgrader.Upgrade(net);
        return UpgradeSolverType(solver) | nets;
    }

    private static bool UpgradeSolverType(SolverParameter solver)
    {
        if (!solver.HasSolverType) return false;
        string type = solver.SolverType switch
        {
            SolverParameter.Types.SolverType.Sgd => "SGD",
            SolverParameter.Types.SolverType.Nesterov => "Nesterov",
            SolverParameter.Types.SolverType.Adagrad => "AdaGrad",
            SolverParameter.Types.SolverType.Rmsprop => "RMSProp",
            SolverParameter.Types.SolverType.Adadelta => "AdaDelta",
            SolverParameter.Types.SolverType.Adam => "Adam",
            _ => throw new CortadoException($"unknown solver_type {solver.SolverType}"),
        };
        if (solver.HasType && solver.Type != type)
            throw new CortadoException($"the solver gives both solver_type: {solver.SolverType} and type: \"{solver.Type}\"; keep only type");
        solver.Type = type;
        solver.ClearSolverType();
        return true;
    }
}
