using Cortado.Proto;

namespace Cortado.Cli.Verbs;

/// <summary>Rewrites a solver prototxt that uses the old solver_type enum with the type string.</summary>
public sealed class UpgradeSolverVerb : IVerb
{
    public string Name => "upgrade-solver";
    public string Summary => "rewrite a solver prototxt that uses the old solver_type enum";
    public string Usage => "IN OUT";
    public IReadOnlyList<Flag> Flags => [];

    public int Run(VerbArguments arguments, VerbConsole console)
    {
        var output = console.Out;
        var paths = arguments.ExpectPositional(2);
        var solver = ProtoFiles.ReadText<SolverParameter>(paths[0]);
        bool changed = SolverUpgrader.Upgrade(solver);
        ProtoFiles.WriteText(paths[1], solver);
        output.WriteLine(changed
            ? $"Upgraded {paths[0]} (type \"{solver.Type}\", and the nets written inside it) to {paths[1]}"
            : $"{paths[0]} was already in the current form; copied to {paths[1]}");
        return 0;
    }
}
