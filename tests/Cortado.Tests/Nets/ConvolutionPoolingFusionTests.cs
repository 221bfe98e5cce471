using Cortado.Nets;
using Cortado.Tests.Compute;
using Cortado.Tests.Devices;

namespace Cortado.Tests.Nets;

/// <summary>
/// A MAX pooling that reads only a convolution's output (after its fused ReLU, if any) runs inside
/// the convolution's forward pass, image by image or block of rows by block: the same bits as the
/// layers one after the other (which debug_info keeps), forward and backward, on any thread count.
/// </summary>
public abstract class ConvolutionPoolingFusionTests<TDevice> where TDevice : ITestDevice
{
    // pool1 follows conv1 directly (a 2x2 window, stride 2, over 17 rows: the last window is cut);
    // pool2 follows relu2 after the Winograd conv2; pool3 overlaps (3x3, stride 2) and is padded.
    private static string Prototxt(int batch, int height, int width) => $$"""
        layer { name: "data" type: "Input" top: "data" top: "label" input_param { shape { dim: {{batch}} dim: 3 dim: {{height}} dim: {{width}} } shape { dim: {{batch}} } } }
        layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 8 kernel_size: 3 pad: 1 weight_filler { type: "gaussian" std: 0.3 } bias_filler { type: "gaussian" std: 0.3 } } }
        layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
        layer { name: "conv2" type: "Convolution" bottom: "pool1" top: "conv2" convolution_param { num_output: 16 kernel_size: 3 pad: 1 weight_filler { type: "gaussian" std: 0.2 } bias_filler { type: "gaussian" std: 0.3 } } }
        layer { name: "relu2" type: "ReLU" bottom: "conv2" top: "conv2" }
        layer { name: "pool2" type: "Pooling" bottom: "conv2" top: "pool2" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
        layer { name: "conv3" type: "Convolution" bottom: "pool2" top: "conv3" convolution_param { num_output: 8 kernel_size: 1 weight_filler { type: "gaussian" std: 0.2 } } }
        layer { name: "pool3" type: "Pooling" bottom: "conv3" top: "pool3" pooling_param { pool: MAX kernel_size: 3 stride: 2 pad: 1 } }
        layer { name: "fc" type: "InnerProduct" bottom: "pool3" top: "fc" inner_product_param { num_output: 5 weight_filler { type: "gaussian" std: 0.1 } } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss" }
        """;

    private static Net Build(string prototxt, bool debugInfo = false) => FusionNets.Build(prototxt, TDevice.Compute, debugInfo: debugInfo);

    private static void Fill(Net net) => FusionNets.Fill(net);

    private static int Index(Net net, string layer) => FusionNets.Index(net, layer);

    private static int[] Bits(Span<float> values) => FusionNets.Bits(values);

    private static void AssertSameBits(Net expected, Net actual)
    {
        foreach (var blob in new[] { "conv1", "pool1", "conv2", "pool2", "conv3", "pool3", "fc" })
            Assert.Equal(Bits(expected.Blob(blob).Data), Bits(actual.Blob(blob).Data));
        foreach (var blob in new[] { "data", "conv1", "pool1", "conv2", "pool2", "conv3" })
            Assert.Equal(Bits(expected.Blob(blob).Diff), Bits(actual.Blob(blob).Diff));
        for (int i = 0; i < actual.LearnableParams.Count; i++)
            Assert.Equal(Bits(expected.LearnableParams[i].Diff), Bits(actual.LearnableParams[i].Diff));
    }

    [Fact]
    public void AMaxPoolingThatReadsOnlyTheConvolutionsOutputIsFusedIntoIt()
    {
        using var net = Build(Prototxt(2, 17, 12));
        Assert.Equal(Index(net, "pool1"), net.PooledAfter(Index(net, "conv1")));
        Assert.Equal(Index(net, "pool2"), net.PooledAfter(Index(net, "conv2"))); // past the fused ReLU
        Assert.Equal(Index(net, "pool3"), net.PooledAfter(Index(net, "conv3")));
        using var other = Build("""
            layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 2 dim: 8 dim: 8 } } }
            layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 4 kernel_size: 3 } }
            layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1" pooling_param { pool: AVE kernel_size: 2 stride: 2 } }
            layer { name: "conv2" type: "Convolution" bottom: "pool1" top: "conv2" convolution_param { num_output: 4 kernel_size: 1 } }
            layer { name: "pool2" type: "Pooling" bottom: "conv2" top: "pool2" top: "mask" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
            layer { name: "conv3" type: "Convolution" bottom: "pool2" top: "conv3" convolution_param { num_output: 4 kernel_size: 1 } }
            layer { name: "relu3" type: "ReLU" bottom: "conv3" top: "conv3" relu_param { negative_slope: 0.1 } }
            layer { name: "pool3" type: "Pooling" bottom: "conv3" top: "pool3" pooling_param { pool: MAX kernel_size: 1 } }
            layer { name: "conv4" type: "Convolution" bottom: "pool3" top: "conv4" convolution_param { num_output: 4 kernel_size: 1 } }
            layer { name: "pool4" type: "Pooling" bottom: "conv4" top: "pool4" pooling_param { pool: MAX kernel_size: 1 } }
            layer { name: "pool5" type: "Pooling" bottom: "conv4" top: "pool5" pooling_param { pool: MAX kernel_size: 1 } }
            """);
        // Average pooling, a MAX pooling with a mask top, one behind a leaky ReLU, and an output read twice (through a Split).
        Assert.All(Enumerable.Range(0, other.Layers.Count), i => Assert.Equal(-1, other.PooledAfter(i)));
    }

    [Theory]
    [InlineData(1, 2, 17, 12)] // batch 1 on two threads: blocks of rows, with pool3's overlapping windows left to the pooling layer
    [InlineData(1, 1, 17, 12)]
    [InlineData(1, 2, 24, 9)]
    [InlineData(1, 2, 34, 40)] // conv1 and conv2 split by rows; halves of 34 and 17 rows: blocks must start on even rows
    [InlineData(3, 2, 17, 12)] // images split among threads
    [InlineData(4, 1, 10, 20)]
    public void FusedAndSeparateLayersGiveTheSameBits(int batch, int threads, int height, int width)
    {
        using var _ = new ThreadCount(threads);
        using var fused = Build(Prototxt(batch, height, width));
        using var separate = Build(Prototxt(batch, height, width), debugInfo: true);
        float fusedLoss = fused.ForwardBackward(), separateLoss = separate.ForwardBackward();
        Assert.Equal(BitConverter.SingleToInt32Bits(separateLoss), BitConverter.SingleToInt32Bits(fusedLoss));
        AssertSameBits(separate, fused);
    }

    [Fact]
    public void AfterTheInputIsReshapedTheFusedPoolingHasTheNewSizes()
    {
        using var _ = new ThreadCount(2);
        using var fused = Build(Prototxt(2, 17, 12));
        using var separate = Build(Prototxt(2, 17, 12), debugInfo: true);
        foreach (var net in new[] { fused, separate })
        {
            net.ForwardBackward();
            net.Blob("data").Reshape([1, 3, 20, 11]); // the same fc input, 8 x 3 x 2
            net.Blob("label").Reshape([1]);
            Fill(net);
        }
        fused.ForwardBackward();
        separate.ForwardBackward();
        Assert.Equal(new[] { 1, 8, 10, 6 }, fused.Blob("pool1").Shape.ToArray());
        AssertSameBits(separate, fused);
    }
}

[Collection(ThreadCountCollection.Name)]
public sealed class ConvolutionPoolingFusionTestsOnCpu : ConvolutionPoolingFusionTests<OnCpu>;

[Collection(ThreadCountCollection.Name)]
public sealed class ConvolutionPoolingFusionTestsOnEmulatedGpu : ConvolutionPoolingFusionTests<OnEmulatedGpu>;
