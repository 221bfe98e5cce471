using Cortado.Nets;
using Cortado.Tests.Compute;
using Cortado.Tests.Devices;

namespace Cortado.Tests.Nets;

/// <summary>
/// The backward pass of an in-place ReLU right before a convolution or pooling runs inside that
/// layer's backward pass: the same bits as the two layers one after the other, on any number of
/// threads, and nothing fused where the ReLU's output has another reader, a slope, or a diff to log.
/// </summary>
public abstract class RectifierBackwardFusionTests<TDevice> where TDevice : ITestDevice
{
    // relu1 feeds a pooling, relu2 a Winograd convolution, relu3 a strided (or transposed) one, relu4 an
    // average pooling; each top is named after the ReLU when not in place, so no layer is fused there.
    private static string Prototxt(int batch, bool inPlace, string pool, string third) => $$"""
        layer { name: "data" type: "Input" top: "data" top: "label" input_param { shape { dim: {{batch}} dim: 3 dim: 18 dim: 17 } shape { dim: {{batch}} } } }
        layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 8 kernel_size: 3 pad: 1 weight_filler { type: "gaussian" std: 0.3 } bias_filler { type: "gaussian" std: 0.3 } } }
        layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "{{Top(inPlace, "conv1", "relu1")}}" }
        layer { name: "pool1" type: "Pooling" bottom: "{{Top(inPlace, "conv1", "relu1")}}" top: "pool1" pooling_param { pool: {{pool}} kernel_size: 3 stride: 1 } }
        layer { name: "conv2" type: "Convolution" bottom: "pool1" top: "conv2" convolution_param { num_output: 16 kernel_size: 3 weight_filler { type: "gaussian" std: 0.2 } bias_filler { type: "gaussian" std: 0.3 } } }
        layer { name: "relu2" type: "ReLU" bottom: "conv2" top: "{{Top(inPlace, "conv2", "relu2")}}" }
        layer { name: "conv3" type: "Convolution" bottom: "{{Top(inPlace, "conv2", "relu2")}}" top: "conv3" convolution_param { num_output: 16 kernel_size: 3 weight_filler { type: "gaussian" std: 0.2 } bias_filler { type: "gaussian" std: 0.3 } } }
        layer { name: "relu3" type: "ReLU" bottom: "conv3" top: "{{Top(inPlace, "conv3", "relu3")}}" }
        layer { name: "conv4" type: "{{third}}" bottom: "{{Top(inPlace, "conv3", "relu3")}}" top: "conv4" convolution_param { num_output: 6 kernel_size: 3 stride: 2 weight_filler { type: "gaussian" std: 0.2 } bias_filler { type: "gaussian" std: 0.3 } } }
        layer { name: "relu4" type: "ReLU" bottom: "conv4" top: "{{Top(inPlace, "conv4", "relu4")}}" }
        layer { name: "pool2" type: "Pooling" bottom: "{{Top(inPlace, "conv4", "relu4")}}" top: "pool2" pooling_param { pool: AVE kernel_size: 2 stride: 2 } }
        layer { name: "fc" type: "InnerProduct" bottom: "pool2" top: "fc" inner_product_param { num_output: 5 weight_filler { type: "gaussian" std: 0.1 } } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss" }
        """;

    private static string Top(bool inPlace, string own, string relu) => inPlace ? own : relu;

    private static Net Build(string prototxt, StringWriter? log = null, bool forceBackward = true) =>
        FusionNets.Build(prototxt, TDevice.Compute, log, forceBackward);

    private static int Index(Net net, string layer) => FusionNets.Index(net, layer);

    private static int[] Bits(Span<float> values) => FusionNets.Bits(values);

    [Fact]
    public void EachPlainInPlaceReluBeforeAConvolutionOrPoolingIsFusedIntoIt()
    {
        using var fused = Build(Prototxt(2, inPlace: true, "MAX", "Convolution"));
        foreach (var layer in new[] { "pool1", "conv3", "conv4", "pool2" }) Assert.True(fused.FusesPreviousRectifier(Index(fused, layer)), layer);
        foreach (var layer in new[] { "conv1", "conv2", "fc", "relu1" }) Assert.False(fused.FusesPreviousRectifier(Index(fused, layer)), layer);
        using var separate = Build(Prototxt(2, inPlace: false, "MAX", "Convolution"));
        Assert.DoesNotContain(separate.Layers.Select((_, i) => separate.FusesPreviousRectifier(i)), f => f);
    }

    [Theory]
    [InlineData(1, 1, "MAX", "Convolution")]
    [InlineData(1, 2, "MAX", "Convolution")]
    [InlineData(3, 1, "AVE", "Convolution")]
    [InlineData(3, 2, "MAX", "Convolution")]
    [InlineData(4, 2, "STOCHASTIC", "Deconvolution")]
    public void FusedAndSeparateLayersGiveTheSameBits(int batch, int threads, string pool, string third)
    {
        using var _ = new ThreadCount(threads);
        using var fused = Build(Prototxt(batch, inPlace: true, pool, third));
        using var separate = Build(Prototxt(batch, inPlace: false, pool, third));
        float fusedLoss = fused.ForwardBackward(), separateLoss = separate.ForwardBackward();
        Assert.Equal(BitConverter.SingleToInt32Bits(separateLoss), BitConverter.SingleToInt32Bits(fusedLoss));
        foreach (var blob in new[] { "data", "conv1", "pool1", "conv2", "conv3", "conv4" })
            Assert.Equal(Bits(separate.Blob(blob).Diff), Bits(fused.Blob(blob).Diff));
        for (int i = 0; i < fused.LearnableParams.Count; i++)
            Assert.Equal(Bits(separate.LearnableParams[i].Diff), Bits(fused.LearnableParams[i].Diff));
        // The ReLUs did zero something: a fused layer that forgot them would differ above.
        Assert.Contains(fused.Blob("conv2").Data.ToArray(), v => v == 0f);
    }

    [Fact]
    public void AReluWithAnotherReaderALeakyOneOrOneThatStopsTheGradientIsNotFused()
    {
        using var net = Build("""
            layer { name: "data" type: "Input" top: "data" top: "label" input_param { shape { dim: 2 dim: 2 dim: 8 dim: 8 } shape { dim: 2 } } }
            layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 4 kernel_size: 3 weight_filler { type: "gaussian" std: 0.3 } } }
            layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
            layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
            layer { name: "other" type: "Pooling" bottom: "conv1" top: "other" pooling_param { pool: AVE kernel_size: 6 } }
            layer { name: "conv2" type: "Convolution" bottom: "pool1" top: "conv2" convolution_param { num_output: 4 kernel_size: 1 weight_filler { type: "gaussian" std: 0.3 } } }
            layer { name: "relu2" type: "ReLU" bottom: "conv2" top: "conv2" relu_param { negative_slope: 0.1 } }
            layer { name: "pool2" type: "Pooling" bottom: "conv2" top: "pool2" pooling_param { pool: MAX kernel_size: 3 } }
            layer { name: "conv3" type: "Convolution" bottom: "pool2" top: "conv3" convolution_param { num_output: 3 kernel_size: 1 weight_filler { type: "gaussian" std: 0.3 } bias_filler { type: "constant" value: -0.6 } } }
            layer { name: "relu3" type: "ReLU" bottom: "conv3" top: "conv3" propagate_down: false }
            layer { name: "pool3" type: "Pooling" bottom: "conv3" top: "pool3" pooling_param { pool: AVE global_pooling: true } }
            layer { name: "both" type: "Concat" bottom: "pool3" bottom: "other" top: "both" }
            layer { name: "fc" type: "InnerProduct" bottom: "both" top: "fc" inner_product_param { num_output: 2 weight_filler { type: "gaussian" std: 0.3 } } }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss" }
            """, forceBackward: false);
        // relu1's output has two readers (a Split sits between), relu2 is leaky, relu3 passes no gradient down (force_backward would override that, as in Caffe).
        Assert.DoesNotContain(net.Layers.Select((_, i) => net.FusesPreviousRectifier(i) && net.BottomNeedsBackward(i - 1)[0]), f => f);
        // Behind relu3, which passes nothing down, conv3 learns from the pooling's gradient unmasked, as in Caffe.
        net.ForwardBackward();
        var data = net.Blob("conv3").Data.ToArray();
        var diff = net.Blob("conv3").Diff.ToArray();
        Assert.Contains(Enumerable.Range(0, data.Length), j => data[j] == 0f && diff[j] != 0f);
    }

    [Fact]
    public void TheSkippedReluStillReportsItsBackwardDone()
    {
        using var net = Build(Prototxt(2, inPlace: true, "MAX", "Convolution"));
        var done = new List<int>();
        net.LayerBackwardDone += done.Add;
        net.ForwardBackward();
        Assert.Equal(Enumerable.Range(1, net.Layers.Count - 1).Reverse(), done);
    }

    [Fact]
    public void DebugInfoLogsTheRelusOwnBackwardPass()
    {
        var log = new StringWriter();
        using var net = Build(Prototxt(2, inPlace: true, "MAX", "Convolution"), log);
        net.DebugInfo = true;
        net.ForwardBackward();
        Assert.Single(log.ToString().Split('\n'), l => l.Contains("[Backward] Layer relu2, bottom blob conv2 diff:"));
    }
}

[Collection(ThreadCountCollection.Name)]
public sealed class RectifierBackwardFusionTestsOnCpu : RectifierBackwardFusionTests<OnCpu>;

[Collection(ThreadCountCollection.Name)]
public sealed class RectifierBackwardFusionTestsOnEmulatedDevice : RectifierBackwardFusionTests<OnEmulatedDevice>;

[Collection(ThreadCountCollection.Name)]
public sealed class RectifierBackwardFusionTestsOnEmulatedGpu : RectifierBackwardFusionTests<OnEmulatedGpu>;
