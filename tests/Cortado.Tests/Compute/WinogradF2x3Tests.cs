using Cortado.Compute;

namespace Cortado.Tests.Compute;

public unsafe class WinogradF2x3Tests
{
    private static ConvolutionShape Shape(int channels, int filters, int group, int height, int width, int pad) =>
        new(1, channels, filters, group, new ConvolutionGeometry(height, width, 3, 3, pad, pad), Reversed: false);

    /// <summary>The whole image's output by Winograd, or rows [firstRow, firstRow + rowCount) of it written into <paramref name="output"/>.</summary>
    private static void Forward(ConvolutionShape s, float[] image, float[] weights, float[] output, int firstRow, int rowCount)
    {
        var filters = new float[WinogradF2x3.FilterLength(s)];
        WinogradF2x3.TransformFilters(s, weights, filters);
        var scratch = new float[WinogradF2x3.ScratchLength(s)];
        fixed (float* x = image, u = filters, y = output, buffer = scratch)
            WinogradF2x3.Forward(s, x, u, y, buffer, firstRow, rowCount);
    }

    [Theory]
    [InlineData(32, 32, 1, 26, 26, 0)] // the seed net's conv2: 12 tiles a row, the last eight overlapping the first
    [InlineData(16, 16, 1, 17, 16, 1)] // eight tiles a row exactly, an odd output height
    [InlineData(16, 24, 1, 9, 19, 0)]  // odd output width: the last tile's second column is masked off
    [InlineData(32, 32, 2, 12, 20, 1)] // two groups of 16
    [InlineData(48, 16, 1, 5, 31, 2)]  // padding 2, 17 tiles a row
    public void ForwardMatchesTheDirectConvolution(int channels, int filters, int group, int height, int width, int pad)
    {
        var s = Shape(channels, filters, group, height, width, pad);
        var g = s.ColumnGeometry;
        Assert.True(WinogradF2x3.Suits(s) || !System.Runtime.Intrinsics.X86.Avx2.IsSupported);
        if (!System.Runtime.Intrinsics.X86.Avx2.IsSupported) return; // the transforms need AVX2; Suits keeps other machines off them
        int inPerGroup = channels / group, outPerGroup = filters / group;
        var image = Reference.Random(channels * height * width, 1);
        var weights = Reference.Random(filters * inPerGroup * 9, 2);
        var actual = new float[filters * g.OutputHeight * g.OutputWidth];
        actual.AsSpan().Fill(float.NaN);
        Forward(s, image, weights, actual, 0, g.OutputHeight);
        int plane = g.OutputHeight * g.OutputWidth;
        for (int group_ = 0; group_ < group; group_++)
        {
            var groupImage = image.AsSpan(group_ * inPerGroup * height * width, inPerGroup * height * width).ToArray();
            var groupWeights = weights.AsSpan(group_ * outPerGroup * inPerGroup * 9, outPerGroup * inPerGroup * 9).ToArray();
            var expected = Reference.Convolve(groupImage, inPerGroup, groupWeights, outPerGroup, g);
            var bound = Reference.Convolve(groupImage.Select(Math.Abs).ToArray(), inPerGroup, groupWeights.Select(Math.Abs).ToArray(), outPerGroup, g);
            for (int i = 0; i < expected.Length; i++)
            {
                float value = actual[group_ * outPerGroup * plane + i];
                Assert.True(Math.Abs(value - expected[i]) <= 2e-6 * bound[i] + 1e-6,
                    $"{channels}->{filters} (group {group}) {height}x{width} pad {pad}: output {group_ * outPerGroup * plane + i} = {value}, direct sum {expected[i]}");
            }
        }
    }

    [Theory]
    [InlineData(0, 5)]  // a block ending inside a tile row
    [InlineData(5, 6)]  // starting inside one and ending inside another
    [InlineData(11, 6)] // the last rows
    public void ARowBlockGivesTheWholeImagesValuesForItsRows(int firstRow, int rowCount)
    {
        if (!System.Runtime.Intrinsics.X86.Avx2.IsSupported) return;
        // An odd width too: a last tile's second column written anyway would land in the next row.
        var s = Shape(16, 16, 1, 17, 17, 1);
        var g = s.ColumnGeometry;
        var image = Reference.Random(16 * 17 * 17, 3);
        var weights = Reference.Random(16 * 16 * 9, 4);
        var whole = new float[16 * g.OutputHeight * g.OutputWidth];
        Forward(s, image, weights, whole, 0, g.OutputHeight);
        var block = new float[whole.Length];
        block.AsSpan().Fill(float.NaN);
        Forward(s, image, weights, block, firstRow, rowCount);
        for (int f = 0; f < 16; f++)
            for (int y = 0; y < g.OutputHeight; y++)
                for (int x = 0; x < g.OutputWidth; x++)
                {
                    int at = (f * g.OutputHeight + y) * g.OutputWidth + x;
                    if (y >= firstRow && y < firstRow + rowCount) Assert.Equal(BitConverter.SingleToInt32Bits(whole[at]), BitConverter.SingleToInt32Bits(block[at]));
                    else Assert.True(float.IsNaN(block[at]), $"row {y} lies outside the block [{firstRow}, {firstRow + rowCount}) and was written");
                }
    }

    [Fact]
    public void TheFiltersAreGTimesTheKernelTimesGTransposed()
    {
        if (!System.Runtime.Intrinsics.X86.Avx2.IsSupported) return;
        // 3 x 5 = 15 pairs: one group of eight gathered, seven one at a time.
        var s = Shape(5, 3, 1, 20, 20, 0);
        var weights = Reference.Random(15 * 9, 5);
        var filters = new float[WinogradF2x3.FilterLength(s)];
        WinogradF2x3.TransformFilters(s, weights, filters);
        double[,] G = { { 1, 0, 0 }, { 0.5, 0.5, 0.5 }, { 0.5, -0.5, 0.5 }, { 0, 0, 1 } };
        for (int k = 0; k < 3; k++)
            for (int c = 0; c < 5; c++)
                for (int i = 0; i < 4; i++)
                    for (int j = 0; j < 4; j++)
                    {
                        double u = 0;
                        for (int a = 0; a < 3; a++)
                            for (int b = 0; b < 3; b++) u += G[i, a] * weights[(k * 5 + c) * 9 + 3 * a + b] * G[j, b];
                        Assert.Equal(u, filters[((4 * i + j) * 3 + k) * 5 + c], 5);
                    }
    }

    [Fact]
    public void OnlyStrideOneThreeByThreeConvolutionsWithSixteenChannelsAndWideRowsUseIt()
    {
        if (!System.Runtime.Intrinsics.X86.Avx2.IsSupported) { Assert.False(WinogradF2x3.Suits(Shape(32, 32, 1, 26, 26, 0))); return; }
        Assert.True(WinogradF2x3.Suits(Shape(32, 32, 1, 26, 26, 0)));
        Assert.False(WinogradF2x3.Suits(Shape(8, 32, 1, 26, 26, 0)));   // too few input channels
        Assert.False(WinogradF2x3.Suits(Shape(32, 8, 1, 26, 26, 0)));   // too few filters
        Assert.False(WinogradF2x3.Suits(Shape(32, 32, 4, 26, 26, 0)));  // 8 channels per group
        Assert.False(WinogradF2x3.Suits(Shape(32, 32, 1, 26, 14, 1)));  // seven tiles a row
        Assert.False(WinogradF2x3.Suits(new ConvolutionShape(1, 32, 32, 1, new ConvolutionGeometry(26, 26, 3, 3, StrideH: 2, StrideW: 2), false)));
        Assert.False(WinogradF2x3.Suits(new ConvolutionShape(1, 32, 32, 1, new ConvolutionGeometry(26, 26, 3, 3, 2, 2, DilationH: 2, DilationW: 2), false)));
        Assert.False(WinogradF2x3.Suits(new ConvolutionShape(1, 32, 32, 1, new ConvolutionGeometry(26, 26, 5, 5), false)));
        Assert.False(WinogradF2x3.Suits(Shape(32, 32, 1, 26, 26, 0) with { Reversed = true }));
    }
}
