using Cortado.Diagnostics;

namespace Cortado.Cli.Verbs;

/// <summary>Explains why a net does (not) learn: static checks, a short probe run with monitors, findings with fixes.</summary>
public sealed class DiagnoseVerb : IVerb
{
    public string Name => "diagnose";
    public string Summary => "explain why a net does not learn: checks, a probe run, findings with fixes";
    public string Usage => "--solver S.prototxt [--iterations N] [--fix OUT_DIR]";
    public IReadOnlyList<Flag> Flags =>
    [
        new("solver", "the solver prototxt"),
        new("iterations", "probe iterations (default 100)"),
        new("fix", "write corrected net and solver prototxts to this folder"),
    ];

    public int Run(VerbArguments arguments, VerbConsole console)
    {
        arguments.ExpectPositional(0);
        string solver = arguments.Require("solver");
        int iterations = arguments.GetInt("iterations", 100);
        var report = Diagnosis.Run(solver, iterations);
        Print(report, console.Out);
        if (arguments.Get("fix") is { } folder)
        {
            var (net, fixedSolver) = Diagnosis.Fix(report, folder);
            console.Out.WriteLine($"Wrote the corrected configuration: {net} and {fixedSolver}");
        }
        return 0;
    }

    public static void Print(Diagnosis.Report report, TextWriter output)
    {
        output.WriteLine($"Diagnosis of {report.Solver} (static checks, then a probe of {report.Iterations} training iterations)");
        output.WriteLine();
        foreach (var finding in report.Findings)
        {
            string tag = finding.Severity switch { Severity.Error => "ERROR", Severity.Warning => "WARN ", _ => "info " };
            output.WriteLine($"[{tag}] {finding.Title}  ({finding.Code})");
            output.WriteLine($"  evidence: {finding.Evidence}");
            output.WriteLine($"  why:      {finding.Explanation}");
            if (finding.Fix != null) output.WriteLine($"  fix:      {finding.Fix}");
            output.WriteLine();
        }
        int errors = report.Findings.Count(f => f.Severity == Severity.Error), warnings = report.Findings.Count(f => f.Severity == Severity.Warning);
        var first = report.Findings.FirstOrDefault(f => f.Severity >= Severity.Warning);
        output.WriteLine($"{errors} error(s), {warnings} warning(s). {(first != null ? $"Most likely cause: {first.Title}." : "No problem found.")}");
    }
}
