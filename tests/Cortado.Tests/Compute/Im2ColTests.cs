using Cortado.Compute;

namespace Cortado.Tests.Compute;

public class Im2ColTests
{
    public static TheoryData<ConvolutionGeometry> Geometries() => new(
        new ConvolutionGeometry(24, 15, 3, 3),                                   // the seed net's conv1
        new ConvolutionGeometry(7, 9, 3, 3, PadH: 1, PadW: 1),
        new ConvolutionGeometry(8, 8, 5, 5, PadH: 2, PadW: 2, StrideH: 2, StrideW: 2),
        new ConvolutionGeometry(9, 11, 3, 2, PadH: 1, PadW: 0, StrideH: 2, StrideW: 3),
        new ConvolutionGeometry(10, 10, 3, 3, PadH: 2, PadW: 2, DilationH: 2, DilationW: 2),
        new ConvolutionGeometry(5, 6, 1, 1),
        new ConvolutionGeometry(4, 4, 3, 3, PadH: 3, PadW: 3, StrideH: 1, StrideW: 2));

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Im2ColThenGemmEqualsDirectConvolution(ConvolutionGeometry g)
    {
        const int channels = 3, filters = 4;
        var image = Reference.Random(channels * g.Height * g.Width, 1);
        var weights = Reference.Random(filters * channels * g.KernelH * g.KernelW, 2);
        int rows = channels * g.KernelH * g.KernelW, spatial = g.OutputHeight * g.OutputWidth;
        var columns = new float[rows * spatial];
        Im2Col.Forward(image, channels, g, columns);
        var output = new float[filters * spatial];
        Gemm.Compute(Transpose.No, Transpose.No, filters, spatial, rows, 1f, weights, columns, 0f, output);
        var expected = Reference.Convolve(image, channels, weights, filters, g);
        for (int i = 0; i < output.Length; i++) Assert.True(Math.Abs(output[i] - expected[i]) < 1e-4, $"output {i}: {output[i]} vs {expected[i]}");
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void ARangeOfOutputRowsGivesThoseColumnsOfTheFullMatrix(ConvolutionGeometry g)
    {
        const int channels = 2;
        var image = Reference.Random(channels * g.Height * g.Width, 4);
        int rows = channels * g.KernelH * g.KernelW, outW = g.OutputWidth, spatial = g.OutputHeight * outW;
        var full = new float[rows * spatial];
        Im2Col.Forward(image, channels, g, full);
        for (int first = 0; first < g.OutputHeight; first++)
        {
            int count = Math.Min(2, g.OutputHeight - first);
            var part = new float[rows * count * outW];
            Im2Col.Forward(image, channels, g, part, first, count);
            for (int r = 0; r < rows; r++)
                Assert.Equal(full.AsSpan(r * spatial + first * outW, count * outW).ToArray(), part.AsSpan(r * count * outW, count * outW).ToArray());
        }
        Assert.Throws<ArgumentException>(() => Im2Col.Forward(image, channels, g, full, g.OutputHeight - 1, 2));
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Col2ImIsTheAdjointOfIm2Col(ConvolutionGeometry g)
    {
        // <im2col(x), y> must equal <x, col2im(y)> for any x and y.
        const int channels = 2;
        var x = Reference.Random(channels * g.Height * g.Width, 3);
        var y = Reference.Random(channels * g.KernelH * g.KernelW * g.OutputHeight * g.OutputWidth, 4);
        var columns = new float[y.Length];
        Im2Col.Forward(x, channels, g, columns);
        var image = Enumerable.Repeat(99f, x.Length).ToArray(); // overwritten, not accumulated into
        Im2Col.Backward(y, channels, g, image);
        double left = 0, right = 0;
        for (int i = 0; i < y.Length; i++) left += (double)columns[i] * y[i];
        for (int i = 0; i < x.Length; i++) right += (double)x[i] * image[i];
        Assert.True(Math.Abs(left - right) < 1e-3, $"{left} vs {right}");
    }

    [Fact]
    public void HandComputedColumnsWithPadding()
    {
        // 1 channel, 2x2 image [1 2; 3 4], 2x2 kernel, pad 1: output 3x3, first kernel tap (0,0) sees
        // the image shifted down-right by one with zeros on the top row and left column.
        var g = new ConvolutionGeometry(2, 2, 2, 2, PadH: 1, PadW: 1);
        var columns = new float[4 * 9];
        Im2Col.Forward([1, 2, 3, 4], 1, g, columns);
        Assert.Equal([0f, 0f, 0f, 0f, 1f, 2f, 0f, 3f, 4f], columns[..9]);
        Assert.Equal([1f, 2f, 0f, 3f, 4f, 0f, 0f, 0f, 0f], columns[27..]);
    }

    [Fact]
    public void KernelLargerThanPaddedInputIsRejected()
    {
        var g = new ConvolutionGeometry(3, 3, 5, 5);
        var e = Assert.Throws<ArgumentException>(() => Im2Col.Forward(new float[9], 1, g, new float[100]));
        Assert.Contains("does not fit a 3x3 input", e.Message);
    }
}
