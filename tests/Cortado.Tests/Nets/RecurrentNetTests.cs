using Cortado.Logging;
using Cortado.Solvers;
using Cortado.Tests.Devices;
using Cortado.Tests.Solvers;

namespace Cortado.Tests.Nets;

/// <summary>
/// An LSTM net in Caffe's recurrent form (x of T x N x 1, cont of T x N, an InnerProduct on axis 2)
/// trained end to end by the solver on a task only memory can solve: output the previous step's
/// input. The same net with every cont at 0 (no memory) cannot learn it, which shows the gradient
/// really runs through time.
/// </summary>
public abstract class RecurrentNetTests<TDevice> where TDevice : ITestDevice
{
    private static string DelayNet(float continuation) => $$"""
        name: "delay"
        layer { name: "data" type: "DummyData" top: "x" top: "start" top: "rest" top: "zero"
          dummy_data_param { shape { dim: 8 dim: 16 dim: 1 } shape { dim: 1 dim: 16 } shape { dim: 7 dim: 16 } shape { dim: 1 dim: 16 dim: 1 }
            data_filler { type: "gaussian" std: 1 } data_filler { type: "constant" value: 0 } data_filler { type: "constant" value: {{continuation}} } data_filler { type: "constant" value: 0 } } }
        layer { name: "cont" type: "Concat" bottom: "start" bottom: "rest" top: "cont" concat_param { axis: 0 } }
        layer { name: "split_x" type: "Slice" bottom: "x" top: "x_head" top: "x_last" slice_param { axis: 0 slice_point: 7 } }
        layer { name: "silence" type: "Silence" bottom: "x_last" }
        layer { name: "target" type: "Concat" bottom: "zero" bottom: "x_head" top: "target" concat_param { axis: 0 } }
        layer { name: "lstm" type: "LSTM" bottom: "x" bottom: "cont" top: "h"
          recurrent_param { num_output: 16 weight_filler { type: "uniform" min: -0.1 max: 0.1 } bias_filler { type: "constant" value: 0 } } }
        layer { name: "predict" type: "InnerProduct" bottom: "h" top: "y"
          inner_product_param { num_output: 1 axis: 2 weight_filler { type: "gaussian" std: 0.1 } } }
        layer { name: "loss" type: "EuclideanLoss" bottom: "y" bottom: "target" top: "loss" }
        """;

    private static List<float> Train(float continuation, int iterations)
    {
        var solver = SolverFactory.Create(
            SolverTestNets.Solver(DelayNet(continuation), $"type: 'Adam' base_lr: 0.01 lr_policy: 'fixed' momentum: 0.9 momentum2: 0.999 max_iter: {iterations} random_seed: 3"),
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
