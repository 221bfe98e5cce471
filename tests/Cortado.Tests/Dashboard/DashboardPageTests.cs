using Cortado.Dashboard;
using Cortado.Monitoring;
using Cortado.Solvers;
using Cortado.Tests.Monitoring;
using Cortado.Tests.Solvers;
using PuppeteerSharp;

namespace Cortado.Tests.Dashboard;

/// <summary>The dashboard's page in a real browser: the DOM read after its scripts ran on what the server streamed.</summary>
public sealed class DashboardPageTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly MonitorOptions Often = new() { SampleEvery = 10, MinInterval = TimeSpan.Zero, ChanceWindow = 20 };
    private HeadlessChromium _browser = null!;

    public async Task InitializeAsync() => _browser = await HeadlessChromium.Launch();

    public async Task DisposeAsync() => await _browser.DisposeAsync();

    private static string Card(int run) => $"document.querySelector('.run[data-run=\"{run}\"]')";

    [Fact]
    public async Task ALiveRunsCurvesReachItsLatestIteration()
    {
        using var solver = SolverFactory.Create(SolverTestNets.Solver(SolverTestNets.Classifier, "base_lr: 0.05 lr_policy: 'fixed' max_iter: 300 random_seed: 1"));
        var run = TrainingMonitor.NewRun(solver, "classifier");
        await using var server = DashboardServer.Start(new RunCatalog([run]), port: 0);
        using var monitor = new TrainingMonitor(solver, run, Often);
        // Slow enough for the page to watch it go, and held at iteration 100 until the page has seen it mid-run,
        // so a loaded machine (a slow browser start) cannot let the run end before the page looks.
        using var seen = new ManualResetEventSlim();
        solver.IterationDone += (iteration, _, _, _) =>
        {
            if (iteration == 100) seen.Wait(Patience);
            Thread.Sleep(10);
        };
        var page = await _browser.Open(server.Url);
        var training = Task.Run(() => monitor.Run(() => solver.Solve()));

        // Mid-run: the card shows a later iteration than it started with while the state is still "training".
        await HeadlessChromium.WaitFor(page, $"{Card(0)} && +{Card(0)}.querySelector('.latest-iteration').textContent >= 50 && {Card(0)}.querySelector('.state').dataset.state === 'training'", Patience);
        seen.Set();
        await training.WaitAsync(Patience);
        await HeadlessChromium.WaitFor(page, $"{Card(0)}.querySelector('.state').dataset.state === 'finished'", Patience);

        var last = run.ReadAll().Points[^1];
        Assert.Equal(299, last.Iteration);
        Assert.Equal("299", await page.EvaluateExpressionAsync<string>($"{Card(0)}.querySelector('.latest-iteration').textContent"));
        Assert.Equal(last.SmoothedLoss, float.Parse(await page.EvaluateExpressionAsync<string>($"{Card(0)}.querySelector('.latest-loss').textContent"), System.Globalization.CultureInfo.InvariantCulture), 3);
        // uPlot drew the curves, the layer table holds the sampled layers, and the net's drawing loaded.
        Assert.True(await page.EvaluateExpressionAsync<bool>($"!!{Card(0)}.querySelector('.loss-chart canvas') && !!{Card(0)}.querySelector('.update-chart canvas')"));
        Assert.Equal(["conv", "fc", "relu"], (await page.EvaluateExpressionAsync<string[]>($"[...{Card(0)}.querySelectorAll('table.layers tr[data-layer]')].map(r => r.dataset.layer)")).Order());
        await HeadlessChromium.WaitFor(page, $"{Card(0)}.querySelector('.graph img').complete && {Card(0)}.querySelector('.graph img').naturalWidth > 0", Patience);
        Assert.Equal("live", await page.EvaluateExpressionAsync<string>("document.getElementById('connection').dataset.state"));
    }

    [Fact]
    public async Task ANetBuiltToOverflowShowsTheNanBannerNamingItsLayer()
    {
        using var solver = SolverFactory.Create(SolverTestNets.Solver(MonitorTestNets.Overflowing, "base_lr: 0.01 lr_policy: 'fixed' max_iter: 50"));
        var run = new RunHistory("overflowing");
        await using var server = DashboardServer.Start(new RunCatalog([run]), port: 0);
        using var monitor = new TrainingMonitor(solver, run, Often);
        var page = await _browser.Open(server.Url);
        await HeadlessChromium.WaitFor(page, $"document.getElementById('connection').dataset.state === 'live' && !!{Card(0)}", Patience);
        Assert.Equal(0, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('.finding').length"));

        Assert.Throws<TrainingDivergedException>(() => monitor.Run(() => solver.Solve()));
        string banner = $"{Card(0)}.querySelector('.finding[data-code=\"LOSS_NOT_FINITE\"]')";
        await HeadlessChromium.WaitFor(page, $"!!{banner}", Patience);
        Assert.Contains("'ip1' (InnerProduct)", await page.EvaluateExpressionAsync<string>($"{banner}.textContent"));
        Assert.Contains("error", await page.EvaluateExpressionAsync<string>($"{banner}.className"));
        Assert.Equal("diverged", await page.EvaluateExpressionAsync<string>($"{Card(0)}.querySelector('.state').dataset.state"));
    }

    [Fact]
    public async Task FinishedLogsStandSideBySide()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("net.prototxt"), LogRunTests.ElevenClasses);
        File.WriteAllText(dir.File("seed.log"), LogRunTests.Log(dir.File("net.prototxt"), Enumerable.Range(0, 16).Select(i => (i * 50, "2.3979"))));
        File.WriteAllText(dir.File("fixed.log"), LogRunTests.Log(dir.File("net.prototxt"), Enumerable.Range(0, 31).Select(i => (i * 50, (2.4 / (1 + i)).ToString("0.####", System.Globalization.CultureInfo.InvariantCulture)))));
        await using var server = DashboardServer.Start(new RunCatalog(LogRun.ReadAll(dir.Path)), port: 0);
        var page = await _browser.Open(server.Url);
        await HeadlessChromium.WaitFor(page, $"!!{Card(1)} && {Card(1)}.querySelector('.latest-iteration').textContent !== '-'", Patience);

        Assert.Equal(["fixed", "seed"], await page.EvaluateExpressionAsync<string[]>("[...document.querySelectorAll('.run .name')].map(n => n.textContent)"));
        Assert.Equal(["1500", "750"], await page.EvaluateExpressionAsync<string[]>("[...document.querySelectorAll('.run .latest-iteration')].map(n => n.textContent)"));
        Assert.Equal(0, await page.EvaluateExpressionAsync<int>($"{Card(0)}.querySelectorAll('.finding').length"));
        Assert.Contains("ln(11)", await page.EvaluateExpressionAsync<string>($"{Card(1)}.querySelector('.finding[data-code=\"LOSS_AT_CHANCE\"]').textContent"));
        // Side by side: the two cards share a row.
        Assert.True(await page.EvaluateExpressionAsync<bool>($"{Card(0)}.getBoundingClientRect().top === {Card(1)}.getBoundingClientRect().top"));
        Assert.Contains("seed.log", await page.EvaluateExpressionAsync<string>($"{Card(1)}.querySelector('.files').textContent"));
    }

    [Fact]
    public async Task TheDemoTellsTheSeedStoryOnThePageAsItRuns()
    {
        using var dir = new TempDir();
        using var demo = DashboardProcess.Start(dir.Path, "demo", "--quick", "--dashboard", "0", "--out", dir.File("demo"));
        var page = await _browser.Open(demo.Url);
        await HeadlessChromium.WaitFor(page, $"!!{Card(0)} && {Card(0)}.querySelector('.state').dataset.state === 'training'", Patience);
        await HeadlessChromium.WaitFor(page, $"!!{Card(1)} && {Card(1)}.querySelector('.state').dataset.state === 'finished'", TimeSpan.FromMinutes(3));

        Assert.Equal(["seed (as written)", "corrected by diagnose"], await page.EvaluateExpressionAsync<string[]>("[...document.querySelectorAll('.run .name')].map(n => n.textContent)"));
        // diagnose's findings joined the seed's card: the unscaled inputs first of all.
        var seedCodes = await page.EvaluateExpressionAsync<string[]>($"[...{Card(0)}.querySelectorAll('.finding.error')].map(f => f.dataset.code)");
        Assert.Contains("INPUT_SCALE", seedCodes);
        Assert.Contains("LOSS_AT_CHANCE", seedCodes);
        Assert.Equal(0, await page.EvaluateExpressionAsync<int>($"{Card(1)}.querySelectorAll('.finding.error').length"));
        Assert.Matches(@"test accuracy 0\.\d+", await page.EvaluateExpressionAsync<string>($"{Card(1)}.querySelector('.latest-test').textContent"));
        Assert.Equal(0, demo.WaitForExit(TimeSpan.FromSeconds(60)));
        // The demo's end closes the server; the page says so and keeps both cards.
        await HeadlessChromium.WaitFor(page, "document.getElementById('connection').dataset.state === 'closed'", Patience);
        Assert.Equal(2, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('.run').length"));
    }
}
