using Cortado.Nets;
using Cortado.Tests.Compute;

namespace Cortado.Tests.Nets;

/// <summary>
/// An in-place ReLU right after a convolution runs inside the convolution's forward pass: the same
/// bits as the two layers one after the other, forward and backward, on any number of threads.
/// </summary>
[Collection(ThreadCountCollection.Name)]
public class ConvolutionRectifierFusionTests
{
    // conv2 is a Winograd convolution split by rows at batch 1; relu3 is leaky and must not be fused.
    private static string Prototxt(int batch, bool inPlace) => $$"""
        layer { name: "data" type: "Input" top: "data" top: "label" input_param { shape { dim: {{batch}} dim: 3 dim: 18 dim: 17 } shape { dim: {{batch}} } } }
        layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 16 kernel_size: 3 pad: 1 weight_filler { type: "gaussian" std: 0.3 } bias_filler { type: "gaussian" std: 0.3 } } }
        layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "{{(inPlace ? "conv1" : "relu1")}}" }
        layer { name: "conv2" type: "Convolution" bottom: "{{(inPlace ? "conv1" : "relu1")}}" top: "conv2" convolution_param { num_output: 16 kernel_size: 3 weight_filler { type: "gaussian" std: 0.1 } bias_filler { type: "gaussian" std: 0.3 } } }
        layer { name: "relu2" type: "ReLU" bottom: "conv2" top: "{{(inPlace ? "conv2" : "relu2")}}" }
        layer { name: "conv3" type: "Convolution" bottom: "{{(inPlace ? "conv2" : "relu2")}}" top: "conv3" convolution_param { num_output: 4 kernel_size: 3 stride: 2 weight_filler { type: "gaussian" std: 0.1 } } }
        layer { name: "relu3" type: "ReLU" bottom: "conv3" top: "{{(inPlace ? "conv3" : "relu3")}}" relu_param { negative_slope: 0.1 } }
        layer { name: "fc" type: "InnerProduct" bottom: "{{(inPlace ? "conv3" : "relu3")}}" top: "fc" inner_product_param { num_output: 5 weight_filler { type: "gaussian" std: 0.1 } } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss" }
        """;

    private static Net Build(int batch, bool inPlace, StringWriter? log = null) => FusionNets.Build(Prototxt(batch, inPlace), log: log);

    private static int Index(Net net, string layer) => FusionNets.Index(net, layer);

    private static int[] Bits(Span<float> values) => FusionNets.Bits(values);

    [Fact]
    public void OnlyAPlainInPlaceReluRightAfterAConvolutionIsFused()
    {
        using var fused = Build(1, inPlace: true);
        Assert.True(fused.FusesNextRectifier(Index(fused, "conv1")));
        Assert.True(fused.FusesNextRectifier(Index(fused, "conv2")));
        Assert.False(fused.FusesNextRectifier(Index(fused, "conv3"))); // negative_slope 0.1
        using var separate = Build(1, inPlace: false);
        Assert.DoesNotContain(separate.Layers.Select((_, i) => separate.FusesNextRectifier(i)), f => f);
    }

    [Theory]
    [InlineData(1, 2)] // batch 1 on two threads: the convolutions split each image by rows
    [InlineData(3, 1)]
    [InlineData(3, 2)]
    public void FusedAndSeparateLayersGiveTheSameBitsForwardAndBackward(int batch, int threads)
    {
        using var _ = new ThreadCount(threads);
        using var fused = Build(batch, inPlace: true);
        using var separate = Build(batch, inPlace: false);
        float fusedLoss = fused.ForwardBackward(), separateLoss = separate.ForwardBackward();
        Assert.Equal(BitConverter.SingleToInt32Bits(separateLoss), BitConverter.SingleToInt32Bits(fusedLoss));
        Assert.Equal(Bits(separate.Blob("relu2").Data), Bits(fused.Blob("conv2").Data));
        Assert.Equal(Bits(separate.Blob("data").Diff), Bits(fused.Blob("data").Diff));
        for (int i = 0; i < fused.LearnableParams.Count; i++)
            Assert.Equal(Bits(separate.LearnableParams[i].Diff), Bits(fused.LearnableParams[i].Diff));
    }

    [Fact]
    public void APassEndingAtTheConvolutionLeavesItsOutputUnrectified()
    {
        using var net = Build(2, inPlace: true);
        net.ForwardFromTo(0, Index(net, "conv2"));
        Assert.Contains(net.Blob("conv2").Data.ToArray(), v => v < 0f);
        // Starting at the ReLU runs it, since the convolution was not in the pass.
        net.ForwardFromTo(Index(net, "relu2"), Index(net, "relu2"));
        Assert.DoesNotContain(net.Blob("conv2").Data.ToArray(), v => v < 0f);
    }

    [Fact]
    public void DebugInfoLogsTheConvolutionsOutputBeforeTheRelu()
    {
        var log = new StringWriter();
        using var net = Build(2, inPlace: true, log);
        net.ForwardFromTo(0, Index(net, "conv2"));
        double meanAbs = net.Blob("conv2").Data.ToArray().Average(v => Math.Abs((double)v));
        net.DebugInfo = true;
        net.Forward();
        string line = log.ToString().Split('\n').Single(l => l.Contains("[Forward] Layer conv2, top blob conv2 data:"));
        double logged = double.Parse(line[(line.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(meanAbs, logged, 4);
    }
}
