using Cortado.Compute;

namespace Cortado.Tests.Compute;

public unsafe class WinogradTests
{
    private static ConvolutionShape Shape(int channels, int filters, int group, int height, int width, int pad, int kernel = 3) =>
        new(1, channels, filters, group, new ConvolutionGeometry(height, width, kernel, kernel, pad, pad), Reversed: false);

    /// <summary>The whole image's output by Winograd, or rows [firstRow, firstRow + rowCount) of it written into <paramref name="output"/>.</summary>
    private static void Forward(ConvolutionShape s, float[] image, float[] weights, float[] output, int firstRow, int rowCount)
    {
        var filters = new float[Winograd.FilterLength(s)];
        Winograd.TransformFilters(s, weights, filters);
        var scratch = new float[Winograd.ScratchLength(s)];
        fixed (float* x = image, u = filters, y = output, buffer = scratch)
            Winograd.Forward(s, x, u, y, buffer, firstRow, rowCount);
    }

    /// <summary>The transformed filters, U = G g G^T per (output, input) pair, from the matrix G given in doubles.</summary>
    private static void AssertFiltersAre(double[,] G, int kernel)
    {
        // 3 x 5 = 15 pairs: one group of eight gathered, seven one at a time.
        var s = Shape(5, 3, 1, 20, 20, 0, kernel);
        int area = kernel * kernel, alpha = kernel + 1;
        var weights = Reference.Random(15 * area, 5);
        var filters = new float[Winograd.FilterLength(s)];
        Winograd.TransformFilters(s, weights, filters);
        for (int k = 0; k < 3; k++)
            for (int c = 0; c < 5; c++)
                for (int i = 0; i < alpha; i++)
                    for (int j = 0; j < alpha; j++)
                    {
                        double u = 0;
                        for (int a = 0; a < kernel; a++)
                            for (int b = 0; b < kernel; b++) u += G[i, a] * weights[(k * 5 + c) * area + kernel * a + b] * G[j, b];
                        float actual = filters[((alpha * i + j) * 3 + k) * 5 + c];
                        Assert.True(Math.Abs(actual - u) <= 1e-6 * (1 + Math.Abs(u)), $"U[{i}, {j}] of pair ({k}, {c}) = {actual}, G g G^T = {u}");
                    }
    }

    [Theory]
    [InlineData(32, 32, 1, 26, 26, 0, 3)] // the seed net's conv2: 12 tiles a row, the last eight overlapping the first
    [InlineData(16, 16, 1, 17, 16, 1, 3)] // eight tiles a row exactly, an odd output height
    [InlineData(16, 24, 1, 9, 19, 0, 3)]  // odd output width: the last tile's second column is masked off
    [InlineData(32, 32, 2, 12, 20, 1, 3)] // two groups of 16
    [InlineData(48, 16, 1, 5, 31, 2, 3)]  // padding 2, 17 tiles a row
    [InlineData(32, 32, 1, 16, 16, 2, 5)] // CIFAR-10 quick's conv2: 5x5, "same", eight tiles a row exactly
    [InlineData(16, 24, 1, 13, 23, 0, 5)] // 5x5 "valid" with odd output height and width, 10 tiles a row
    [InlineData(32, 32, 2, 9, 30, 1, 5)]  // two groups, 14 tiles a row, the last eight overlapping
    [InlineData(16, 16, 1, 20, 20, 4, 5)] // padding past the kernel's reach: a flipped "valid" convolution's data gradient
    [InlineData(32, 64, 1, 8, 8, 2, 5)]   // CIFAR-10 quick's conv3: four tiles a row, two rows to a group
    [InlineData(16, 24, 1, 9, 13, 0, 3)]  // six tiles a row, odd width: both runs of four in one row, overlapping
    [InlineData(16, 16, 1, 9, 8, 1, 3)]   // four tiles a row, five rows: the last run paired with itself, an odd height
    [InlineData(32, 32, 2, 12, 12, 1, 5)] // two groups, five tiles a row
    [InlineData(16, 16, 1, 132, 132, 0, 3)] // 65 tile rows of nine runs: more groups than the stack holds
    public void ForwardMatchesTheDirectConvolution(int channels, int filters, int group, int height, int width, int pad, int kernel)
    {
        var s = Shape(channels, filters, group, height, width, pad, kernel);
        var g = s.ColumnGeometry;
        Assert.True(Winograd.Suits(s) || !System.Runtime.Intrinsics.X86.Avx2.IsSupported);
        if (!System.Runtime.Intrinsics.X86.Avx2.IsSupported) return; // the transforms need AVX2; Suits keeps other machines off them
        int inPerGroup = channels / group, outPerGroup = filters / group;
        var image = Reference.Random(channels * height * width, 1);
        var weights = Reference.Random(filters * inPerGroup * kernel * kernel, 2);
        var actual = new float[filters * g.OutputHeight * g.OutputWidth];
        actual.AsSpan().Fill(float.NaN);
        Forward(s, image, weights, actual, 0, g.OutputHeight);
        int plane = g.OutputHeight * g.OutputWidth;
        for (int group_ = 0; group_ < group; group_++)
        {
            var groupImage = image.AsSpan(group_ * inPerGroup * height * width, inPerGroup * height * width).ToArray();
            var groupWeights = weights.AsSpan(group_ * outPerGroup * inPerGroup * kernel * kernel, outPerGroup * inPerGroup * kernel * kernel).ToArray();
            var expected = Reference.Convolve(groupImage, inPerGroup, groupWeights, outPerGroup, g);
            var bound = Reference.Convolve(groupImage.Select(Math.Abs).ToArray(), inPerGroup, groupWeights.Select(Math.Abs).ToArray(), outPerGroup, g);
            for (int i = 0; i < expected.Length; i++)
            {
                float value = actual[group_ * outPerGroup * plane + i];
                // F(2x2, 5x5)'s coefficients (up to 5 in B, 1/24 in G) round more than F(2x2, 3x3)'s halves.
                Assert.True(Math.Abs(value - expected[i]) <= (kernel == 3 ? 2e-6 : 1e-5) * bound[i] + 1e-6,
                    $"{channels}->{filters} (group {group}) {height}x{width} pad {pad}, {kernel}x{kernel}: output {group_ * outPerGroup * plane + i} = {value}, direct sum {expected[i]}");
            }
        }
    }

    [Theory]
    [InlineData(32, 32, 1, 26, 26, 0, 3)] // the seed net's conv2
    [InlineData(16, 24, 1, 9, 19, 0, 3)]  // odd output width and height: the blocks' missing row and column are zeros
    [InlineData(32, 32, 2, 12, 20, 1, 3)] // two groups
    [InlineData(32, 32, 1, 16, 16, 2, 5)] // CIFAR-10 quick's conv2
    [InlineData(16, 24, 1, 13, 23, 0, 5)] // 5x5 with odd output height and width
    [InlineData(32, 48, 2, 9, 30, 1, 5)]  // two groups of 16 x 24: 384 pairs, a last group of eight lanes exactly
    [InlineData(16, 20, 1, 17, 16, 1, 3)] // 320 pairs; 20 filters leave no partial group, 17 x 16 an odd height
    [InlineData(32, 64, 1, 8, 8, 2, 5)]   // CIFAR-10 quick's conv3: four tiles a row
    [InlineData(16, 24, 1, 9, 13, 0, 3)]  // six tiles a row with an odd width and height
    [InlineData(16, 16, 1, 9, 8, 1, 3)]   // five rows of four tiles: a run paired with itself
    [InlineData(16, 16, 1, 132, 132, 0, 3)] // groups listed on the heap
    public void TheWeightGradientMatchesTheDirectSum(int channels, int filters, int group, int height, int width, int pad, int kernel)
    {
        if (!System.Runtime.Intrinsics.X86.Avx2.IsSupported) return;
        var s = Shape(channels, filters, group, height, width, pad, kernel);
        var g = s.ColumnGeometry;
        Assert.True(Winograd.Suits(s));
        int inPerGroup = channels / group, outPerGroup = filters / group, area = kernel * kernel, outPlane = g.OutputHeight * g.OutputWidth;
        var image = Reference.Random(channels * height * width, 5);
        var outputDiff = Reference.Random(filters * outPlane, 6);
        // Three images' sums: the first alone, then two in one call, added to the first's as a chunk of a batch does.
        var sums = new float[Winograd.FilterLength(s)];
        var scratch = new float[Winograd.ScratchLength(s, images: 2)];
        var secondImage = Reference.Random(image.Length, 7);
        var both = secondImage.Concat(image).ToArray();
        var bothDiffs = outputDiff.Concat(outputDiff).ToArray();
        fixed (float* x = image, x2 = both, dy = outputDiff, dy2 = bothDiffs, u = sums, buffer = scratch)
        {
            Winograd.AccumulateWeightGradient(s, x, dy, u, buffer);
            Winograd.AccumulateWeightGradient(s, x2, dy2, u, buffer, images: 2);
        }
        // weightDiff starts nonzero: the gradient is added to it.
        var weightDiff = Enumerable.Repeat(0.25f, filters * inPerGroup * area).ToArray();
        Winograd.AddWeightGradient(s, sums, weightDiff);
        for (int f = 0; f < filters; f++)
            for (int c = 0; c < inPerGroup; c++)
                for (int a = 0; a < kernel; a++)
                    for (int b = 0; b < kernel; b++)
                    {
                        // dL/dw[f, c, a, b] = sum over outputs (y, x) of dy[f, y, x] * input[c, y + a - pad, x + b - pad].
                        double expected = 0.25, bound = 0;
                        int channel = f / outPerGroup * inPerGroup + c;
                        foreach (var source in new[] { image, secondImage, image })
                            for (int y = 0; y < g.OutputHeight; y++)
                                for (int x = 0; x < g.OutputWidth; x++)
                                {
                                    int iy = y + a - pad, ix = x + b - pad;
                                    if (iy < 0 || iy >= height || ix < 0 || ix >= width) continue;
                                    double term = (double)outputDiff[f * outPlane + y * g.OutputWidth + x] * source[(channel * height + iy) * width + ix];
                                    expected += term;
                                    bound += Math.Abs(term);
                                }
                        float actual = weightDiff[((f * inPerGroup + c) * kernel + a) * kernel + b];
                        Assert.True(Math.Abs(actual - expected) <= (kernel == 3 ? 2e-6 : 1e-5) * bound + 1e-6,
                            $"{channels}->{filters} (group {group}) {height}x{width} pad {pad}, {kernel}x{kernel}: dw[{f}, {c}, {a}, {b}] = {actual}, direct sum {expected}");
                    }
    }

    [Theory]
    [InlineData(0, 5, 3, 17)]  // a block ending inside a tile row
    [InlineData(5, 6, 3, 17)]  // starting inside one and ending inside another
    [InlineData(11, 6, 3, 17)] // the last rows
    [InlineData(5, 6, 5, 17)]
    [InlineData(11, 6, 5, 17)]
    [InlineData(3, 5, 3, 11)]  // six tiles a row: groups of two runs of four
    [InlineData(2, 3, 5, 9)]   // five tiles a row, a block of one and a half tile rows
    public void ARowBlockGivesTheWholeImagesValuesForItsRows(int firstRow, int rowCount, int kernel, int size)
    {
        if (!System.Runtime.Intrinsics.X86.Avx2.IsSupported) return;
        // An odd width too: a last tile's second column written anyway would land in the next row.
        var s = Shape(16, 16, 1, size, size, kernel == 3 ? 1 : 2, kernel);
        var g = s.ColumnGeometry;
        var image = Reference.Random(16 * size * size, 3);
        var weights = Reference.Random(16 * 16 * kernel * kernel, 4);
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

    [Theory]
    [InlineData(8, 2, 5)]  // CIFAR-10 quick's conv3 shape: 16 tiles an image
    [InlineData(11, 1, 3)] // six tiles a row, odd output size
    [InlineData(26, 0, 3)] // wide rows
    public void ImagesTakenTogetherGiveEachImagesOwnValues(int size, int pad, int kernel)
    {
        if (!System.Runtime.Intrinsics.X86.Avx2.IsSupported) return;
        var s = Shape(16, 32, 1, size, size, pad, kernel);
        var g = s.ColumnGeometry;
        int inDim = 16 * size * size, outDim = 32 * g.OutputHeight * g.OutputWidth;
        var images = Reference.Random(3 * inDim, 8);
        var weights = Reference.Random(32 * 16 * kernel * kernel, 9);
        var filters = new float[Winograd.FilterLength(s)];
        Winograd.TransformFilters(s, weights, filters);
        var together = new float[3 * outDim];
        var scratch = new float[Winograd.ScratchLength(s, images: 3)];
        fixed (float* x = images, u = filters, y = together, buffer = scratch)
            Winograd.Forward(s, x, u, y, buffer, 0, g.OutputHeight, images: 3);
        for (int n = 0; n < 3; n++)
        {
            var alone = new float[outDim];
            Forward(s, images.AsSpan(n * inDim, inDim).ToArray(), weights, alone, 0, g.OutputHeight);
            for (int i = 0; i < outDim; i++)
                Assert.Equal(BitConverter.SingleToInt32Bits(alone[i]), BitConverter.SingleToInt32Bits(together[n * outDim + i]));
        }
    }

    [Fact]
    public void TheThreeByThreeFiltersAreGTimesTheKernelTimesGTransposed()
    {
        if (!System.Runtime.Intrinsics.X86.Avx2.IsSupported) return;
        AssertFiltersAre(new double[,] { { 1, 0, 0 }, { 0.5, 0.5, 0.5 }, { 0.5, -0.5, 0.5 }, { 0, 0, 1 } }, 3);
    }

    [Fact]
    public void TheFiveByFiveFiltersAreGTimesTheKernelTimesGTransposed()
    {
        if (!System.Runtime.Intrinsics.X86.Avx2.IsSupported) return;
        // G of F(2, 5) at the points 0, 1, -1, 2, -2: row i is p_i^k / prod_(l != i) (p_i - p_l), and the point at infinity keeps g4.
        double[] points = { 0, 1, -1, 2, -2 };
        var G = new double[6, 5];
        for (int i = 0; i < 5; i++)
        {
            double product = 1;
            for (int l = 0; l < 5; l++) if (l != i) product *= points[i] - points[l];
            for (int k = 0; k < 5; k++) G[i, k] = Math.Pow(points[i], k) / product;
        }
        G[5, 4] = 1;
        AssertFiltersAre(G, 5);
    }

    [Fact]
    public void OnlyStrideOneThreeAndFiveByFiveConvolutionsWithSixteenChannelsAndFourTilesARowUseIt()
    {
        if (!System.Runtime.Intrinsics.X86.Avx2.IsSupported) { Assert.False(Winograd.Suits(Shape(32, 32, 1, 26, 26, 0))); return; }
        Assert.True(Winograd.Suits(Shape(32, 32, 1, 26, 26, 0)));
        Assert.False(Winograd.Suits(Shape(8, 32, 1, 26, 26, 0)));   // too few input channels
        Assert.False(Winograd.Suits(Shape(32, 8, 1, 26, 26, 0)));   // too few filters
        Assert.False(Winograd.Suits(Shape(32, 32, 4, 26, 26, 0)));  // 8 channels per group
        Assert.True(Winograd.Suits(Shape(32, 32, 1, 26, 14, 1)));   // seven tiles a row
        Assert.False(Winograd.Suits(Shape(32, 32, 1, 26, 6, 0)));   // two tiles a row
        Assert.False(Winograd.Suits(new ConvolutionShape(1, 32, 32, 1, new ConvolutionGeometry(26, 26, 3, 3, StrideH: 2, StrideW: 2), false)));
        Assert.False(Winograd.Suits(new ConvolutionShape(1, 32, 32, 1, new ConvolutionGeometry(26, 26, 3, 3, 2, 2, DilationH: 2, DilationW: 2), false)));
        Assert.True(Winograd.Suits(Shape(32, 32, 1, 16, 16, 2, 5)));
        Assert.True(Winograd.Suits(Shape(32, 32, 1, 8, 8, 2, 5)));     // four tiles a row
        Assert.False(Winograd.Suits(Shape(32, 32, 1, 6, 6, 1, 5)));    // two tiles a row
        Assert.False(Winograd.Suits(new ConvolutionShape(1, 32, 32, 1, new ConvolutionGeometry(26, 26, 7, 7), false)));
        Assert.False(Winograd.Suits(new ConvolutionShape(1, 32, 32, 1, new ConvolutionGeometry(26, 26, 3, 5), false)));
        Assert.False(Winograd.Suits(Shape(32, 32, 1, 26, 26, 0) with { Reversed = true }));
    }
}
