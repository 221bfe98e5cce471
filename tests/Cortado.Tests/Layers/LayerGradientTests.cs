using Cortado.Tests.Devices;
using Cortado.Proto;
using Cortado.Tensors;
using static Cortado.Tests.Layers.LayerTestKit;

namespace Cortado.Tests.Layers;

/// <summary>Every layer with a gradient, checked by finite differences on several shapes.</summary>
public abstract class LayerGradientTests<TDevice> where TDevice : ITestDevice
{
    private static Cortado.Layers.Layer Create(string prototxt, Phase phase = Phase.Train, int seed = 1) => LayerTestKit.Create(prototxt, TDevice.Compute, phase, seed);

    private static readonly GradientChecker Checker = new();

    private protected static void Check(string prototxt, Blob[] bottom, int tops = 1, int[]? checkBottoms = null, GradientChecker? checker = null, Phase phase = Phase.Train)
    {
        var layer = Create(prototxt, phase);
        (checker ?? Checker).Check(layer, bottom, Tops(tops), checkBottoms);
    }

    [Theory]
    [InlineData("type: 'Sigmoid'")]
    [InlineData("type: 'TanH'")]
    [InlineData("type: 'BNLL'")]
    [InlineData("type: 'Exp'")]
    [InlineData("type: 'Exp' exp_param { base: 2 scale: 0.5 shift: 1 }")]
    [InlineData("type: 'ELU' elu_param { alpha: 0.5 }")]
    [InlineData("type: 'Dropout'")] // identity at test time; train time is checked in LayerBehaviourTests
    public void SmoothNeuronLayers(string prototxt)
    {
        foreach (var shape in new[] { new[] { 2, 3, 4, 5 }, new[] { 7 }, new[] { 3, 1 } })
            Check(prototxt, [AwayFromZero(2, 0.05f, shape)], phase: Phase.Test);
    }

    [Theory]
    [InlineData("type: 'ReLU'")]
    [InlineData("type: 'ReLU' relu_param { negative_slope: 0.1 }")]
    [InlineData("type: 'AbsVal'")]
    [InlineData("type: 'PReLU'")]
    [InlineData("type: 'PReLU' prelu_param { channel_shared: true }")]
    public void NeuronLayersWithAKinkAtZero(string prototxt)
    {
        foreach (var shape in new[] { new[] { 2, 3, 4, 5 }, new[] { 4, 2, 3 } })
            Check(prototxt, [AwayFromZero(3, 0.05f, shape)], checker: new GradientChecker(kink: 0, kinkRange: 0.02));
    }

    [Fact]
    public void PowerAndLog()
    {
        var positive = Filled(4, 1f, 2, 3, 4);
        for (int i = 0; i < positive.Count; i++) positive.Data[i] = Math.Abs(positive.Data[i]) + 0.5f;
        Check("type: 'Power' power_param { power: 2.5 scale: 0.5 shift: 0.2 }", [positive]);
        Check("type: 'Power' power_param { power: 2 }", [Filled(5, 1f, 6, 2)]);
        Check("type: 'Log' log_param { base: 10 scale: 2 shift: 0.1 }", [positive]);
        Check("type: 'Log'", [positive]);
    }

    [Theory]
    [InlineData("num_output: 4 kernel_size: 3", 2, 3, 6, 5)]
    [InlineData("num_output: 3 kernel_size: 3 pad: 1 stride: 2", 2, 2, 7, 6)]
    [InlineData("num_output: 4 kernel_h: 2 kernel_w: 3 stride_h: 1 stride_w: 2 pad_h: 1 pad_w: 0", 1, 3, 5, 7)]
    [InlineData("num_output: 4 kernel_size: 3 group: 2", 2, 4, 5, 5)]
    [InlineData("num_output: 2 kernel_size: 3 dilation: 2 pad: 2", 1, 2, 6, 6)]
    [InlineData("num_output: 3 kernel_size: 1 bias_term: false", 2, 3, 3, 3)]
    // Output rows of 8 or more: the columns are read from the image as GEMM packs them.
    [InlineData("num_output: 3 kernel_size: 3 pad: 1", 2, 2, 4, 9)]
    [InlineData("num_output: 4 kernel_size: 3 group: 2 pad: 1 stride_h: 2 stride_w: 1", 1, 4, 5, 10)]
    [InlineData("num_output: 2 kernel_size: 3 dilation: 2 pad: 2", 1, 2, 4, 10)]
    [InlineData("num_output: 4 kernel_size: 3 group: 2 pad: 1", 2, 4, 3, 8)]
    // At most 27 taps at stride 1 on rows of 8 or more (the two above too): summed directly, forward and weight gradient.
    [InlineData("num_output: 5 kernel_size: 3", 2, 1, 6, 12)]
    [InlineData("num_output: 6 kernel_size: 5 pad: 2", 1, 1, 4, 10)]
    [InlineData("num_output: 3 kernel_size: 3 pad: 1", 1, 3, 3, 11)]
    // 16 input channels per group: the data gradient runs as the flipped-kernel convolution.
    [InlineData("num_output: 2 kernel_size: 3 pad: 1", 1, 16, 2, 8)]
    [InlineData("num_output: 4 kernel_size: 3 group: 2 pad: 1", 1, 32, 2, 8)]
    [InlineData("num_output: 2 kernel_size: 3 dilation: 2 pad: 2", 1, 16, 2, 9)]
    // 16 channels in and out, rows of 16: the forward product runs by Winograd's F(2x2, 3x3).
    [InlineData("num_output: 16 kernel_size: 3 pad: 1", 2, 16, 3, 16)]
    [InlineData("num_output: 16 kernel_size: 3", 1, 16, 4, 17)]
    public void Convolution(string settings, int n, int c, int h, int w)
    {
        Check($"type: 'Convolution' convolution_param {{ {settings} weight_filler {{ type: 'gaussian' std: 0.5 }} bias_filler {{ type: 'gaussian' }} }}",
            [Filled(6, 1f, n, c, h, w)], checker: new GradientChecker(threshold: 2e-3));
    }

    [Theory]
    [InlineData("num_output: 3 kernel_size: 3 stride: 2", 2, 2, 3, 4)]
    [InlineData("num_output: 4 kernel_size: 2 stride: 2 pad: 1 group: 2", 1, 2, 3, 3)]
    [InlineData("num_output: 2 kernel_size: 3 pad: 1", 2, 3, 3, 8)]
    public void Deconvolution(string settings, int n, int c, int h, int w)
    {
        Check($"type: 'Deconvolution' convolution_param {{ {settings} weight_filler {{ type: 'gaussian' std: 0.5 }} bias_filler {{ type: 'gaussian' }} }}",
            [Filled(7, 1f, n, c, h, w)], checker: new GradientChecker(threshold: 2e-3));
    }

    [Theory]
    [InlineData("pool: MAX kernel_size: 2 stride: 1")]
    [InlineData("pool: MAX kernel_size: 3 stride: 2 pad: 1")]
    [InlineData("pool: MAX kernel_h: 2 kernel_w: 3 stride_h: 2 stride_w: 1")]
    [InlineData("pool: AVE kernel_size: 3 stride: 2")]
    [InlineData("pool: AVE kernel_size: 3 stride: 2 pad: 1")]
    [InlineData("pool: AVE global_pooling: true")]
    [InlineData("pool: MAX global_pooling: true")]
    public void Pooling(string settings)
    {
        // Distinct, well-separated inputs so no max pooling window has a tie.
        var bottom = new Blob(2, 3, 6, 5);
        var order = Enumerable.Range(0, bottom.Count).OrderBy(i => (i * 7919) % bottom.Count).ToArray();
        for (int i = 0; i < bottom.Count; i++) bottom.Data[i] = order[i] * 0.1f;
        Check($"type: 'Pooling' pooling_param {{ {settings} }}", [bottom]);
    }

    [Theory]
    [InlineData("num_output: 5")]
    [InlineData("num_output: 3 axis: 2")]
    [InlineData("num_output: 4 transpose: true")]
    [InlineData("num_output: 2 bias_term: false")]
    public void InnerProduct(string settings)
    {
        Check($"type: 'InnerProduct' inner_product_param {{ {settings} weight_filler {{ type: 'gaussian' }} bias_filler {{ type: 'gaussian' }} }}",
            [Filled(8, 1f, 2, 3, 2, 2)]);
    }

    [Fact]
    public void SoftmaxOnSeveralAxes()
    {
        Check("type: 'Softmax'", [Filled(9, 2f, 2, 5, 2, 3)]);
        Check("type: 'Softmax' softmax_param { axis: 3 }", [Filled(10, 2f, 2, 2, 2, 4)]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("loss_param { normalization: FULL }")]
    [InlineData("loss_param { normalization: BATCH_SIZE }")]
    [InlineData("loss_param { normalization: NONE }")]
    [InlineData("loss_param { ignore_label: 2 }")]
    [InlineData("loss_param { ignore_label: 1 normalization: VALID }")]
    [InlineData("loss_param { normalize: false }")]
    [InlineData("loss_weight: 3")]
    public void SoftmaxWithLoss(string settings)
    {
        Check($"type: 'SoftmaxWithLoss' {settings}", [Filled(11, 2f, 4, 5, 2, 3), Labels(5, 12, 4, 1, 2, 3)], checkBottoms: [0]);
        Check($"type: 'SoftmaxWithLoss' {settings}", [Filled(13, 2f, 6, 4), Labels(4, 14, 6)], checkBottoms: [0]);
    }

    [Fact]
    public void OtherLosses()
    {
        Check("type: 'EuclideanLoss'", [Filled(15, 1f, 3, 4), Filled(16, 1f, 3, 4)]);
        Check("type: 'EuclideanLoss' loss_weight: 0.5", [Filled(17, 1f, 2, 3, 2), Filled(18, 1f, 2, 6)]);
        var targets = Filled(19, 1f, 3, 5);
        for (int i = 0; i < targets.Count; i++) targets.Data[i] = (targets.Data[i] + 1) / 2;
        Check("type: 'SigmoidCrossEntropyLoss'", [Filled(20, 2f, 3, 5), targets], checkBottoms: [0]);
        Check("type: 'SigmoidCrossEntropyLoss' loss_param { normalization: VALID }", [Filled(21, 2f, 3, 5), targets], checkBottoms: [0]);
        // Hinge has kinks where a margin is exactly 0; random scores keep away from them.
        Check("type: 'HingeLoss'", [Filled(22, 3f, 4, 5), Labels(5, 23, 4)], checkBottoms: [0]);
        Check("type: 'HingeLoss' hinge_loss_param { norm: L2 }", [Filled(24, 3f, 4, 5), Labels(5, 25, 4)], checkBottoms: [0]);
    }

    [Fact]
    public void ConcatSliceSplitEltwise()
    {
        Check("type: 'Concat'", [Filled(26, 1f, 2, 3, 2), Filled(27, 1f, 2, 1, 2)]);
        Check("type: 'Concat' concat_param { axis: 0 }", [Filled(28, 1f, 2, 3), Filled(29, 1f, 1, 3)]);
        Check("type: 'Slice' slice_param { axis: 1 slice_point: 1 slice_point: 3 }", [Filled(30, 1f, 2, 4, 3)], tops: 3);
        Check("type: 'Slice' slice_param { axis: 0 }", [Filled(31, 1f, 4, 3)], tops: 2);
        Check("type: 'Split'", [Filled(32, 1f, 2, 3)], tops: 3);
        Check("type: 'Eltwise' eltwise_param { operation: SUM coeff: 2 coeff: -0.5 }", [Filled(33, 1f, 2, 3), Filled(34, 1f, 2, 3)]);
        Check("type: 'Eltwise' eltwise_param { operation: PROD }", [Filled(35, 1f, 2, 3), Filled(36, 1f, 2, 3), Filled(37, 1f, 2, 3)]);
        Check("type: 'Eltwise' eltwise_param { operation: MAX }", [Filled(38, 1f, 3, 4), Filled(39, 1f, 3, 4)],
            checker: new GradientChecker(stepsize: 1e-3, threshold: 1e-2));
    }

    [Fact]
    public void ReshapingLayersPassGradientsThrough()
    {
        Check("type: 'Flatten'", [Filled(40, 1f, 2, 3, 2)]);
        Check("type: 'Flatten' flatten_param { axis: 2 }", [Filled(41, 1f, 2, 3, 2, 2)]);
        Check("type: 'Reshape' reshape_param { shape { dim: 0 dim: -1 dim: 2 } }", [Filled(42, 1f, 2, 3, 2)]);
        Check("type: 'Crop' crop_param { axis: 2 offset: 1 }", [Filled(43, 1f, 2, 2, 5, 4), Filled(44, 1f, 2, 2, 3, 2)], checkBottoms: [0]);
        Check("type: 'Crop' crop_param { axis: 1 offset: 0 offset: 2 offset: 1 }", [Filled(45, 1f, 2, 3, 5, 4), Filled(46, 1f, 2, 2, 2, 3)], checkBottoms: [0]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("batch_norm_param { eps: 0.001 }")]
    public void BatchNormTraining(string settings)
    {
        Check($"type: 'BatchNorm' {settings}", [Filled(47, 2f, 4, 3, 2, 2)], checker: new GradientChecker(stepsize: 1e-3, threshold: 5e-3));
        Check($"type: 'BatchNorm' {settings}", [Filled(48, 2f, 5, 3)], checker: new GradientChecker(stepsize: 1e-3, threshold: 5e-3));
    }

    [Fact]
    public void BatchNormWithGlobalStatistics()
    {
        var layer = Create("type: 'BatchNorm' batch_norm_param { use_global_stats: true }");
        var bottom = Filled(49, 2f, 3, 2, 2, 2);
        layer.SetUp([bottom], Tops(1));
        layer.Blobs[0].Data[0] = 0.5f; layer.Blobs[0].Data[1] = -1f;
        layer.Blobs[1].Data[0] = 2f; layer.Blobs[1].Data[1] = 3f;
        layer.Blobs[2].Data[0] = 1f;
        new GradientChecker().Check(layer, [bottom], Tops(1), checkParams: false);
    }

    [Theory]
    [InlineData("")]
    [InlineData("scale_param { bias_term: true }")]
    [InlineData("scale_param { axis: 0 num_axes: 2 filler { type: 'gaussian' } }")]
    [InlineData("scale_param { num_axes: -1 bias_term: true filler { type: 'gaussian' } bias_filler { type: 'gaussian' } }")]
    public void ScaleWithALearnedFactor(string settings)
    {
        Check($"type: 'Scale' {settings}", [Filled(50, 1f, 2, 3, 2, 2)]);
    }

    [Fact]
    public void ScaleAndBiasWithASecondBottom()
    {
        Check("type: 'Scale'", [Filled(51, 1f, 2, 3, 4), Filled(52, 1f, 3)]);
        Check("type: 'Scale' scale_param { axis: 0 }", [Filled(53, 1f, 2, 3, 4), Filled(54, 1f, 2, 3)]);
        Check("type: 'Bias'", [Filled(55, 1f, 2, 3, 4), Filled(56, 1f, 3, 4)]);
        Check("type: 'Bias' bias_param { filler { type: 'gaussian' } }", [Filled(57, 1f, 2, 3, 4)]);
    }

    [Theory]
    [InlineData("lrn_param { local_size: 3 alpha: 0.5 beta: 0.75 }")]
    [InlineData("lrn_param { local_size: 5 alpha: 1 beta: 0.75 k: 2 }")]
    [InlineData("lrn_param { local_size: 3 alpha: 0.5 beta: 0.75 norm_region: WITHIN_CHANNEL }")]
    public void LRN(string settings)
    {
        Check($"type: 'LRN' {settings}", [Filled(58, 1f, 2, 7, 3, 3)], checker: new GradientChecker(threshold: 2e-3));
    }

    [Fact]
    public void EmbedParameters()
    {
        var indices = Labels(6, 59, 3, 2);
        Check("type: 'Embed' embed_param { input_dim: 6 num_output: 4 weight_filler { type: 'gaussian' } bias_filler { type: 'gaussian' } }", [indices], checkBottoms: []);
    }
}

public sealed class LayerGradientTestsOnCpu : LayerGradientTests<OnCpu>
{
    /// <summary>
    /// 5x5 convolutions by the CPU's F(2x2, 5x5) (the GPU backend has no Winograd path): "same",
    /// whose data gradient is a Winograd convolution too, and "valid". Its rounding, about 4e-6 of
    /// the output's range, divided by a step of 0.01 would swamp the difference quotient; a
    /// convolution is linear, so a step of 1 gives the same exact quotient.
    /// </summary>
    [Theory]
    [InlineData("num_output: 16 kernel_size: 5 pad: 2", 1, 16, 3, 16)]
    [InlineData("num_output: 16 kernel_size: 5", 1, 16, 6, 19)]
    public void ConvolutionByWinogradFiveByFive(string settings, int n, int c, int h, int w)
    {
        Check($"type: 'Convolution' convolution_param {{ {settings} weight_filler {{ type: 'gaussian' std: 0.5 }} bias_filler {{ type: 'gaussian' }} }}",
            [Filled(6, 1f, n, c, h, w)], checker: new GradientChecker(stepsize: 1, threshold: 2e-3));
    }
}

public sealed class LayerGradientTestsOnEmulatedDevice : LayerGradientTests<OnEmulatedDevice>;
public sealed class LayerGradientTestsOnEmulatedGpu : LayerGradientTests<OnEmulatedGpu>;
