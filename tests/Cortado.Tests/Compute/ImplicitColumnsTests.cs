using Cortado.Compute;

namespace Cortado.Tests.Compute;

public unsafe class ImplicitColumnsTests
{
    public static TheoryData<ConvolutionGeometry> Geometries() => new(
        new ConvolutionGeometry(26, 26, 3, 3),                                   // the seed net's conv2
        new ConvolutionGeometry(16, 16, 5, 5, PadH: 2, PadW: 2),                 // CIFAR-10 quick's conv2
        new ConvolutionGeometry(8, 8, 5, 5, PadH: 2, PadW: 2),                   // and its conv3: runs of exactly 8
        new ConvolutionGeometry(12, 29, 3, 3, PadH: 1, PadW: 1),                 // runs that are not multiples of 8
        new ConvolutionGeometry(9, 11, 3, 2, PadH: 1, PadW: 0, StrideH: 2),
        new ConvolutionGeometry(14, 14, 3, 3, PadH: 2, PadW: 2, DilationH: 2, DilationW: 2),
        new ConvolutionGeometry(7, 10, 1, 1, PadH: 1, PadW: 1),
        new ConvolutionGeometry(6, 40, 2, 7));

    [Theory]
    [MemberData(nameof(Geometries))]
    public void TheProductReadFromTheImageEqualsIm2ColThenGemm(ConvolutionGeometry g)
    {
        Assert.True(ImplicitColumns.Suits(g));
        foreach (int channels in new[] { 1, 3, 17 })
        {
            foreach (int filters in new[] { 4, 32, 37 })
            {
                var image = Reference.Random(channels * g.Height * g.Width, channels);
                var weights = Reference.Random(filters * channels * g.KernelH * g.KernelW, filters);
                int k = channels * g.KernelH * g.KernelW, spatial = g.OutputHeight * g.OutputWidth;
                var columns = new float[k * spatial];
                Im2Col.Forward(image, channels, g, columns);
                var expected = new float[filters * spatial];
                Gemm.Compute(Transpose.No, Transpose.No, filters, spatial, k, 1f, weights, columns, 0f, expected);

                var actual = Implicit(image, channels, weights, filters, g, 0, g.OutputHeight);
                // The same packed values through the same kernel: identical, not merely close.
                Assert.Equal(expected, actual);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void TheWeightGradientReadFromTheImageEqualsIm2ColThenGemm(ConvolutionGeometry g)
    {
        foreach (int channels in new[] { 1, 3, 17 })
        {
            foreach (int filters in new[] { 4, 32, 37 })
            {
                var image = Reference.Random(channels * g.Height * g.Width, channels + 10);
                int k = channels * g.KernelH * g.KernelW, spatial = g.OutputHeight * g.OutputWidth;
                var outputDiff = Reference.Random(filters * spatial, filters + 10);
                var start = Reference.Random(filters * k, 99);
                var columns = new float[k * spatial];
                Im2Col.Forward(image, channels, g, columns);
                var expected = (float[])start.Clone();
                Gemm.Compute(Transpose.No, Transpose.Yes, filters, k, spatial, 1f, outputDiff, columns, 1f, expected);

                var actual = (float[])start.Clone();
                var padded = new float[Math.Max(1, ImplicitColumns.PaddedLength(channels, g))];
                var offsets = new ImplicitColumns.Offsets(channels, g);
                fixed (float* x = image, p = padded, dy = outputDiff, dw = actual)
                    Gemm.ComputeOnImage(Transpose.Yes, filters, k, spatial, dy, spatial, offsets.Over(ImplicitColumns.Pad(x, channels, g, p)), 1f, dw, k);
                // A one-column product (a 1x1 kernel over one channel) goes to GEMV when written out: close, not identical.
                if (k == 1) for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-4 * (1 + Math.Abs(expected[i])));
                else Assert.Equal(expected, actual);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void ABlockOfOutputRowsGivesThoseColumnsOfTheWholeProduct(ConvolutionGeometry g)
    {
        const int channels = 3, filters = 5;
        var image = Reference.Random(channels * g.Height * g.Width, 7);
        var weights = Reference.Random(filters * channels * g.KernelH * g.KernelW, 8);
        int outW = g.OutputWidth, spatial = g.OutputHeight * outW;
        var whole = Implicit(image, channels, weights, filters, g, 0, g.OutputHeight);
        for (int first = 0; first < g.OutputHeight; first += 2)
        {
            int count = Math.Min(2, g.OutputHeight - first);
            var part = Implicit(image, channels, weights, filters, g, first, count);
            for (int f = 0; f < filters; f++)
            {
                var expected = Reference.Convolve(image, channels, weights, filters, g);
                for (int s = first * outW; s < (first + count) * outW; s++)
                {
                    Assert.Equal(whole[f * spatial + s], part[f * spatial + s]);
                    Assert.True(Math.Abs(part[f * spatial + s] - expected[f * spatial + s]) < 1e-4, $"filter {f}, position {s}");
                }
            }
        }
    }

    [Fact]
    public void OnlyWidthStrideOneWithAVectorPerOutputRowSuits()
    {
        Assert.False(ImplicitColumns.Suits(new ConvolutionGeometry(16, 16, 3, 3, StrideH: 1, StrideW: 2)));
        Assert.False(ImplicitColumns.Suits(new ConvolutionGeometry(6, 6, 3, 3)));
        Assert.True(ImplicitColumns.Suits(new ConvolutionGeometry(10, 10, 3, 3, StrideH: 2, StrideW: 1)));
    }

    [Fact]
    public void PaddingCopiesTheImageInsideAZeroBorder()
    {
        var g = new ConvolutionGeometry(2, 3, 3, 3, PadH: 1, PadW: 2);
        float[] image = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
        var padded = new float[ImplicitColumns.PaddedLength(2, g)];
        Assert.Equal(2 * 4 * 7, padded.Length);
        padded.AsSpan().Fill(float.NaN);
        fixed (float* x = image, p = padded) Assert.True(ImplicitColumns.Pad(x, 2, g, p) == p);
        float[] firstChannel =
        [
            0, 0, 0, 0, 0, 0, 0,
            0, 0, 1, 2, 3, 0, 0,
            0, 0, 4, 5, 6, 0, 0,
            0, 0, 0, 0, 0, 0, 0,
        ];
        Assert.Equal(firstChannel, padded[..28]);
        Assert.Equal([0, 0, 10, 11, 12, 0, 0], padded[42..49]);
        Assert.Equal(0, ImplicitColumns.PaddedLength(2, new ConvolutionGeometry(5, 5, 3, 3)));
    }

    /// <summary>Output rows [first, first + count) of the product, read from the image; the rest stays NaN.</summary>
    private static float[] Implicit(float[] image, int channels, float[] weights, int filters, in ConvolutionGeometry g, int first, int count)
    {
        int k = channels * g.KernelH * g.KernelW, outW = g.OutputWidth, spatial = g.OutputHeight * outW;
        var output = new float[filters * spatial];
        output.AsSpan().Fill(float.NaN);
        var padded = new float[Math.Max(1, ImplicitColumns.PaddedLength(channels, g))];
        var offsets = new ImplicitColumns.Offsets(channels, g);
        fixed (float* x = image, p = padded, w = weights, y = output)
        {
            float* source = ImplicitColumns.Pad(x, channels, g, p);
            Gemm.ComputeOnImage(Transpose.No, filters, count * outW, k, w, k, offsets.Over(source).FromColumn(first * outW), 0f, y + first * outW, spatial);
        }
        return output;
    }
}
