using System.Globalization;
using System.Runtime.InteropServices;
using Cortado.Cli.Verbs;
using Cortado.Dashboard;
using Cortado.Errors;

namespace Cortado.Cli;

/// <summary>
/// The dashboard as the verbs start it: --dashboard [PORT] and --dashboard_host, the URL printed
/// at start, a warning when it listens beyond loopback, and at the end of a run, when a person is
/// at the terminal, the page kept up until they press Enter or Ctrl-C.
/// </summary>
internal sealed class DashboardSession : IDisposable
{
    public static readonly Flag PortFlag = new("dashboard", $"serve a live dashboard of the run in the browser, on 127.0.0.1:PORT (default {DashboardServer.DefaultPort}; 0 picks a free port)", ValueOptional: true);
    public static readonly Flag HostFlag = new("dashboard_host", "the address the dashboard listens on (default 127.0.0.1); any other has no authentication");

    private readonly DashboardServer _server;
    private readonly TextWriter _error;

    private DashboardSession(DashboardServer server, TextWriter error) => (_server, _error) = (server, error);

    public RunCatalog Catalog => _server.Catalog;

    /// <summary>Starts the dashboard when --dashboard was given; null otherwise.</summary>
    public static DashboardSession? StartIfAsked(VerbArguments arguments, VerbConsole console, string verb)
    {
        string? port = arguments.Get("dashboard");
        if (port == null || port == "false")
        {
            if (arguments.Get("dashboard_host") != null) throw new CortadoException($"{verb}: --dashboard_host needs --dashboard");
            return null;
        }
        return Start(new RunCatalog(), port, arguments.Get("dashboard_host"), console, verb);
    }

    public static DashboardSession Start(RunCatalog catalog, string port, string? host, VerbConsole console, string verb)
    {
        int number = DashboardServer.DefaultPort;
        if (port is not ("" or "true") && !int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out number))
            throw new CortadoException($"{verb}: the dashboard port must be a whole number 0..65535, got '{port}'");
        host ??= "127.0.0.1";
        var server = DashboardServer.Start(catalog, host, number);
        if (DashboardServer.IsExposed(host))
            console.Error.WriteLine($"cortado: warning: the dashboard listens on {host}: anyone who can reach this machine there sees the runs (the page has no authentication)");
        console.Error.WriteLine($"cortado: dashboard at {server.Url}");
        return new DashboardSession(server, console.Error);
    }

    /// <summary>At a terminal, keeps the page up after the run until Enter or Ctrl-C; in a script it returns at once.</summary>
    public void HoldForPerson()
    {
        if (Console.IsInputRedirected) return;
        _error.WriteLine($"cortado: the run is over; the dashboard stays at {_server.Url} until you press Enter or Ctrl-C");
        WaitForStop(readEnter: true);
    }

    /// <summary>Serves until SIGINT or SIGTERM (or Enter, when asked and at a terminal).</summary>
    public static void WaitForStop(bool readEnter)
    {
        using var stop = new ManualResetEventSlim();
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Set(); });
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Set(); });
        if (readEnter) new Thread(() => { Console.ReadLine(); stop.Set(); }) { IsBackground = true }.Start();
        stop.Wait();
    }

    public void Dispose() => _server.Dispose();
}
