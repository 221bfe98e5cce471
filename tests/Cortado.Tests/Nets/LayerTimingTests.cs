using Cortado.Nets;

namespace Cortado.Tests.Nets;

/// <summary>
/// Net.LayerTimed reports each layer's pass as the net ran it: a ReLU or pooling fused into the
/// convolution beside it has no time of its own, and under debug_info (no fusion) every layer does.
/// </summary>
public class LayerTimingTests
{
    private const string Prototxt = """
        layer { name: "data" type: "Input" top: "data" top: "label" input_param { shape { dim: 2 dim: 3 dim: 12 dim: 12 } shape { dim: 2 } } }
        layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 4 kernel_size: 3 weight_filler { type: "gaussian" std: 0.3 } } }
        layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
        layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
        layer { name: "fc" type: "InnerProduct" bottom: "pool1" top: "fc" inner_product_param { num_output: 5 weight_filler { type: "gaussian" std: 0.1 } } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss" }
        """;

    private static (List<string> Forward, List<string> Backward) Timed(Net net)
    {
        var forward = new List<string>();
        var backward = new List<string>();
        net.LayerTimed = (i, isForward, ms) =>
        {
            Assert.True(ms >= 0, $"{net.Layers[i].Name}: {ms} ms");
            (isForward ? forward : backward).Add(net.Layers[i].Name);
        };
        net.Forward();
        net.Backward();
        return (forward, backward);
    }

    [Fact]
    public void FusedLayersHaveNoTimeOfTheirOwn()
    {
        using var net = FusionNets.Build(Prototxt, forceBackward: false);
        var (forward, backward) = Timed(net);
        Assert.Equal(["data", "conv1", "fc", "loss"], forward); // relu1 and pool1 run inside conv1
        Assert.Equal(["loss", "fc", "pool1", "conv1"], backward); // relu1's inside pool1's; data needs none
    }

    [Fact]
    public void UnderDebugInfoEveryLayerIsTimed()
    {
        using var net = FusionNets.Build(Prototxt, forceBackward: false, debugInfo: true);
        var (forward, backward) = Timed(net);
        Assert.Equal(["data", "conv1", "relu1", "pool1", "fc", "loss"], forward);
        Assert.Equal(["loss", "fc", "pool1", "relu1", "conv1"], backward);
        net.LayerTimed = null;
        net.Forward(); // no callback left behind
        Assert.Equal(6, forward.Count);
    }
}
