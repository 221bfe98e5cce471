using Cortado.Errors;
using Cortado.Proto;
using Cortado.Tensors;
using Cortado.Tests.Devices;
using static Cortado.Tests.Layers.LayerTestKit;

namespace Cortado.Tests.Layers;

/// <summary>
/// STOCHASTIC pooling against its definition (Zeiler and Fergus; Caffe's GPU kernels): in training
/// a window's input is picked with probability proportional to its value and gets the whole
/// gradient; at test time the window gives sum(x^2) / sum(x). A finite-difference check does not
/// apply in training (every forward draws afresh); the routing of the gradient is checked instead.
/// </summary>
public abstract class StochasticPoolingTests<TDevice> where TDevice : ITestDevice
{
    private const string Stochastic = "type: 'Pooling' pooling_param { pool: STOCHASTIC kernel_size: 2 stride: 2 }";

    private static Cortado.Layers.Layer Create(string prototxt, Phase phase) => LayerTestKit.Create(prototxt, TDevice.Compute, phase);

    [Fact]
    public void TrainingPicksAnInputWithProbabilityProportionalToItsValue()
    {
        var layer = Create(Stochastic, Phase.Train);
        var bottom = new[] { Values([1, 2, 3, 4], 1, 1, 2, 2) };
        var top = Tops(1);
        layer.SetUp(bottom, top);
        var counts = new int[4];
        const int draws = 4000;
        for (int i = 0; i < draws; i++)
        {
            layer.Forward(bottom, top);
            counts[(int)top[0].HostData[0] - 1]++;
        }
        for (int v = 0; v < 4; v++)
            Assert.InRange(counts[v] / (double)draws, (v + 1) / 10.0 - 0.03, (v + 1) / 10.0 + 0.03);
    }

    [Fact]
    public void TheGradientGoesToThePickedInput()
    {
        var layer = Create(Stochastic, Phase.Train);
        var bottom = new[] { Filled(1, 1f, 2, 3, 4, 6) };
        for (int i = 0; i < bottom[0].Count; i++) bottom[0].Data[i] = Math.Abs(bottom[0].Data[i]) + 0.01f * i;
        var top = Tops(1);
        layer.SetUp(bottom, top);
        layer.Forward(bottom, top);
        Assert.Equal([2, 3, 2, 3], top[0].Shape.ToArray());
        var topDiff = Enumerable.Range(0, top[0].Count).Select(i => 1f + i).ToArray();
        topDiff.CopyTo(top[0].Diff);
        layer.Backward(top, [true], bottom);
        var x = bottom[0].HostData.ToArray();
        var dx = bottom[0].HostDiff.ToArray();
        var y = top[0].HostData.ToArray();
        // Each output's 2x2 window has exactly one input holding its gradient, and that input's value is the output.
        for (int plane = 0; plane < 6; plane++)
            for (int ph = 0; ph < 2; ph++)
                for (int pw = 0; pw < 3; pw++)
                {
                    int at = plane * 6 + ph * 3 + pw;
                    var window = new[] { 0, 1, 6, 7 }.Select(o => plane * 24 + ph * 12 + pw * 2 + o).ToArray();
                    var chosen = window.Where(i => dx[i] != 0).ToArray();
                    Assert.Single(chosen);
                    Assert.Equal(topDiff[at], dx[chosen[0]]);
                    Assert.Equal(x[chosen[0]], y[at]);
                }
    }

    [Fact]
    public void TestTimeWeightsEachWindowByItsValues()
    {
        var layer = Create("type: 'Pooling' pooling_param { pool: STOCHASTIC kernel_size: 2 stride: 1 }", Phase.Test);
        // Windows [1 2; 4 5] and [2 0; 5 0], then [4 5; 0 0] and [5 0; 0 0]: sum(x^2) / sum(x) each.
        var bottom = new[] { Values([1, 2, 0, 4, 5, 0, 0, 0, 0], 1, 1, 3, 3) };
        var top = Tops(1);
        layer.SetUp(bottom, top);
        layer.Forward(bottom, top);
        Near([46f / 12, 29f / 7, 41f / 9, 5f], top[0].HostData);
        var zeros = new[] { new Blob(1, 1, 3, 3) };
        layer.Forward(zeros, top);
        Near([0, 0, 0, 0], top[0].HostData);
    }

    [Fact]
    public void PaddingIsRefused()
    {
        var error = Assert.Throws<LayerException>(() =>
            Create("name: 'p' type: 'Pooling' pooling_param { pool: STOCHASTIC kernel_size: 3 stride: 2 pad: 1 }", Phase.Train).SetUp([new Blob(1, 1, 5, 5)], Tops(1)));
        Assert.Contains("STOCHASTIC pooling takes no padding", error.Message);
    }
}

public sealed class StochasticPoolingTestsOnCpu : StochasticPoolingTests<OnCpu>;
public sealed class StochasticPoolingTestsOnEmulatedDevice : StochasticPoolingTests<OnEmulatedDevice>;
public sealed class StochasticPoolingTestsOnEmulatedGpu : StochasticPoolingTests<OnEmulatedGpu>;
