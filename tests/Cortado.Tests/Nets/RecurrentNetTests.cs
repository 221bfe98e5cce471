using Cortado.Logging;
using Cortado.Solvers;
using Cortado.Tests.Devices;
using Cortado.Tests.Solvers;

namespace Cortado.Tests.Nets;

/// <summary>
/// examples/lstm_delay: an LSTM net in Caffe's recurrent form (x of T x N x 1, cont of T x N, an InnerProduct on axis 2)
/// trained end to end by the solver on a task only memory can solve: output the previous step's
/// input. The same net with every cont at 0 (no memory) cannot learn it, which shows the gradient
/// really runs through time.
/// </summary>
public abstract class RecurrentNetTests<TDevice> where TDevice : ITestDevice
{
    /// <summary>examples/lstm_delay as it ships, or with every cont at <paramref name="continuation"/> after the first step.</summary>
    private static string DelayNet(float continuation) =>
        File.ReadAllText(Path.Combine(RepoPaths.Root, "examples/lstm_delay/train.prototxt"))
            .Replace("data_filler { type: \"constant\" value: 1 }", $"data_filler {{ type: \"constant\" value: {continuation} }}");

    private static List<float> Train(float continuation, int iterations)
    {
        // The example's solver, its net given inline.
        var settings = File.ReadAllText(Path.Combine(RepoPaths.Root, "examples/lstm_delay/solver.prototxt")).Replace("net: \"examples/lstm_delay/train.prototxt\"", "");
        var solver = SolverFactory.Create(SolverTestNets.Solver(DelayNet(continuation), settings),
            new SolverOptions { Log = new CaffeLog(null), Compute = TDevice.Compute });
        var losses = new List<float>();
        solver.IterationDone += (_, loss, _, _) => losses.Add(loss);
        solver.Step(iterations);
        return losses;
    }

    [Fact]
    public void AnLstmLearnsToRememberThePreviousInput()
    {
        const int iterations = 300;
        var withMemory = Train(1f, iterations);
        var withoutMemory = Train(0f, iterations);
        // At the start the prediction is near 0: loss = sum of 7 x 16 unit-variance targets / (2 x 8 steps), about 7.
        Assert.InRange(withMemory.Take(5).Average(), 4f, 10f);
        float remembered = withMemory.TakeLast(20).Average(), forgotten = withoutMemory.TakeLast(20).Average();
        Assert.True(remembered < 0.02f * withMemory.Take(5).Average(), $"with memory the loss falls by 50x: {withMemory.Take(5).Average()} -> {remembered}");
        Assert.True(forgotten > 0.8f * withoutMemory.Take(5).Average(), $"without memory (cont 0) nothing can be learned: {withoutMemory.Take(5).Average()} -> {forgotten}");
    }
}

public sealed class RecurrentNetTestsOnCpu : RecurrentNetTests<OnCpu>;
public sealed class RecurrentNetTestsOnEmulatedDevice : RecurrentNetTests<OnEmulatedDevice>;
public sealed class RecurrentNetTestsOnEmulatedGpu : RecurrentNetTests<OnEmulatedGpu>;
