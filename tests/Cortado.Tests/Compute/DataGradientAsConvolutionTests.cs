using Cortado.Compute;

namespace Cortado.Tests.Compute;

public unsafe class DataGradientAsConvolutionTests
{
    [Theory]
    [InlineData(16, 16, 5, 2, 1, 1)]   // CIFAR-10 quick's conv2
    [InlineData(8, 12, 3, 1, 1, 2)]    // two groups
    [InlineData(10, 10, 3, 2, 2, 1)]   // dilation 2, "same" padding
    [InlineData(9, 11, 3, 1, 1, 3)]
    public void TheFlippedConvolutionOfTheOutputGradientEqualsCol2ImOfWTransposedTimesIt(int height, int width, int kernel, int pad, int dilation, int group)
    {
        var g = new ConvolutionGeometry(height, width, kernel, kernel, pad, pad, 1, 1, dilation, dilation);
        int channels = DataGradientAsConvolution.MinChannels * group, outputs = 2 * group;
        var shape = new ConvolutionShape(1, channels, outputs, group, g, Reversed: false);
        var gradientGeometry = DataGradientAsConvolution.Geometry(shape);
        Assert.NotNull(gradientGeometry);
        var gg = gradientGeometry.Value;
        Assert.Equal((height, width), (gg.OutputHeight, gg.OutputWidth));

        int k = channels / group * kernel * kernel, m = outputs / group, spatial = g.OutputHeight * g.OutputWidth;
        var weights = Reference.Random(outputs * k, 1);
        var outputDiff = Reference.Random(outputs * spatial, 2);
        // Caffe's way: columns = W^T * dY per group, then col2im.
        var columns = new float[channels * kernel * kernel * spatial];
        for (int gi = 0; gi < group; gi++)
            Gemm.Compute(Transpose.Yes, Transpose.No, k, spatial, m, 1f, weights.AsSpan(gi * m * k, m * k), outputDiff.AsSpan(gi * m * spatial, m * spatial),
                0f, columns.AsSpan(gi * k * spatial, k * spatial));
        var expected = new float[channels * height * width];
        Im2Col.Backward(columns, channels, g, expected);

        var flipped = new float[weights.Length];
        DataGradientAsConvolution.FlipKernels(weights, shape, flipped);
        var actual = new float[expected.Length];
        var padded = new float[ImplicitColumns.PaddedLength(outputs, gg)];
        var offsets = new ImplicitColumns.Offsets(m, gg);
        int paddedPlane = ImplicitColumns.PaddedPlane(gg), inputsPerGroup = channels / group;
        fixed (float* dy = outputDiff, p = padded, w = flipped, dx = actual)
        {
            float* image = ImplicitColumns.Pad(dy, outputs, gg, p);
            for (int gi = 0; gi < group; gi++)
                Gemm.ComputeOnImage(Transpose.No, inputsPerGroup, height * width, k / inputsPerGroup * m, w + gi * m * k, m * kernel * kernel,
                    offsets.Over(image + gi * m * paddedPlane), 0f, dx + gi * inputsPerGroup * height * width, height * width);
        }
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-4 * (1 + Math.Abs(expected[i])), $"dx[{i}]: {actual[i]} vs {expected[i]}");
    }

    [Fact]
    public void ValidConvolutionsStridesNarrowRowsAndFewChannelsKeepCol2Im()
    {
        ConvolutionShape Shape(ConvolutionGeometry g) => new(1, 16, 4, 1, g, Reversed: false);
        Assert.Null(DataGradientAsConvolution.Geometry(Shape(new(26, 26, 3, 3))));                      // 676 inputs for 576 outputs
        Assert.NotNull(DataGradientAsConvolution.Geometry(Shape(new(26, 26, 3, 3, PadH: 1, PadW: 1))));
        Assert.Null(DataGradientAsConvolution.Geometry(Shape(new(16, 16, 3, 3, 1, 1, StrideH: 2, StrideW: 2))));
        Assert.Null(DataGradientAsConvolution.Geometry(Shape(new(16, 16, 3, 3, PadH: 3, PadW: 3))));   // padding past the kernel
        Assert.Null(DataGradientAsConvolution.Geometry(Shape(new(6, 6, 3, 3, 1, 1))));                  // rows shorter than a vector
        Assert.Null(DataGradientAsConvolution.Geometry(new ConvolutionShape(1, 16, 4, 1, new(16, 16, 3, 3, 1, 1), Reversed: true)));
        // Too few input channels per group to feed the product's rows.
        Assert.Null(DataGradientAsConvolution.Geometry(new ConvolutionShape(1, 8, 4, 1, new(16, 16, 3, 3, 1, 1), Reversed: false)));
        Assert.Null(DataGradientAsConvolution.Geometry(new ConvolutionShape(1, 16, 4, 2, new(16, 16, 3, 3, 1, 1), Reversed: false)));
    }
}
