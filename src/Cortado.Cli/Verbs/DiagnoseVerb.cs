using Cortado.Diagnostics;

namespace Cortado.Cli.Verbs;

/// <summary>Explains why a net does (not) learn: static checks, a short probe run with monitors, findings with fixes.</summary>
public sealed class DiagnoseVerb : IVerb
{
    public string Name => "diagnose";
    public string Summary => "explain why a net does not learn: checks, a probe run, findings with fixes";
    public string Usage => "--solver S.prototxt [--iterations N] [--report OUT.html] [--fix OUT_DIR [--verify [--verify_iterations N]]]";
    public IReadOnlyList<Flag> Flags =>
    [
        new("solver", "the solver prototxt"),
        new("iterations", "probe iterations (default 100)"),
        new("fix", "write corrected net and solver prototxts to this folder"),
        new("report", "write the findings and plots as one HTML file (opens offline)"),
        new("verify", "train the corrected configuration briefly and show whether its loss falls", TakesValue: false),
        new("verify_iterations", "iterations for --verify (default 300)"),
    ];

    public int Run(VerbArguments arguments, VerbConsole console)
    {
        arguments.ExpectPositional(0);
        string solver = arguments.Require("solver");
        int iterations = arguments.GetInt("iterations", 100);
        var report = Diagnosis.Run(solver, iterations);
        Print(report, console.Out);
        if (arguments.Get("report") is { } html)
        {
            DiagnosisReport.Write(report, html);
            console.Out.WriteLine($"Wrote the report: {html}");
        }
        if (arguments.Get("fix") is { } folder)
        {
            var (net, fixedSolver) = Diagnosis.Fix(report, folder);
            console.Out.WriteLine($"Wrote the corrected configuration: {net} and {fixedSolver}");
            if (arguments.Has("verify")) return Verify(fixedSolver, arguments.GetInt("verify_iterations", 300), console.Out);
        }
        else if (arguments.Has("verify")) throw new Errors.CortadoException("diagnose: --verify trains the corrected configuration; give --fix OUT_DIR too");
        // A diagnosis with checks left out is not a clean bill of health.
        return report.Skipped.Count > 0 ? 1 : 0;
    }

    /// <summary>Trains the corrected configuration for a while: the loss should fall well below where it started.</summary>
    private static int Verify(string solverPath, int iterations, TextWriter output)
    {
        var param = Proto.ProtoFiles.ReadSolverText(solverPath);
        param.Snapshot = 0;
        param.SnapshotAfterTrain = false;
        param.TestInterval = 0;
        using var solver = Solvers.SolverFactory.Create(param, new Solvers.SolverOptions { SolverPath = solverPath });
        iterations = Math.Min(iterations, param.MaxIter);
        var losses = new List<float>();
        solver.IterationDone += (iter, loss, smoothed, _) =>
        {
            losses.Add(loss);
            if (iter % Math.Max(1, iterations / 6) == 0) output.WriteLine($"  verify: iteration {iter}, loss {smoothed:F4}");
        };
        solver.Step(iterations);
        int window = Math.Max(1, iterations / 10);
        double first = losses.Take(window).Average(), last = losses.TakeLast(window).Average();
        bool falls = last < 0.8 * first;
        output.WriteLine(falls
            ? $"Verified: over {iterations} iterations the corrected configuration's loss fell from {first:F4} to {last:F4}."
            : $"Not verified: over {iterations} iterations the loss went from {first:F4} to {last:F4}; look at the findings again.");
        return falls ? 0 : 1;
    }

    public static void Print(Diagnosis.Report report, TextWriter output)
    {
        output.WriteLine(report.Skipped.Count == 0
            ? $"Diagnosis of {report.Solver} (static checks, then a probe of {report.Iterations} training iterations)"
            : $"Diagnosis of {report.Solver} (checks of the prototxts only: {string.Join(", ", report.MissingData)} not found)");
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
        if (report.Skipped.Count > 0)
        {
            output.WriteLine($"Skipped {report.Skipped.Count} checks:");
            foreach (var skipped in report.Skipped) output.WriteLine($"  - {skipped.Check}: {skipped.Reason}");
            output.WriteLine();
        }
        int errors = report.Findings.Count(f => f.Severity == Severity.Error), warnings = report.Findings.Count(f => f.Severity == Severity.Warning);
        var first = report.Findings.FirstOrDefault(f => f.Severity >= Severity.Warning);
        string verdict = first == null ? (report.Skipped.Count > 0 ? "No problem found in the checks that ran." : "No problem found.")
            : report.Skipped.Count > 0 ? $"Most serious so far: {first.Title}." : $"Most likely cause: {first.Title}.";
        output.WriteLine($"{errors} error(s), {warnings} warning(s). {verdict}");
    }
}
