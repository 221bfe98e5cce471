using Cortado.Tests.Devices;
using Cortado.Errors;
using Cortado.Proto;
using Cortado.Tensors;
using static Cortado.Tests.Layers.LayerTestKit;

namespace Cortado.Tests.Layers;

/// <summary>Layer outputs against values worked out by hand from the published formulas.</summary>
public abstract class LayerReferenceTests<TDevice> where TDevice : ITestDevice
{
    private static Cortado.Layers.Layer Create(string prototxt, Phase phase = Phase.Train, int seed = 1) => LayerTestKit.Create(prototxt, TDevice.Compute, phase, seed);

    [Fact]
    public void ConvolutionByHand()
    {
        // 3x3 input 1..9, one 2x2 filter [1 0; 0 -1] (x[i,j] - x[i+1,j+1] = -4 everywhere), bias 0.5.
        var layer = Create("type: 'Convolution' convolution_param { num_output: 1 kernel_size: 2 }");
        var top = Tops(1);
        var bottom = Values([1, 2, 3, 4, 5, 6, 7, 8, 9], 1, 1, 3, 3);
        layer.SetUp([bottom], top);
        new float[] { 1, 0, 0, -1 }.CopyTo(layer.Blobs[0].Data);
        layer.Blobs[1].Data[0] = 0.5f;
        layer.Forward([bottom], top);
        Assert.Equal([1, 1, 2, 2], top[0].Shape);
        Near([-3.5f, -3.5f, -3.5f, -3.5f], top[0].Data);
    }

    [Fact]
    public void ConvolutionWithPaddingStrideAndTwoChannels()
    {
        // Input channels [1 2; 3 4] and [10 20; 30 40]; a 3x3 kernel with pad 1, stride 2 sees the whole image
        // centred on (0,0): with all-ones weights, output = sum of the 2x2 top-left block of both channels.
        var layer = Create("type: 'Convolution' convolution_param { num_output: 1 kernel_size: 3 pad: 1 stride: 2 bias_term: false weight_filler { type: 'constant' value: 1 } }");
        var top = Tops(1);
        var bottom = Values([1, 2, 3, 4, 10, 20, 30, 40], 1, 2, 2, 2);
        layer.SetUp([bottom], top);
        layer.Forward([bottom], top);
        Assert.Equal([1, 1, 1, 1], top[0].Shape);
        Assert.Equal(110f, top[0].Data[0]);
    }

    [Theory]
    [InlineData(20, 11, 2, 1, "", 19, 10)]            // the seed's pool1 as written
    [InlineData(20, 11, 2, 2, "", 10, 6)]             // stride 2: ceil(9/2)+1 = 6 columns
    [InlineData(20, 11, 2, 2, "round_mode: FLOOR", 10, 5)]
    [InlineData(7, 7, 3, 2, "pad: 1", 4, 4)]
    public void PoolingOutputShape(int h, int w, int kernel, int stride, string extra, int outH, int outW)
    {
        var layer = Create($"type: 'Pooling' pooling_param {{ pool: MAX kernel_size: {kernel} stride: {stride} {extra} }}");
        var top = Tops(1);
        layer.SetUp([new Blob(2, 32, h, w)], top);
        Assert.Equal([2, 32, outH, outW], top[0].Shape);
    }

    [Fact]
    public void SoftmaxWithLossByHand()
    {
        // logits [1 2 3], label 2: loss = -ln(e^3 / (e + e^2 + e^3)) = 0.40760596
        // logits [0 0 0], label 0: loss = ln 3 = 1.0986123; the mean of the two is 0.75310913.
        var layer = Create("type: 'SoftmaxWithLoss'");
        var top = Tops(1);
        var scores = Values([1, 2, 3, 0, 0, 0], 2, 3);
        var labels = Values([2, 0], 2);
        layer.SetUp([scores, labels], top);
        float loss = layer.Forward([scores, labels], top);
        Assert.Equal(0.75310913f, top[0].Data[0], 5);
        Assert.Equal(0.75310913f, loss, 5);
    }

    [Fact]
    public void SaturatedWrongPredictionCostsTheFltMinClamp()
    {
        var layer = Create("type: 'SoftmaxWithLoss'");
        var top = Tops(1);
        var scores = Values([0, 200], 1, 2);
        var labels = Values([0], 1);
        layer.SetUp([scores, labels], top);
        layer.Forward([scores, labels], top);
        Assert.Equal(87.3365f, top[0].Data[0], 3);
    }

    [Fact]
    public void LabelOutsideTheClassesNamesTheLabelAndLayer()
    {
        var layer = Create("name: 'loss' type: 'SoftmaxWithLoss'");
        var top = Tops(1);
        var scores = Values([0, 0, 0, 0, 0, 0], 2, 3);
        var labels = Values([1, 11], 2);
        layer.SetUp([scores, labels], top);
        var e = Assert.Throws<LayerException>(() => layer.Forward([scores, labels], top));
        Assert.Equal("layer 'loss' (SoftmaxWithLoss): label 11 is outside the 3 classes (0..2); check num_output of the layer feeding this loss and the labels in the data", e.Message);
    }

    [Fact]
    public void AccuracyTopKIgnoreAndPerClass()
    {
        float[] scores = [0.1f, 0.7f, 0.2f,   // predicts 1
                          0.5f, 0.3f, 0.2f,   // predicts 0
                          0.2f, 0.3f, 0.5f,   // predicts 2
                          0.3f, 0.4f, 0.3f];  // predicts 1
        var s = Values(scores, 4, 3);
        var labels = Values([1, 1, 0, 2], 4);
        var layer = Create("type: 'Accuracy'");
        var top = Tops(2);
        layer.SetUp([s, labels], top);
        layer.Forward([s, labels], top);
        Assert.Equal(0.25f, top[0].Data[0]);
        Near([0f, 0.5f, 0f], top[1].Data);

        layer = Create("type: 'Accuracy' accuracy_param { top_k: 2 ignore_label: 2 }");
        top = Tops(1);
        layer.SetUp([s, labels], top);
        layer.Forward([s, labels], top);
        // Samples 0 and 1 are right within the top 2, sample 2 is wrong, sample 3 is ignored: 2/3.
        Assert.Equal(2f / 3f, top[0].Data[0], 6);
    }

    [Fact]
    public void AccuracyCountsNaNScoresAsRightLikeCaffe()
    {
        var s = Values([float.NaN, float.NaN, float.NaN, float.NaN], 2, 2);
        var labels = Values([0, 1], 2);
        var layer = Create("type: 'Accuracy'");
        var top = Tops(1);
        layer.SetUp([s, labels], top);
        layer.Forward([s, labels], top);
        Assert.Equal(1f, top[0].Data[0]);
    }

    [Fact]
    public void LrnAcrossChannelsByHand()
    {
        // One position, channels [1 2 3], size 3, alpha 3, beta 1, k 1: scale_c = 1 + (3/3) * sum of squares in the window.
        // c0: 1 + 1 + 4 = 6 -> 1/6; c1: 1 + 1 + 4 + 9 = 15 -> 2/15; c2: 1 + 4 + 9 = 14 -> 3/14.
        var layer = Create("type: 'LRN' lrn_param { local_size: 3 alpha: 3 beta: 1 k: 1 }");
        var top = Tops(1);
        var bottom = Values([1, 2, 3], 1, 3, 1, 1);
        layer.SetUp([bottom], top);
        layer.Forward([bottom], top);
        Near([1f / 6, 2f / 15, 3f / 14], top[0].Data);
    }

    [Fact]
    public void LrnWithinChannelByHand()
    {
        // 1x1 plane [2], size 3 with pad 1: the 3x3 average of squares is 4/9; y = 2 (1 + 0.9 * 4/9)^-1 = 2/1.4.
        var layer = Create("type: 'LRN' lrn_param { local_size: 3 alpha: 0.9 beta: 1 norm_region: WITHIN_CHANNEL }");
        var top = Tops(1);
        var bottom = Values([2], 1, 1, 1, 1);
        layer.SetUp([bottom], top);
        layer.Forward([bottom], top);
        Near([2f / 1.4f], top[0].Data);
    }

    [Fact]
    public void BatchNormByHandAndItsRunningStatistics()
    {
        // Channel values 1, 2, 3, 4 (two samples x two positions): mean 2.5, variance 1.25.
        var layer = Create("type: 'BatchNorm' batch_norm_param { moving_average_fraction: 0.9 }");
        var top = Tops(1);
        var bottom = Values([1, 2, 3, 4], 2, 1, 2);
        layer.SetUp([bottom], top);
        layer.Forward([bottom], top);
        float std = MathF.Sqrt(1.25f + 1e-5f);
        Near([-1.5f / std, -0.5f / std, 0.5f / std, 1.5f / std], top[0].Data);
        Assert.Equal(1f, layer.Blobs[2].Data[0]);
        Assert.Equal(2.5f, layer.Blobs[0].Data[0]);
        Assert.Equal(1.25f * 4 / 3, layer.Blobs[1].Data[0], 5); // unbiased: m / (m - 1)

        // Test phase uses the stored statistics: (x - 2.5) / sqrt(5/3 + eps).
        var test = Create("type: 'BatchNorm'", Phase.Test);
        var testTop = Tops(1);
        test.SetUp([bottom], testTop);
        for (int i = 0; i < 3; i++) layer.Blobs[i].Data.CopyTo(test.Blobs[i].Data);
        test.Forward([bottom], testTop);
        Assert.Equal(-1.5f / MathF.Sqrt(5f / 3 + 1e-5f), testTop[0].Data[0], 5);
    }

    [Fact]
    public void BatchNormStatisticsAreNeverLearned()
    {
        var param = TextFormat.Parse<LayerParameter>("type: 'BatchNorm'");
        var layer = Cortado.Layers.LayerRegistry.Create(param, Cortado.Layers.LayerContext.ForTests(compute: TDevice.Compute));
        layer.SetUp([new Blob(2, 3)], Tops(1));
        Assert.Equal([0f, 0f, 0f], param.Param.Select(p => p.LrMult));
        var e = Assert.Throws<LayerException>(() => Create("type: 'BatchNorm' param { lr_mult: 1 }").SetUp([new Blob(2, 3)], Tops(1)));
        Assert.Contains("cannot be learned", e.Message);
    }

    [Fact]
    public void DropoutScalesKeptValuesAndRoutesGradientsThroughTheSameMask()
    {
        var layer = Create("type: 'Dropout' dropout_param { dropout_ratio: 0.25 }");
        var bottom = new Blob(10000);
        bottom.Data.Fill(1f);
        var top = Tops(1);
        layer.SetUp([bottom], top);
        layer.Forward([bottom], top);
        int kept = 0;
        foreach (float v in top[0].Data) { Assert.True(v == 0f || Math.Abs(v - 4f / 3) < 1e-6); if (v != 0f) kept++; }
        Assert.InRange(kept, 7300, 7700);
        top[0].Diff.Fill(1f);
        layer.Backward(top, [true], [bottom]);
        for (int i = 0; i < bottom.Count; i++) Assert.Equal(top[0].Data[i], bottom.Diff[i]);

        var test = Create("type: 'Dropout'", Phase.Test);
        var testTop = Tops(1);
        test.SetUp([bottom], testTop);
        test.Forward([bottom], testTop);
        Assert.All(testTop[0].Data.ToArray(), v => Assert.Equal(1f, v));
    }

    [Fact]
    public void SpatialDropoutDropsWholeChannelsAndRoutesGradientsThroughTheSameMask()
    {
        var layer = Create("type: 'SpatialDropout' dropout_param { dropout_ratio: 0.5 }");
        var bottom = new Blob(20, 50, 3, 4);
        for (int i = 0; i < bottom.Count; i++) bottom.Data[i] = 1f + i % 7;
        var top = Tops(1);
        layer.SetUp([bottom], top);
        layer.Forward([bottom], top);
        int kept = 0;
        for (int plane = 0; plane < 20 * 50; plane++)
        {
            var values = top[0].Data.Slice(plane * 12, 12).ToArray();
            var inputs = bottom.Data.Slice(plane * 12, 12).ToArray();
            bool keptPlane = values[0] != 0f;
            if (keptPlane) kept++;
            // A plane is all kept (doubled) or all dropped: the channel goes as one.
            for (int k = 0; k < 12; k++) Assert.Equal(keptPlane ? inputs[k] * 2f : 0f, values[k], 5);
        }
        Assert.InRange(kept, 430, 570); // 1000 planes at p = 0.5: 500 +- 4.4 standard deviations
        for (int i = 0; i < top[0].Count; i++) top[0].Diff[i] = 0.5f + i % 3;
        layer.Backward(top, [true], [bottom]);
        for (int i = 0; i < bottom.Count; i++) Assert.Equal(top[0].Data[i] / bottom.Data[i] * top[0].Diff[i], bottom.Diff[i], 5);

        var test = Create("type: 'SpatialDropout'", Phase.Test);
        var testTop = Tops(1);
        test.SetUp([bottom], testTop);
        test.Forward([bottom], testTop);
        Assert.Equal(bottom.Data.ToArray(), testTop[0].Data.ToArray());
        Assert.Contains("dropout_ratio must be in [0, 1)", Assert.Throws<LayerException>(() => Create("type: 'SpatialDropout' dropout_param { dropout_ratio: 1 }").SetUp([bottom], Tops(1))).Message);
        Assert.Contains("needs samples and channels", Assert.Throws<LayerException>(() => Create("type: 'SpatialDropout'").SetUp([new Blob(6)], Tops(1))).Message);
    }

    [Fact]
    public void ArgMaxTopKWithValues()
    {
        var layer = Create("type: 'ArgMax' argmax_param { top_k: 2 out_max_val: true }");
        var bottom = Values([0.1f, 0.9f, 0.5f, 0.7f, 0.2f, 0.1f], 2, 3);
        var top = Tops(1);
        layer.SetUp([bottom], top);
        layer.Forward([bottom], top);
        Assert.Equal([2, 2, 2], top[0].Shape);
        Near([1, 2, 0.9f, 0.5f, 0, 1, 0.7f, 0.2f], top[0].Data);
    }

    [Fact]
    public void EltwiseMaxAndSilence()
    {
        var layer = Create("type: 'Eltwise' eltwise_param { operation: MAX }");
        var a = Values([1, 5, 3], 3);
        var b = Values([4, 2, 6], 3);
        var top = Tops(1);
        layer.SetUp([a, b], top);
        layer.Forward([a, b], top);
        Near([4, 5, 6], top[0].Data);
    }
}

public sealed class LayerReferenceTestsOnCpu : LayerReferenceTests<OnCpu>;
public sealed class LayerReferenceTestsOnEmulatedDevice : LayerReferenceTests<OnEmulatedDevice>;
public sealed class LayerReferenceTestsOnEmulatedGpu : LayerReferenceTests<OnEmulatedGpu>;
