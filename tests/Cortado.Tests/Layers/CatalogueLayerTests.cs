using Cortado.Proto;
using Cortado.Tensors;
using Cortado.Tests.Devices;
using static Cortado.Tests.Layers.LayerTestKit;

namespace Cortado.Tests.Layers;

/// <summary>
/// The rest of Caffe's catalogue (Clip, Swish, ContrastiveLoss, MultinomialLogisticLoss, MVN,
/// Reduction, Tile, Parameter, BatchReindex): gradients by finite differences, outputs against
/// values worked out by hand from each layer's formula in Caffe's documentation.
/// </summary>
public abstract class CatalogueLayerTests<TDevice> where TDevice : ITestDevice
{
    private static Cortado.Layers.Layer Create(string prototxt) => LayerTestKit.Create(prototxt, TDevice.Compute);

    private static void Check(string prototxt, Blob[] bottom, int[]? checkBottoms = null, GradientChecker? checker = null) =>
        (checker ?? new GradientChecker()).Check(Create(prototxt), bottom, Tops(1), checkBottoms);

    /// <summary>Runs forward, then backward with the given top gradient (1 for a loss), and returns the top and the bottoms' gradients.</summary>
    private static (float[] Top, float[][] BottomDiffs) Run(string prototxt, Blob[] bottom, float[]? topDiff = null, bool[]? propagate = null)
    {
        var layer = Create(prototxt);
        var top = Tops(1);
        layer.SetUp(bottom, top);
        layer.Forward(bottom, top);
        if (topDiff != null) topDiff.CopyTo(top[0].Diff);
        else top[0].Diff.Fill(1f);
        propagate ??= [.. bottom.Select(_ => true)];
        layer.Backward(top, propagate, bottom);
        return (top[0].HostData.ToArray(), [.. bottom.Select((b, i) => propagate[i] ? b.HostDiff.ToArray() : [])]);
    }

    /// <summary>Values kept at least <paramref name="gap"/> from each of <paramref name="kinks"/>.</summary>
    private static Blob AwayFrom(Blob blob, float gap, params float[] kinks)
    {
        var data = blob.Data;
        for (int i = 0; i < data.Length; i++)
            foreach (float kink in kinks)
                if (Math.Abs(data[i] - kink) < gap) data[i] = kink + (data[i] >= kink ? gap : -gap);
        return blob;
    }

    // ---------------------------------------------------------------- gradients

    [Fact]
    public void ClipAndSwishGradients()
    {
        Check("type: 'Clip' clip_param { min: -0.5 max: 0.5 }", [AwayFrom(Filled(1, 1f, 2, 3, 4), 0.05f, -0.5f, 0.5f)]);
        Check("type: 'Swish'", [Filled(2, 2f, 2, 3, 4)]);
        Check("type: 'Swish' swish_param { beta: 0.5 }", [Filled(3, 3f, 3, 5)]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("contrastive_loss_param { margin: 1.5 }")]
    [InlineData("contrastive_loss_param { legacy_version: true margin: 2 }")]
    public void ContrastiveLossGradient(string settings) =>
        Check($"type: 'ContrastiveLoss' {settings}", [Filled(4, 0.5f, 6, 5), Filled(5, 0.5f, 6, 5), Labels(2, 6, 6)], checkBottoms: [0, 1]);

    [Fact]
    public void MultinomialLogisticLossGradient()
    {
        var probabilities = Filled(7, 1f, 4, 5);
        for (int i = 0; i < probabilities.Count; i++) probabilities.Data[i] = Math.Abs(probabilities.Data[i]) + 0.2f;
        Check("type: 'MultinomialLogisticLoss'", [probabilities, Labels(5, 8, 4)], checkBottoms: [0], checker: new GradientChecker(stepsize: 1e-3));
    }

    [Theory]
    [InlineData("")]
    [InlineData("mvn_param { across_channels: true }")]
    [InlineData("mvn_param { normalize_variance: false }")]
    public void MvnGradient(string settings) => Check($"type: 'MVN' {settings}", [Filled(9, 1f, 2, 3, 4, 5)], checker: new GradientChecker(threshold: 2e-3));

    [Theory]
    [InlineData("operation: SUM axis: 1")]
    [InlineData("operation: ASUM axis: 2 coeff: -0.5")]
    [InlineData("operation: SUMSQ axis: 0")]
    [InlineData("operation: MEAN axis: 1 coeff: 3")]
    public void ReductionGradient(string settings) =>
        Check($"type: 'Reduction' reduction_param {{ {settings} }}", [AwayFrom(Filled(10, 1f, 2, 3, 4), 0.05f, 0f)]);

    [Fact]
    public void TileParameterAndBatchReindexGradients()
    {
        Check("type: 'Tile' tile_param { axis: 1 tiles: 3 }", [Filled(11, 1f, 2, 3, 2)]);
        Check("type: 'Tile' tile_param { axis: 0 tiles: 2 }", [Filled(12, 1f, 2, 3)]);
        Check("type: 'Parameter' parameter_param { shape { dim: 2 dim: 3 } }", []);
        Check("type: 'BatchReindex'", [Filled(13, 1f, 4, 3), Values([3, 0, 3, 1, 2], 5)], checkBottoms: [0]);
    }

    [Fact]
    public void InfogainLossGradient()
    {
        var h = Filled(14, 1f, 5, 5);
        for (int i = 0; i < h.Count; i++) h.Data[i] = Math.Abs(h.Data[i]);
        Check("type: 'InfogainLoss'", [Filled(15, 2f, 4, 5), Labels(5, 16, 4), h], checkBottoms: [0]);
        var spatial = Filled(17, 1f, 3, 3);
        for (int i = 0; i < spatial.Count; i++) spatial.Data[i] = Math.Abs(spatial.Data[i]);
        Check("type: 'InfogainLoss'", [Filled(18, 2f, 2, 3, 2, 2), Labels(3, 19, 2, 1, 2, 2), spatial], checkBottoms: [0]);
    }

    [Theory]
    [InlineData("pyramid_height: 3 pool: MAX", 2, 2, 9, 7)]
    [InlineData("pyramid_height: 2 pool: AVE", 2, 3, 5, 6)]
    public void SppGradient(string settings, int n, int c, int h, int w)
    {
        // Distinct, well-separated inputs (as for Pooling), so no max window has a near tie.
        var bottom = new Blob(n, c, h, w);
        var order = Enumerable.Range(0, bottom.Count).OrderBy(i => (i * 7919) % bottom.Count).ToArray();
        for (int i = 0; i < bottom.Count; i++) bottom.Data[i] = order[i] * 0.1f;
        Check($"type: 'SPP' spp_param {{ {settings} }}", [bottom]);
    }

    [Fact]
    public void FilterGradient() =>
        new GradientChecker().Check(Create("type: 'Filter'"), [Filled(20, 1f, 5, 2, 3), Filled(21, 1f, 5, 4), Values([1, 0, 0, 2, 1], 5, 1)], Tops(2), checkBottoms: [0, 1]);

    // ---------------------------------------------------------------- by hand

    [Fact]
    public void ClipAndSwishByHand()
    {
        var (y, dx) = Run("type: 'Clip' clip_param { min: -0.5 max: 0.5 }", [Values([-2, -0.5f, 0.3f, 0.5f, 2], 5)]);
        Near([-0.5f, -0.5f, 0.3f, 0.5f, 0.5f], y);
        Near([0, 1, 1, 1, 0], dx[0]);
        // x sigmoid(x) at 1, and x sigmoid(0.5 x) at -2: 1 / (1 + e^-1) and -2 / (1 + e^1).
        Near([0.7310586f], Run("type: 'Swish'", [Values([1f], 1)]).Top);
        Near([-0.5378828f], Run("type: 'Swish' swish_param { beta: 0.5 }", [Values([-2f], 1)]).Top);
    }

    [Fact]
    public void ContrastiveLossByHand()
    {
        // Pair 0 similar at distance 1; pair 1 dissimilar at distance 5 with margin 6: (1 + (6 - 5)^2) / (2 * 2) = 0.5.
        Blob A() => Values([1, 0, 0, 0], 2, 2);
        Blob B() => Values([0, 0, 3, 4], 2, 2);
        Blob Y() => Values([1, 0], 2);
        var (loss, diffs) = Run("type: 'ContrastiveLoss' contrastive_loss_param { margin: 6 }", [A(), B(), Y()], propagate: [true, true, false]);
        Near([0.5f], loss);
        // Similar: (a - b) / N; dissimilar inside the margin: -(margin - d) / (d + 1e-4) (a - b) / N.
        float beta = -0.5f * 1f / (5f + 1e-4f);
        Near([0.5f, 0f, -3f * beta, -4f * beta], diffs[0]);
        Near([-0.5f, 0f, 3f * beta, 4f * beta], diffs[1]);
        // The legacy version compares the squared distance with the margin: max(6 - 25, 0) = 0.
        Near([0.25f], Run("type: 'ContrastiveLoss' contrastive_loss_param { margin: 6 legacy_version: true }", [A(), B(), Y()], propagate: [true, true, false]).Top);
    }

    [Fact]
    public void MultinomialLogisticLossByHand()
    {
        var (loss, diffs) = Run("type: 'MultinomialLogisticLoss'", [Values([0.2f, 0.8f, 0.5f, 0.5f], 2, 2), Values([1, 0], 2)], propagate: [true, false]);
        Near([(float)(-(Math.Log(0.8) + Math.Log(0.5)) / 2)], loss);
        Near([0f, -1f / (2 * 0.8f), -1f / (2 * 0.5f), 0f], diffs[0]);
        // A zero probability costs -log(1e-20), Caffe's threshold.
        Near([(float)(-Math.Log(1e-20) / 1)], Run("type: 'MultinomialLogisticLoss'", [Values([0f, 1f], 1, 2), Values([0], 1)], propagate: [true, false]).Top, 1e-4f);
    }

    [Fact]
    public void InfogainLossByHand()
    {
        // Logits 0, 0 give p = (0.5, 0.5); label 0 with H = [1 2; 3 4]: L = -(1 + 2) ln 0.5, dL/dx = p (1 + 2) - (1, 2).
        var (loss, diffs) = Run("type: 'InfogainLoss'", [Values([0f, 0f], 1, 2), Values([0f], 1), Values([1f, 2, 3, 4], 2, 2)], propagate: [true, false, false]);
        Near([3f * MathF.Log(2f)], loss);
        Near([0.5f, -0.5f], diffs[0]);
        // With H the identity it is the softmax loss, read here from a .binaryproto as infogain_loss_param.source gives it.
        using var dir = new TempDir();
        var identity = Values([1f, 0, 0, 0, 1, 0, 0, 0, 1], 1, 1, 3, 3);
        ProtoFiles.WriteBinary(dir.File("H.binaryproto"), identity.ToProto());
        var logits = Filled(20, 2f, 4, 3);
        var labels = Labels(3, 21, 4);
        var infogain = Run($"type: 'InfogainLoss' infogain_loss_param {{ source: '{dir.File("H.binaryproto")}' }}", [logits, labels], propagate: [true, false]);
        var softmax = Run("type: 'SoftmaxWithLoss'", [logits, labels], propagate: [true, false]);
        Near(softmax.Top, infogain.Top);
        Near(softmax.BottomDiffs[0], infogain.BottomDiffs[0]);
    }

    [Fact]
    public void SppByHand()
    {
        var square = Values([.. Enumerable.Range(0, 16).Select(v => (float)v)], 1, 1, 4, 4);
        Near([15, 5, 7, 13, 15], Run("type: 'SPP' spp_param { pyramid_height: 2 }", [square]).Top);
        Near([7.5f, 2.5f, 4.5f, 10.5f, 12.5f], Run("type: 'SPP' spp_param { pyramid_height: 2 pool: AVE }", [square]).Top);
        // 3 x 3 into 2 x 2 bins: kernel 2, padding 1, so the first bin sees only the corner.
        Near([8, 0, 2, 6, 8], Run("type: 'SPP' spp_param { pyramid_height: 2 }", [Values([.. Enumerable.Range(0, 9).Select(v => (float)v)], 1, 1, 3, 3)]).Top);
        var tooSmall = Assert.Throws<Cortado.Errors.LayerException>(() => Run("type: 'SPP' spp_param { pyramid_height: 3 }", [Filled(1, 1f, 1, 1, 3, 3)]));
        Assert.Contains("cannot be pooled into 4x4 bins", tooSmall.Message);
    }

    [Fact]
    public void MvnByHand()
    {
        // One channel 1, 2, 3, 4: mean 2.5, variance 7.5 - 6.25 = 1.25.
        float std = MathF.Sqrt(1.25f);
        Near([-1.5f / std, -0.5f / std, 0.5f / std, 1.5f / std], Run("type: 'MVN'", [Values([1, 2, 3, 4], 1, 1, 2, 2)]).Top);
        Near([-1.5f, -0.5f, 0.5f, 1.5f, -1f, 1f, -1f, 1f],
            Run("type: 'MVN' mvn_param { normalize_variance: false }", [Values([1, 2, 3, 4, 5, 7, 5, 7], 1, 2, 2, 2)]).Top);
    }

    [Fact]
    public void ReductionByHand()
    {
        var x = new float[] { 1, -2, 3, 4 };
        Near([2 * (1 + 4), 2 * (9 + 16)], Run("type: 'Reduction' reduction_param { operation: SUMSQ axis: 1 coeff: 2 }", [Values(x, 2, 2)]).Top);
        var (mean, dx) = Run("type: 'Reduction' reduction_param { operation: MEAN }", [Values(x, 2, 2)]);
        Near([1.5f], mean);
        Near([0.25f, 0.25f, 0.25f, 0.25f], dx[0]);
        var (asum, dAsum) = Run("type: 'Reduction' reduction_param { operation: ASUM axis: 1 }", [Values(x, 2, 2)], topDiff: [1, 2]);
        Near([3, 7], asum);
        Near([1, -1, 2, 2], dAsum[0]);
    }

    [Fact]
    public void PermuteGradients()
    {
        Check("type: 'Permute' permute_param { order: 0 order: 2 order: 3 order: 1 }", [Filled(21, 1f, 2, 3, 4, 2)]);
        Check("type: 'Permute' permute_param { order: 0 order: 3 order: 1 order: 2 }", [Filled(22, 1f, 2, 3, 4, 2)]);
        Check("type: 'Permute' permute_param { order: 1 }", [Filled(23, 1f, 3, 4, 2)]);
    }

    [Fact]
    public void PermuteMovesEachValueToItsPermutedIndex()
    {
        // (n, c, h, w) = (2, 3, 2, 4) to (n, h, w, c): top[n, y, x, k] = bottom[n, k, y, x].
        var values = Enumerable.Range(0, 48).Select(i => (float)i).ToArray();
        var topDiff = Enumerable.Range(0, 48).Select(i => 100f + i).ToArray();
        var (y, dx) = Run("type: 'Permute' permute_param { order: 0 order: 2 order: 3 order: 1 }", [Values(values, 2, 3, 2, 4)], topDiff: topDiff);
        for (int n = 0; n < 2; n++)
            for (int k = 0; k < 3; k++)
                for (int r = 0; r < 2; r++)
                    for (int c = 0; c < 4; c++)
                    {
                        int bottom = ((n * 3 + k) * 2 + r) * 4 + c, top = ((n * 2 + r) * 4 + c) * 3 + k;
                        Assert.Equal(values[bottom], y[top]);
                        Assert.Equal(topDiff[top], dx[0][bottom]);
                    }
        Assert.Throws<Cortado.Errors.LayerException>(() => Run("type: 'Permute' permute_param { order: 0 order: 0 }", [Values(values, 2, 24)]));
    }

    [Fact]
    public void TileByHand()
    {
        var (y, dx) = Run("type: 'Tile' tile_param { axis: 1 tiles: 2 }", [Values([1, 2, 3, 4], 2, 2)], topDiff: [1, 2, 3, 4, 5, 6, 7, 8]);
        Near([1, 2, 1, 2, 3, 4, 3, 4], y);
        Near([1 + 3, 2 + 4, 5 + 7, 6 + 8], dx[0]);
    }

    [Fact]
    public void BatchReindexByHand()
    {
        var (y, dx) = Run("type: 'BatchReindex'", [Values([1, 2, 3, 4, 5, 6], 3, 2), Values([2, 0, 2], 3)], propagate: [true, false]);
        Near([5, 6, 1, 2, 5, 6], y);
        Near([1, 1, 0, 0, 2, 2], dx[0]);
        var error = Assert.Throws<Cortado.Errors.LayerException>(() => Run("type: 'BatchReindex'", [Values([1, 2], 2, 1), Values([2], 1)], propagate: [true, false]));
        Assert.Contains("index 2 is not a sample of the 2", error.Message);
    }

    [Fact]
    public void FilterKeepsTheSelectedSamplesInOrder()
    {
        var layer = Create("name: 'f' type: 'Filter'");
        var bottom = new[] { Values([1, 2, 3, 4, 5, 6, 7, 8], 4, 2), Values([0, 1, 0, -1], 4) };
        var top = Tops(1);
        layer.SetUp(bottom, top);
        Assert.Equal([4, 2], top[0].Shape.ToArray()); // before any data, the full batch, as Caffe's first reshape
        layer.Forward(bottom, top);
        Assert.Equal([2, 2], top[0].Shape.ToArray());
        Near([3, 4, 7, 8], top[0].HostData);
        new float[] { 10, 20, 30, 40 }.CopyTo(top[0].Diff);
        layer.Backward(top, [true, false], bottom);
        Near([0, 0, 10, 20, 0, 0, 30, 40], bottom[0].HostDiff);
        var selector = Assert.Throws<Cortado.Errors.LayerException>(() => Create("name: 'f' type: 'Filter'").SetUp([new Blob(4, 2), new Blob(4, 2)], Tops(1)));
        Assert.Contains("the selector (last bottom) must be N or N x 1", selector.Message);
        var count = Assert.Throws<Cortado.Errors.LayerException>(() => Create("name: 'f' type: 'Filter'").SetUp([new Blob(4, 2), new Blob(3)], Tops(1)));
        Assert.Contains("must have the selector's 3 samples", count.Message);
    }

    [Fact]
    public void ParameterServesItsBlobAndLearnsFromItsTop()
    {
        var layer = Create("type: 'Parameter' parameter_param { shape { dim: 1 dim: 3 } }");
        var top = Tops(1);
        layer.SetUp([], top);
        new float[] { 1, 2, 3 }.CopyTo(layer.Blobs[0].Data);
        layer.Forward([], top);
        Near([1, 2, 3], top[0].HostData);
        new float[] { 0.5f, 0, -1 }.CopyTo(top[0].Diff);
        Near([0.5f, 0, -1], layer.Blobs[0].HostDiff);
        Assert.Throws<Cortado.Errors.LayerException>(() => Create("type: 'Parameter'").SetUp([], Tops(1)));
    }
}

public sealed class CatalogueLayerTestsOnCpu : CatalogueLayerTests<OnCpu>;
public sealed class CatalogueLayerTestsOnEmulatedDevice : CatalogueLayerTests<OnEmulatedDevice>;
public sealed class CatalogueLayerTestsOnEmulatedGpu : CatalogueLayerTests<OnEmulatedGpu>;
