using Cortado.Errors;
using Cortado.Monitoring;

namespace Cortado.Tests.Monitoring;

public class LogRunTests
{
    /// <summary>A Caffe-format log: display lines every 100 iterations, a learning rate, two test passes.</summary>
    internal static string Log(string netFile, IEnumerable<(int Iteration, string Loss)> display, bool done = true)
    {
        var lines = new List<string> { $"I1202 10:00:00.000000  7 solver.cpp:87] Creating training net from net file: {netFile}" };
        foreach (var (iteration, loss) in display)
        {
            lines.Add($"I1202 10:00:01.000000  7 solver.cpp:218] Iteration {iteration} (10.5 iter/s, 9.5s/100 iters), loss = {loss}");
            lines.Add($"I1202 10:00:01.000000  7 sgd_solver.cpp:106] Iteration {iteration}, lr = 0.01");
            if (iteration % 200 == 0 && iteration > 0)
            {
                lines.Add($"I1202 10:00:01.000000  7 solver.cpp:330] Iteration {iteration}, Testing net (#0)");
                lines.Add("I1202 10:00:01.000000  7 solver.cpp:397]     Test net output #0: accuracy = 0.5");
                lines.Add($"I1202 10:00:01.000000  7 solver.cpp:397]     Test net output #1: loss = {loss} (* 1 = {loss} loss)");
            }
        }
        if (done) lines.Add("I1202 10:00:09.000000  7 solver.cpp:456] Optimization Done.");
        return string.Join('\n', lines) + "\n";
    }

    internal const string ElevenClasses = """
        name: "n"
        layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 4 } } }
        layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" inner_product_param { num_output: 11 } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss" }
        """;

    [Fact]
    public void ReadsTheCurvesTheEndAndTheNetOfACaffeLog()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("train_val.prototxt"), ElevenClasses);
        // The net file named as Caffe ran it, from another folder: found beside the log.
        File.WriteAllText(dir.File("good.log"), Log("/elsewhere/train_val.prototxt", Enumerable.Range(0, 6).Select(i => (i * 100, (2.0 - i * 0.3).ToString("0.0###", System.Globalization.CultureInfo.InvariantCulture)))));
        var run = LogRun.Read(dir.File("good.log"));
        var all = run.ReadAll();
        Assert.Equal("good", run.Name);
        Assert.Equal(RunState.Finished, run.State);
        Assert.Equal([0, 100, 200, 300, 400, 500], all.Points.Select(p => p.Iteration));
        Assert.Equal(0.5f, all.Points[^1].Loss, 5);
        Assert.All(all.Points, p => Assert.Equal(0.01f, p.Rate));
        Assert.Equal([(200, "accuracy"), (200, "loss"), (400, "accuracy"), (400, "loss")], all.Tests.Select(t => (t.Iteration, t.Output)));
        Assert.Equal("n", run.Net!.Name);
        Assert.Null(all.Findings);
    }

    [Fact]
    public void ALogStuckAtChanceOrTurnedNanShowsItsFinding()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("net.prototxt"), ElevenClasses);
        File.WriteAllText(dir.File("stuck.log"), Log(dir.File("net.prototxt"), Enumerable.Range(0, 16).Select(i => (i * 100, "2.3979"))));
        File.WriteAllText(dir.File("nan.log"), Log(dir.File("net.prototxt"), [(0, "2.4"), (100, "87.3365"), (200, "nan")], done: false));
        var runs = LogRun.ReadAll(dir.Path);
        Assert.Equal(["nan", "stuck"], runs.Select(r => r.Name));

        var nan = Assert.Single(runs[0].ReadAll().Findings!);
        Assert.Equal(("LOSS_NOT_FINITE", 200), (nan.Finding.Code, nan.Iteration));
        Assert.Equal(RunState.Diverged, runs[0].State);
        Assert.True(float.IsNaN(runs[0].ReadAll().Points[^1].Loss));

        var stuck = Assert.Single(runs[1].ReadAll().Findings!);
        Assert.Equal("LOSS_AT_CHANCE", stuck.Finding.Code);
        Assert.Contains("ln(11)", stuck.Finding.Title);
    }

    [Fact]
    public void AMissingLogOrAnEmptyFolderIsNamed()
    {
        using var dir = new TempDir();
        Assert.Contains("no such log file or run folder", Assert.Throws<CortadoException>(() => LogRun.ReadAll(dir.File("none.log"))).Message);
        Assert.Contains("holds no training log", Assert.Throws<CortadoException>(() => LogRun.ReadAll(dir.Path)).Message);
    }
}
