using System.Diagnostics;
using System.Globalization;
using Cortado.Compute;
using Cortado.Dashboard;
using Cortado.Monitoring;
using Cortado.Solvers;
using PuppeteerSharp;

namespace Cortado.Bench;

/// <summary>
/// What watching costs: the seed net's training (Fashion-MNIST LMDB, stride 2, batch 64) in
/// alternating blocks of iterations on one solver, unwatched and watched (the live monitor on, its
/// run served, and either an event-stream reader or the page open in headless Chromium on the same
/// machine). Blocks alternate ABBA so drift and noisy neighbours hit both alike.
/// <c>--screenshot</c> instead runs <c>cortado demo --quick --dashboard</c> and saves the page.
/// </summary>
internal static class DashboardBenchmark
{
    private const int Warmup = 30, Block = 40, Pairs = 20;
    private const string Chromium = "/usr/bin/chromium";

    public static int Run(string[] args)
    {
        if (args.Contains("--screenshot")) return Screenshot().GetAwaiter().GetResult();
        Console.WriteLine($"# bench/run.sh dashboard on {MachineInfo.Describe()}, {ComputeSettings.Threads} compute threads");
        var (train, _) = SeedNet.Databases();
        string net = SeedNet.Data(train, 64, "TRAIN") + SeedNet.Layers(2) + SeedNet.Loss;
        Console.WriteLine();
        Console.WriteLine($"| seed net training, batch 64, {Pairs} x 2 blocks of {Block} iterations | unwatched images/s | watched images/s | watched against unwatched: median of pairs (middle half) | the browser's CPU while watched |");
        Console.WriteLine("| --- | --- | --- | --- | --- |");
        Report("monitor + server + event-stream reader", Measure(net, page: false).GetAwaiter().GetResult());
        if (File.Exists(Chromium)) Report("monitor + server + the page in Chromium", Measure(net, page: true).GetAwaiter().GetResult());
        return 0;
    }

    private static void Report(string mode, (double Plain, double Watched, List<double> Ratios, double? BrowserCores) r)
    {
        var sorted = r.Ratios.Order().Select(x => (x - 1) * 100).ToList();
        string Percent(double x) => string.Create(CultureInfo.InvariantCulture, $"{(x >= 0 ? "+" : "")}{x:F1}%");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {mode} | {r.Plain:F0} | {r.Watched:F0} | {Percent(sorted[sorted.Count / 2])} ({Percent(sorted[sorted.Count / 4])} to {Percent(sorted[sorted.Count * 3 / 4])}) | {(r.BrowserCores is { } c ? $"{c * 100:F1}% of a core" : "-")} |"));
    }

    private static async Task<(double Plain, double Watched, List<double> Ratios, double? BrowserCores)> Measure(string net, bool page)
    {
        using var solver = SolverFactory.Create(Proto.TextFormat.Parse<Proto.SolverParameter>(
            SeedNet.Solver(net, "fixed", Warmup + 2 * Pairs * Block + 10, "display: 0 snapshot_after_train: false")));
        var run = TrainingMonitor.NewRun(solver, "bench");
        await using var server = DashboardServer.Start(new RunCatalog([run]), port: 0);
        using var reader = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        using var stop = new CancellationTokenSource();
        Task? stream = null;
        IBrowser? browser = null;
        string? profile = null;
        if (page) (browser, profile, _) = await OpenPage(server.Url);
        else stream = Drain(reader, server.Url, stop.Token);
        solver.Step(Warmup);

        double plainSeconds = 0, watchedSeconds = 0, browserSeconds = 0;
        var ratios = new List<double>();
        for (int pair = 0; pair < Pairs; pair++)
        {
            double plain = 0, watched = 0;
            foreach (bool watch in pair % 2 == 0 ? new[] { false, true } : [true, false])
            {
                using var monitor = watch ? new TrainingMonitor(solver, run) : null;
                double browserBefore = profile != null && watch ? CpuSeconds(profile) : 0;
                var clock = Stopwatch.StartNew();
                solver.Step(Block);
                if (watch) watched = clock.Elapsed.TotalSeconds; else plain = clock.Elapsed.TotalSeconds;
                if (profile != null && watch) browserSeconds += CpuSeconds(profile) - browserBefore;
            }
            plainSeconds += plain;
            watchedSeconds += watched;
            ratios.Add(plain / watched); // the watched block's speed relative to its unwatched neighbour
        }
        stop.Cancel();
        if (stream != null) await stream;
        if (browser != null) { await browser.CloseAsync(); Directory.Delete(profile!, recursive: true); }
        double images = Pairs * Block * 64;
        return (images / plainSeconds, images / watchedSeconds, ratios, profile != null ? browserSeconds / watchedSeconds : null);
    }

    /// <summary>The CPU time (user + system) of every process started with this browser profile: Chromium's browser, renderer and helpers.</summary>
    private static double CpuSeconds(string profile)
    {
        double ticks = 0;
        foreach (string dir in Directory.GetDirectories("/proc"))
        {
            try
            {
                if (!File.ReadAllText(Path.Combine(dir, "cmdline")).Contains(profile, StringComparison.Ordinal)) continue;
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                ticks += double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture); // utime, stime
            }
            catch (IOException) { } // a process that ended meanwhile
            catch (UnauthorizedAccessException) { }
        }
        return ticks / 100; // USER_HZ
    }

    /// <summary>Reads the event stream as the page would, to the end.</summary>
    private static async Task Drain(HttpClient client, Uri url, CancellationToken stop)
    {
        try
        {
            await using var body = await client.GetStreamAsync(new Uri(url, "api/events"), stop);
            var buffer = new byte[65536];
            while (await body.ReadAsync(buffer, stop) > 0) { }
        }
        catch (OperationCanceledException) { }
    }

    private static async Task<(IBrowser Browser, string Profile, IPage Page)> OpenPage(Uri url, int width = 1400, int height = 1000)
    {
        string profile = Directory.CreateTempSubdirectory("cortado-bench-chromium-").FullName;
        var browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            ExecutablePath = Chromium, Headless = true, UserDataDir = profile,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var page = await browser.NewPageAsync();
        await page.SetViewportAsync(new ViewPortOptions { Width = width, Height = height });
        await page.GoToAsync(url.ToString(), WaitUntilNavigation.DOMContentLoaded);
        return (browser, profile, page);
    }

    /// <summary>The demo's dashboard, photographed when both runs are over: bench/results/dashboard-demo.png.</summary>
    private static async Task<int> Screenshot()
    {
        string root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../.."));
        string cli = Path.Combine(root, "src/Cortado.Cli/bin/Release/net10.0/Cortado.Cli.dll");
        string output = Path.Combine(root, "bench/results/dashboard-demo.png");
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true };
        foreach (string a in new[] { cli, "demo", "--quick", "--dashboard", "0", "--out", Path.Combine(Path.GetTempPath(), "cortado-bench-demo") }) start.ArgumentList.Add(a);
        using var demo = Process.Start(start)!;
        string? line;
        while ((line = await demo.StandardError.ReadLineAsync()) != null && !line.Contains("dashboard at ")) { }
        if (line == null) { Console.Error.WriteLine("the demo printed no dashboard address"); return 1; }
        _ = demo.StandardError.ReadToEndAsync();
        _ = demo.StandardOutput.ReadToEndAsync();
        var url = new Uri(line[(line.IndexOf("http", StringComparison.Ordinal))..].Trim());
        var (browser, profile, page) = await OpenPage(url, 1500, 1900);
        await page.WaitForExpressionAsync("document.querySelectorAll('.run').length === 2 && document.querySelector('.run[data-run=\"1\"] .state').dataset.state !== 'training'",
            new WaitForFunctionOptions { Timeout = 300_000, PollingInterval = 250 });
        await Task.Delay(1000); // the net drawings load
        await page.ScreenshotAsync(output, new ScreenshotOptions { FullPage = true });
        await demo.WaitForExitAsync();
        await browser.CloseAsync();
        Directory.Delete(profile, recursive: true);
        Console.WriteLine($"wrote {output}");
        return 0;
    }
}
