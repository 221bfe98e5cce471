using Cortado.Compute;

namespace Cortado.Tests.Compute;

/// <summary>
/// The direct path for convolutions of few taps (a first layer on gray or colour images) against the
/// convolution's definition summed in doubles, over whole images and blocks of rows.
/// </summary>
public unsafe class DirectConvolutionTests
{
    private static ConvolutionShape Shape(int channels, int filters, int group, int height, int width, int pad, int kernel, int stride = 1) =>
        new(1, channels, filters, group, new ConvolutionGeometry(height, width, kernel, kernel, pad, pad, stride, stride), Reversed: false);

    [Theory]
    [InlineData(1, 32, 1, 28, 28, 0, 3, true, true)]   // the seed net's conv1: 26 columns, the last vector overlapping
    [InlineData(1, 20, 1, 28, 28, 0, 5, true, false)]  // LeNet's conv1: 25 taps, 24 columns
    [InlineData(3, 6, 1, 13, 17, 1, 3, false, true)]   // 27 taps, padded; 6 filters: a block of four and two alone
    [InlineData(2, 8, 2, 10, 9, 1, 3, true, true)]     // two groups; 9 columns: two vectors overlapping by seven
    [InlineData(1, 5, 1, 8, 12, 0, 5, true, false)]    // 8 columns exactly, 5 filters; 4 x 1 positions: the last one alone
    [InlineData(3, 32, 1, 32, 32, 1, 3, false, false)] // an RGB first layer, "same"
    public void ForwardMatchesTheDefinition(int channels, int filters, int group, int height, int width, int pad, int kernel, bool withBias, bool rectify)
    {
        var s = Shape(channels, filters, group, height, width, pad, kernel);
        if (!DirectConvolution.Suits(s)) { Assert.False(System.Runtime.Intrinsics.X86.Fma.IsSupported); return; }
        var g = s.ColumnGeometry;
        int inPerGroup = channels / group, outPerGroup = filters / group, taps = inPerGroup * kernel * kernel, plane = g.OutputHeight * g.OutputWidth;
        var image = Reference.Random(channels * height * width, 1);
        var weights = Reference.Random(filters * taps, 2);
        var bias = Reference.Random(filters, 3);
        var padded = new float[Math.Max(1, ImplicitColumns.PaddedLength(channels, g))];
        // Whole images, then two blocks of rows written apart (as threads split an image at batch 1).
        int split = g.OutputHeight / 2 + 1;
        foreach (var blocks in new[] { new[] { (0, g.OutputHeight) }, new[] { (split, g.OutputHeight - split), (0, split) } })
        {
            var actual = new float[filters * plane];
            actual.AsSpan().Fill(float.NaN);
            fixed (float* x = image, w = weights, y = actual, buffer = padded, b = bias)
            {
                float* source = ImplicitColumns.Pad(x, channels, g, buffer);
                foreach (var (first, count) in blocks)
                    for (int k = 0; k < group; k++)
                        DirectConvolution.Forward(g, inPerGroup, outPerGroup, source + (long)k * inPerGroup * ImplicitColumns.PaddedPlane(g),
                            w + (long)k * outPerGroup * taps, withBias ? b + k * outPerGroup : null, rectify, y + (long)k * outPerGroup * plane, first, count);
            }
            for (int k = 0; k < group; k++)
            {
                var groupImage = image.AsSpan(k * inPerGroup * height * width, inPerGroup * height * width).ToArray();
                var groupWeights = weights.AsSpan(k * outPerGroup * taps, outPerGroup * taps).ToArray();
                var expected = Reference.Convolve(groupImage, inPerGroup, groupWeights, outPerGroup, g);
                var bound = Reference.Convolve(groupImage.Select(Math.Abs).ToArray(), inPerGroup, groupWeights.Select(Math.Abs).ToArray(), outPerGroup, g);
                for (int i = 0; i < expected.Length; i++)
                {
                    float value = actual[k * outPerGroup * plane + i];
                    double biasValue = withBias ? bias[k * outPerGroup + i / plane] : 0;
                    double want = expected[i] + biasValue;
                    if (rectify) want = Math.Max(0, want);
                    Assert.True(Math.Abs(value - want) <= 1e-6 * (bound[i] + Math.Abs(biasValue)) + 1e-7, $"output {k * outPerGroup * plane + i}: {value}, the definition gives {want}");
                    if (rectify) Assert.True(value >= 0, $"output {k * outPerGroup * plane + i}: {value} after the ReLU");
                }
            }
        }
    }

    /// <summary>dW(o, t) = sum over outputs p of dY(o, p) * x(p + tap t), summed in doubles, added to what dW held.</summary>
    [Theory]
    [InlineData(1, 32, 1, 28, 28, 0, 3)]  // the seed net's conv1: the last vector of a row masked to 2 of 8 lanes
    [InlineData(1, 20, 1, 28, 28, 0, 5)]  // 25 taps: eight blocks of three and one left over
    [InlineData(3, 6, 1, 13, 17, 1, 3)]   // padded, 27 taps; 6 channels: a block of four and two left over
    [InlineData(2, 8, 2, 10, 9, 1, 3)]    // two groups; 9 columns: the last vector keeps one lane
    [InlineData(1, 5, 1, 8, 12, 0, 5)]    // 8 columns exactly: nothing masked
    public void WeightGradientMatchesTheDefinition(int channels, int filters, int group, int height, int width, int pad, int kernel)
    {
        var s = Shape(channels, filters, group, height, width, pad, kernel);
        if (!DirectConvolution.Suits(s)) { Assert.False(System.Runtime.Intrinsics.X86.Fma.IsSupported); return; }
        var g = s.ColumnGeometry;
        int inPerGroup = channels / group, outPerGroup = filters / group, taps = inPerGroup * kernel * kernel, plane = g.OutputHeight * g.OutputWidth;
        var image = Reference.Random(channels * height * width, 1);
        var outputDiff = Reference.Random(filters * plane, 2);
        var before = Reference.Random(filters * taps, 3);
        var actual = before.ToArray();
        var padded = new float[Math.Max(1, ImplicitColumns.PaddedLength(channels, g))];
        fixed (float* x = image, dy = outputDiff, dw = actual, buffer = padded)
        {
            float* source = ImplicitColumns.Pad(x, channels, g, buffer);
            for (int k = 0; k < group; k++)
                DirectConvolution.AccumulateWeightGradient(g, inPerGroup, outPerGroup, source + (long)k * inPerGroup * ImplicitColumns.PaddedPlane(g),
                    dy + (long)k * outPerGroup * plane, dw + (long)k * outPerGroup * taps);
        }
        for (int k = 0; k < group; k++)
            for (int o = 0; o < outPerGroup; o++)
                for (int c = 0; c < inPerGroup; c++)
                    for (int ky = 0; ky < kernel; ky++)
                        for (int kx = 0; kx < kernel; kx++)
                        {
                            double sum = 0, bound = 0;
                            for (int y = 0; y < g.OutputHeight; y++)
                                for (int xo = 0; xo < g.OutputWidth; xo++)
                                {
                                    int ih = y - pad + ky, iw = xo - pad + kx;
                                    if (ih < 0 || ih >= height || iw < 0 || iw >= width) continue;
                                    double term = (double)outputDiff[(k * outPerGroup + o) * plane + y * g.OutputWidth + xo] * image[((k * inPerGroup + c) * height + ih) * width + iw];
                                    sum += term;
                                    bound += Math.Abs(term);
                                }
                            int index = (k * outPerGroup + o) * taps + (c * kernel + ky) * kernel + kx;
                            double want = before[index] + sum;
                            Assert.True(Math.Abs(actual[index] - want) <= 1e-6 * (bound + Math.Abs(before[index])) + 1e-7,
                                $"dW[{index}] = {actual[index]}, the definition gives {want}");
                        }
    }

    [Theory]
    [InlineData(1, 32, 1, 28, 28, 0, 3, 2)] // strided
    [InlineData(4, 32, 1, 28, 28, 0, 3, 1)] // 36 taps: GEMM's k is long enough
    [InlineData(1, 32, 1, 9, 9, 0, 3, 1)]   // 7 columns, less than a vector
    public void OtherShapesStayOnGemm(int channels, int filters, int group, int height, int width, int pad, int kernel, int stride) =>
        Assert.False(DirectConvolution.Suits(Shape(channels, filters, group, height, width, pad, kernel, stride)));
}
