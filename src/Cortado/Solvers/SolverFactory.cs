using Cortado.Errors;
using Cortado.Proto;

namespace Cortado.Solvers;

/// <summary>Solvers by their type string (the old solver_type enum is upgraded to it first).</summary>
public static class SolverFactory
{
    private static readonly Dictionary<string, Func<SolverParameter, SolverOptions?, Solver>> Types = new()
    {
        ["SGD"] = (p, o) => new SgdSolver(p, o),
        ["Nesterov"] = (p, o) => new NesterovSolver(p, o),
        ["AdaGrad"] = (p, o) => new AdaGradSolver(p, o),
        ["RMSProp"] = (p, o) => new RmsPropSolver(p, o),
        ["AdaDelta"] = (p, o) => new AdaDeltaSolver(p, o),
        ["Adam"] = (p, o) => new AdamSolver(p, o),
    };

    public static IReadOnlyCollection<string> Names => Types.Keys;

    public static Solver Create(SolverParameter param, SolverOptions? options = null)
    {
        SolverUpgrader.Upgrade(param);
        if (!Types.TryGetValue(param.Type, out var create))
            throw new CortadoException($"unknown solver type \"{param.Type}\"; known: {string.Join(", ", Types.Keys)}");
        return create(param, options);
    }

    /// <summary>Reads a solver prototxt and creates its solver, with the file's name and folder as the solver's context.</summary>
    public static Solver FromFile(string path, Logging.CaffeLog? log = null) =>
        Create(ProtoFiles.ReadSolverText(path), new SolverOptions { SolverPath = path, Log = log ?? Logging.CaffeLog.Null });
}
