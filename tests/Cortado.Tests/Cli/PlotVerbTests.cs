using Cortado.Cli;
using Cortado.Logging;

namespace Cortado.Tests.Cli;

public class PlotVerbTests
{
    private const string CaffeLog = """
        I1128 07:45:16.276678 15371 solver.cpp:218] Iteration 0 (0 iter/s, 0.04s/40 iters), loss = 2.39789
        I1128 07:45:16.276700 15371 solver.cpp:237]     Train net output #0: loss = 2.39789 (* 1 = 2.39789 loss)
        I1128 07:45:16.276710 15371 sgd_solver.cpp:105] Iteration 0, lr = 0.01
        I1128 07:45:20.100000 15371 solver.cpp:218] Iteration 40 (10.4 iter/s, 3.82s/40 iters), loss = 2.30123
        I1128 07:45:20.100010 15371 sgd_solver.cpp:105] Iteration 40, lr = 0.00999993
        I1128 07:45:21.000000 15371 solver.cpp:330] Iteration 40, Testing net (#0)
        I1128 07:45:22.000000 15371 solver.cpp:397]     Test net output #0: accuracy = 0.0909091
        I1128 07:45:22.000010 15371 solver.cpp:397]     Test net output #1: loss = 2.39801 (* 1 = 2.39801 loss)
        I1128 07:45:24.000000 15371 solver.cpp:218] Iteration 80 (10 iter/s, 4s/40 iters), loss = nan
        """;

    [Fact]
    public void ParsesCaffesOwnLogLines()
    {
        var log = TrainingLog.Parse(CaffeLog.Split('\n'));
        Assert.Equal([(0, 2.39789), (40, 2.30123)], log.TrainLoss.Take(2));
        Assert.True(double.IsNaN(log.TrainLoss[2].Loss));
        Assert.Equal([(0, 0.01), (40, 0.00999993)], log.LearningRate);
        Assert.Equal([(40, 0.0909091)], log.Test["accuracy"]);
        Assert.Equal([(40, 2.39801)], log.Test["loss"]);
    }

    [Fact]
    public void WritesAPng()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("train.log"), CaffeLog);
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CommandLine.Run(["plot", dir.File("train.log"), "-o", dir.File("out/curves.png")], output, error);
        Assert.True(code == 0, error.ToString());
        var bytes = File.ReadAllBytes(dir.File("out/curves.png"));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        // IHDR: width and height, big-endian, at bytes 16..23.
        Assert.Equal(900, (bytes[16] << 24) | (bytes[17] << 16) | (bytes[18] << 8) | bytes[19]);
        Assert.Contains("3 train loss points, 2 test points, 2 rates", output.ToString());
    }

    [Fact]
    public void ALogWithoutTrainingLinesIsExplained()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("empty.log"), "hello\n");
        var error = new StringWriter();
        Assert.Equal(1, CommandLine.Run(["plot", dir.File("empty.log")], new StringWriter(), error));
        Assert.Contains("no 'Iteration N (...), loss = X' or 'Test net output' lines found", error.ToString());
    }
}
