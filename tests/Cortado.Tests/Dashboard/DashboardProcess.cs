using System.Diagnostics;
using System.Text;

namespace Cortado.Tests.Dashboard;

/// <summary>
/// A <c>cortado</c> verb with --dashboard running as a child process (its input redirected, as in
/// a script): started, its dashboard address read from the line it prints, stopped by a signal.
/// </summary>
internal sealed class DashboardProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _error = new(), _output = new();
    private readonly Task[] _readers = [Task.CompletedTask, Task.CompletedTask];

    private const string Prefix = "cortado: dashboard at ";

    private DashboardProcess(Process process) => _process = process;

    public Uri Url { get; private set; } = null!;

    public string Error { get { lock (_error) return _error.ToString(); } }

    public string Output { get { lock (_output) return _output.ToString(); } }

    public static DashboardProcess Start(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Cortado.Cli.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        var process = Process.Start(start)!;
        var running = new DashboardProcess(process);
        var address = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        running._readers[0] = Task.Run(async () =>
        {
            for (string? line; (line = await process.StandardError.ReadLineAsync()) != null;)
            {
                lock (running._error) running._error.AppendLine(line);
                if (line.StartsWith(Prefix, StringComparison.Ordinal)) address.TrySetResult(line[Prefix.Length..].Trim());
            }
            address.TrySetResult(null);
        });
        running._readers[1] = Task.Run(async () =>
        {
            for (string? line; (line = await process.StandardOutput.ReadLineAsync()) != null;)
                lock (running._output) running._output.AppendLine(line);
        });
        if (!address.Task.Wait(TimeSpan.FromSeconds(120)) || address.Task.Result == null)
            Assert.Fail($"cortado {string.Join(' ', args)} printed no dashboard address:\n{running.Error}{running.Output}");
        running.Url = new Uri(address.Task.Result!);
        return running;
    }

    /// <summary>SIGTERM, as Ctrl-C would be (a test host may start children with SIGINT ignored).</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString()]);
        kill.WaitForExit();
    }

    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) Assert.Fail($"the process did not end in {timeout.TotalSeconds} s:\n{Error}");
        Task.WaitAll(_readers, TimeSpan.FromSeconds(10)); // the readers take the last lines, to the end of the streams
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
