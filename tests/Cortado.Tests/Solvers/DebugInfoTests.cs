using Cortado.Logging;
using Cortado.Solvers;

namespace Cortado.Tests.Solvers;

/// <summary>
/// debug_info: true prints Caffe's per-layer lines (net.cpp's wording) on display iterations. The
/// values are worked out by hand for the linear net: y = 0.5 + 0.5 + 0.1 = 1.1, loss (1.1 - 3)^2 / 2 =
/// 1.805, dL/dy = -1.9, so both weight gradients and the bias gradient are -1.9.
/// </summary>
public class DebugInfoTests
{
    private static string Run(string settings, int iterations)
    {
        var log = new StringWriter();
        var solver = SolverFactory.Create(SolverTestNets.Solver(SolverTestNets.Linear, "base_lr: 0.1 lr_policy: 'fixed' momentum: 0 weight_decay: 0 max_iter: 10 " + settings),
            new SolverOptions { Log = new CaffeLog(log) });
        solver.Step(iterations);
        return log.ToString();
    }

    private static string[] Lines(string log, string marker) =>
        log.Split('\n').Where(l => l.Contains(marker)).Select(l => l[(l.IndexOf("] ", StringComparison.Ordinal) + 2)..].TrimEnd()).ToArray();

    [Fact]
    public void ForwardBackwardAndUpdateLinesCarryTheHandComputedScales()
    {
        string log = Run("display: 1 debug_info: true", 1);
        Assert.Equal([
            "    [Forward] Layer x, top blob x data: 1",
            "    [Forward] Layer x, top blob t data: 3",
            "    [Forward] Layer ip, top blob y data: 1.1",
            "    [Forward] Layer ip, param blob 0 data: 0.5",
            "    [Forward] Layer ip, param blob 1 data: 0.1",
            "    [Forward] Layer loss, top blob loss data: 1.805",
        ], Lines(log, "[Forward]"));
        Assert.Equal([
            "    [Backward] Layer loss, bottom blob y diff: 1.9",
            "    [Backward] Layer ip, param blob 0 diff: 1.9",
            "    [Backward] Layer ip, param blob 1 diff: 1.9",
            "    [Backward] All net params (data, diff): L1 norm = (1.1, 5.7); L2 norm = (0.714143, 3.2909)",
        ], Lines(log, "[Backward]"));
        // The norms line is logged at ERROR severity, as Caffe does.
        Assert.Contains(log.Split('\n'), l => l.StartsWith('E') && l.Contains("All net params"));
        // The update: lr 0.1 times the gradient for the weights, lr_mult 2 for the bias.
        Assert.Equal([
            "    [Update] Layer ip, param 0 data: 0.5; diff: 0.19",
            "    [Update] Layer ip, param 1 data: 0.1; diff: 0.38",
        ], Lines(log, "[Update]"));
        Assert.Contains("cortado diagnose --solver", log);
    }

    [Fact]
    public void OnlyDisplayIterationsPrintThem()
    {
        string log = Run("display: 2 debug_info: true", 4);
        Assert.Equal(2, Lines(log, "[Forward] Layer ip, top blob y").Length);
        Assert.Empty(Lines(Run("display: 1", 2), "[Forward]"));
    }
}
