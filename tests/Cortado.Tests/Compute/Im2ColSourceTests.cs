using Cortado.Compute;

namespace Cortado.Tests.Compute;

/// <summary>A GEMM that packs its B panels straight from the image equals im2col followed by an ordinary GEMM, bit for bit.</summary>
public class Im2ColSourceTests
{
    [Theory]
    [InlineData(3, 9, 8, 3, 3, 0, 0, 1, 1, 1, 1, 0, 0)]
    [InlineData(4, 7, 11, 3, 2, 1, 0, 2, 1, 1, 1, 0, 0)]
    [InlineData(2, 10, 9, 3, 3, 2, 2, 1, 2, 2, 2, 0, 0)]
    [InlineData(6, 6, 6, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0)]
    [InlineData(4, 12, 13, 3, 3, 1, 1, 1, 1, 1, 1, 18, 40)] // a group's rows and a block of output rows
    public unsafe void PackingFromTheImageEqualsIm2ColThenGemm(int channels, int height, int width, int kh, int kw, int ph, int pw,
        int sh, int sw, int dh, int dw, int rowOffset, int columnOffset)
    {
        var g = new ConvolutionGeometry(height, width, kh, kw, ph, pw, sh, sw, dh, dw);
        int rows = channels * kh * kw, columns = g.OutputHeight * g.OutputWidth;
        var image = Reference.Random(channels * height * width, 3);
        var matrix = new float[rows * columns];
        Im2Col.Forward(image, channels, g, matrix);
        int m = 7, k = rows - rowOffset, n = columns - columnOffset;
        var a = Reference.Random(m * k, 5);
        var expected = Reference.Random(m * n, 9);
        var actual = expected.ToArray();
        // The same block, cut out of the explicit column matrix.
        var block = new float[k * n];
        for (int r = 0; r < k; r++) matrix.AsSpan((rowOffset + r) * columns + columnOffset, n).CopyTo(block.AsSpan(r * n));
        Gemm.Compute(Transpose.No, Transpose.No, m, n, k, 1.5f, a, k, block, n, 0.5f, expected, n);
        fixed (float* source = image)
            Gemm.Compute(m, n, k, 1.5f, a, k, new Im2ColSource(source, g, rowOffset, columnOffset), 0.5f, actual, n);
        Assert.Equal(expected, actual);
    }
}
