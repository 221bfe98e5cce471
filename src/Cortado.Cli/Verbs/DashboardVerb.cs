using Cortado.Dashboard;
using Cortado.Monitoring;

namespace Cortado.Cli.Verbs;

/// <summary>
/// <c>cortado dashboard LOG_OR_RUN_DIR...</c>: finished runs in the browser, side by side (the
/// seed as written against the corrected run): each Caffe-format log, or every *.log of a folder,
/// with its curves, the findings a log shows, and the net when the log names its file.
/// </summary>
public sealed class DashboardVerb : IVerb
{
    public string Name => "dashboard";
    public string Summary => "show finished runs (Caffe-format logs) side by side in the browser";
    public string Usage => "LOG_OR_RUN_DIR... [--port PORT] [--host HOST]";
    public IReadOnlyList<Flag> Flags =>
    [
        new("port", $"the port (default {DashboardServer.DefaultPort}; 0 picks a free one)"),
        new("host", "the address to listen on (default 127.0.0.1); any other has no authentication"),
    ];

    public int Run(VerbArguments arguments, VerbConsole console)
    {
        if (arguments.Positional.Count == 0)
            throw new Errors.CortadoException($"dashboard: give at least one training log or run folder; usage: cortado dashboard {Usage}");
        var catalog = new RunCatalog(arguments.Positional.SelectMany(LogRun.ReadAll));
        foreach (var run in catalog.Snapshot())
            console.Out.WriteLine($"{run.Name}: {run.ReadAll().Points.Count} display points, {run.State.ToString().ToLowerInvariant()}");
        using var session = DashboardSession.Start(catalog, arguments.Get("port") ?? "", arguments.Get("host"), console, Name);
        console.Error.WriteLine("cortado: serving until Ctrl-C");
        DashboardSession.WaitForStop(readEnter: false);
        return 0;
    }
}
