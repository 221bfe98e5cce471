using System.Diagnostics;

namespace Cortado.Tests.Cli;

/// <summary>
/// Runs the built <c>cortado</c> tool as a child process in a chosen working directory, for tests
/// of relative paths as a user's shell sees them (changing this process's directory would race
/// with the tests running beside it).
/// </summary>
internal static class CortadoProcess
{
    public static (int Code, string Output, string Error) Run(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Cortado.Cli.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"cortado {string.Join(' ', args)} did not finish in 120 s");
        }
        return (process.ExitCode, output, error.Result);
    }
}
