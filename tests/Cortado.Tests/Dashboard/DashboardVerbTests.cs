using System.Net;
using System.Text.Json;
using Cortado.Tests.Cli;
using Cortado.Tests.Monitoring;
using Cortado.Tests.Solvers;

namespace Cortado.Tests.Dashboard;

/// <summary>The verbs' --dashboard and `cortado dashboard`, run as a user runs them.</summary>
public class DashboardVerbTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(20) };

    [Fact]
    public async Task DashboardServesTheLogsUntilTerminated()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("net.prototxt"), LogRunTests.ElevenClasses);
        File.WriteAllText(dir.File("a.log"), LogRunTests.Log("net.prototxt", Enumerable.Range(0, 4).Select(i => (i * 100, "1.5"))));
        File.WriteAllText(dir.File("b.log"), LogRunTests.Log("net.prototxt", Enumerable.Range(0, 6).Select(i => (i * 100, "1.0"))));
        using var process = DashboardProcess.Start(dir.Path, "dashboard", "a.log", dir.Path + "/b.log", "--port", "0");
        var runs = JsonDocument.Parse(await Http.GetStringAsync(new Uri(process.Url, "api/runs"))).RootElement;
        Assert.Equal(["a", "b"], runs.EnumerateArray().Select(r => r.GetProperty("name").GetString()));
        Assert.True(runs[0].GetProperty("hasGraph").GetBoolean()); // the net file named relative to the log's folder
        process.Terminate();
        Assert.Equal(0, process.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Contains("a: 4 display points, finished", process.Output);
    }

    [Fact]
    public async Task TrainWithADashboardServesTheLiveRunAndEndsWithTheTraining()
    {
        using var dir = new TempDir();
        var solver = SolverTestNets.Solver(SolverTestNets.Classifier, $"base_lr: 0.01 lr_policy: 'fixed' max_iter: 1000000 display: 100 snapshot_prefix: '{dir.File("c")}' random_seed: 1");
        File.WriteAllText(dir.File("solver.prototxt"), Cortado.Proto.TextFormat.Print(solver));
        using var process = DashboardProcess.Start(dir.Path, "train", "--solver", "solver.prototxt", "--dashboard", "0", "--dashboard_host", "0.0.0.0");
        Assert.Contains("the page has no authentication", process.Error);
        Assert.Equal("127.0.0.1", process.Url.Host);

        JsonElement run = default;
        for (var deadline = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < deadline; await Task.Delay(200))
        {
            var response = await Http.GetAsync(new Uri(process.Url, "api/runs/0"));
            if (response.StatusCode != HttpStatusCode.OK) continue;
            run = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            if (run.GetProperty("points").GetProperty("iteration").GetArrayLength() >= 50) break;
        }
        Assert.Equal("solver", run.GetProperty("name").GetString());
        Assert.Equal("training", run.GetProperty("state").GetString());
        Assert.True(run.GetProperty("points").GetProperty("iteration").GetArrayLength() >= 50);
        Assert.Contains("<svg", await Http.GetStringAsync(new Uri(process.Url, "api/runs/0/graph.svg")));

        // A script's run (input redirected) ends with its training: the stop snapshots, and the server goes too.
        process.Terminate();
        Assert.Equal(0, process.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains("Optimization stopped early", process.Error);
        await Assert.ThrowsAsync<HttpRequestException>(() => Http.GetAsync(new Uri(process.Url, "api/runs")));
    }

    [Theory]
    [InlineData("--dashboard=99999", "the port must be 0..65535, got 99999")]
    [InlineData("--dashboard=x", "the dashboard port must be a whole number 0..65535, got 'x'")]
    [InlineData("--dashboard_host=127.0.0.1", "--dashboard_host needs --dashboard")]
    public void ABadDashboardFlagIsOneClearError(string flag, string message)
    {
        using var dir = new TempDir();
        var (code, _, error) = CortadoProcess.Run(dir.Path, "train", "--solver", "none.prototxt", flag);
        Assert.Equal(1, code);
        Assert.Contains(message, error);
    }
}
