using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Cortado.Compute;

/// <summary>
/// Stride-1 convolutions by Winograd's minimal filtering (Lavin and Gray, 2015) with 2x2 blocks of
/// output: F(2x2, 3x3) for 3x3 kernels (<see cref="WinogradF2x3"/>, 4x4 tiles, 16 products instead
/// of 36) and F(2x2, 5x5) for 5x5 ones (<see cref="WinogradF2x5"/>, 6x6 tiles, 36 instead of 100).
/// Per image: the tiles are transformed (V = B^T d B), multiplied by the transformed filters
/// (U = G g G^T) as one GEMM of K x C by C x tiles per tile element, and transformed back
/// (Y = A^T M A). The transforms run eight tiles of a tile row at a time in AVX2 registers.
/// The weight gradient runs in the same domain: per tile element a GEMM of the transformed output
/// gradient by the transformed tiles, summed over the batch, and G^T (.) G once at the end.
/// </summary>
internal static unsafe class Winograd
{
    /// <summary>Tiles per vector group: eight tiles are transformed at once.</summary>
    public const int Lanes = 8;

    /// <summary>Tile groups listed on the stack (8 KB); larger images list theirs on the heap.</summary>
    private const int MaxStackGroups = 512;

    /// <summary>Floats between consecutive planes of transformed tiles (one cache line).</summary>
    private const int PlaneSlack = 16;

    /// <summary>
    /// Tiles one call should give its products at least: fewer leave the GEMM kernel's 32 or 16
    /// columns half empty (CIFAR-10 quick's conv3 has 16 tiles an image), so narrow images are
    /// taken several at a time.
    /// </summary>
    private const int TargetTiles = 64;

    /// <summary>
    /// True where this pays and is implemented: a 3x3 or 5x5 kernel, stride and dilation 1, at
    /// least 16 channels in and out per group (with fewer the transforms cost more than the
    /// products they save), and at least four tiles per row (7 output columns) for the vector transforms.
    /// </summary>
    public static bool Suits(in ConvolutionShape s)
    {
        var g = s.ColumnGeometry;
        return Avx2.IsSupported && Fma.IsSupported && !s.Reversed && (g.KernelH == 3 || g.KernelH == 5) && g.KernelW == g.KernelH
            && g.StrideH == 1 && g.StrideW == 1 && g.DilationH == 1 && g.DilationW == 1
            && s.BottomChannels / s.Group >= 16 && s.TopChannels / s.Group >= 16
            && (g.OutputWidth + 1) / 2 >= Lanes / 2 && g.OutputHeight >= 2;
    }

    /// <summary>Images one call of <see cref="Forward"/> or <see cref="AccumulateWeightGradient"/> should take: enough for <see cref="TargetTiles"/> tiles.</summary>
    public static int ImagesPerCall(in ConvolutionShape s)
    {
        var (tileRows, tileColumns, _, _) = Tiling(s.ColumnGeometry);
        return Math.Max(1, (TargetTiles + tileRows * tileColumns - 1) / (tileRows * tileColumns));
    }

    /// <summary>Elements of one tile (and of one transformed filter): (kernel + 1) squared.</summary>
    private static int TileElements(in ConvolutionGeometry g) => (g.KernelH + 1) * (g.KernelH + 1);

    private static (int TileRows, int TileColumns, int PaddedHeight, int PaddedWidth) Tiling(in ConvolutionGeometry g)
    {
        int tileRows = (g.OutputHeight + 1) / 2, tileColumns = (g.OutputWidth + 1) / 2;
        return (tileRows, tileColumns, 2 * tileRows + g.KernelH - 1, 2 * tileColumns + g.KernelW - 1);
    }

    /// <summary>
    /// Floats of scratch one thread needs for calls of up to <paramref name="images"/> images: one
    /// zero-bordered image, the transformed tiles and their products (or output gradients).
    /// </summary>
    public static int ScratchLength(in ConvolutionShape s, int images = 1)
    {
        var g = s.ColumnGeometry;
        var (tileRows, tileColumns, paddedHeight, paddedWidth) = Tiling(g);
        int tiles = images * tileRows * tileColumns, elements = TileElements(g);
        return s.BottomChannels / s.Group * paddedHeight * paddedWidth + elements * (tiles * (s.BottomChannels / s.Group + s.TopChannels / s.Group) + 2 * PlaneSlack);
    }

    /// <summary>Floats of the transformed filters: one K x C matrix per tile element and group.</summary>
    public static int FilterLength(in ConvolutionShape s) => TileElements(s.ColumnGeometry) * s.TopChannels * (s.BottomChannels / s.Group);

    /// <summary>
    /// U = G g G^T for every (output, input) channel pair, stored per group as one row-major K x C
    /// matrix per tile element (element xi = (kernel + 1) i + j of each U), the A operands of the products.
    /// </summary>
    public static void TransformFilters(in ConvolutionShape s, ReadOnlySpan<float> weights, Span<float> filters)
    {
        var g = s.ColumnGeometry;
        int inPerGroup = s.BottomChannels / s.Group, outPerGroup = s.TopChannels / s.Group, area = g.KernelH * g.KernelW;
        long pairs = (long)outPerGroup * inPerGroup;
        if (weights.Length < s.TopChannels * inPerGroup * area || filters.Length < FilterLength(s))
            throw new ArgumentException($"Winograd filters: {s.TopChannels} x {inPerGroup} {g.KernelH}x{g.KernelW} kernels need {s.TopChannels * inPerGroup * area} weights and {FilterLength(s)} floats of filters");
        fixed (float* w = weights, u = filters)
        {
            for (int group = 0; group < s.Group; group++)
            {
                float* groupWeights = w + area * pairs * group, groupFilters = u + TileElements(g) * pairs * group;
                if (g.KernelH == 3) WinogradF2x3.TransformFilters(groupWeights, groupFilters, pairs);
                else WinogradF2x5.TransformFilters(groupWeights, groupFilters, pairs);
            }
        }
    }

    /// <summary>
    /// Output rows [firstRow, firstRow + rowCount) of <paramref name="images"/> consecutive images
    /// (all channels, no bias), from the filters transformed by <see cref="TransformFilters"/>.
    /// The images' tiles side by side make one product per tile element. The tile rows that cover
    /// the range are computed whole and only the rows in range are written, so a split by rows
    /// gives the same values; so does a split of the images, each value being the same sum.
    /// </summary>
    public static void Forward(in ConvolutionShape s, float* input, float* filters, float* output, float* scratch, int firstRow, int rowCount, int images = 1)
    {
        int tileColumns = Tiling(s.ColumnGeometry).TileColumns, firstTileRow = firstRow / 2, endTileRow = (firstRow + rowCount + 1) / 2;
        int groupCount = WinogradTileGroups.CountFor(firstTileRow, endTileRow, tileColumns);
        var groups = new WinogradTileGroups(firstTileRow, endTileRow, tileColumns,
            groupCount <= MaxStackGroups ? stackalloc WinogradTileGroup[groupCount] : new WinogradTileGroup[groupCount]);
        if (groups.Wide) Forward<LanesTogether>(s, input, filters, output, scratch, firstRow, rowCount, images, groups);
        else Forward<LanesApart>(s, input, filters, output, scratch, firstRow, rowCount, images, groups);
    }

    /// <summary><see cref="Forward"/> over the listed tile groups, its transforms compiled for where their lanes lie.</summary>
    private static void Forward<TLanes>(in ConvolutionShape s, float* input, float* filters, float* output, float* scratch, int firstRow, int rowCount, int images,
        in WinogradTileGroups groups) where TLanes : struct, ITileLanes
    {
        var g = s.ColumnGeometry;
        var (_, tileColumns, paddedHeight, paddedWidth) = Tiling(g);
        int inPerGroup = s.BottomChannels / s.Group, outPerGroup = s.TopChannels / s.Group, elements = TileElements(g);
        int firstTileRow = firstRow / 2, endTileRow = (firstRow + rowCount + 1) / 2;
        int imageTiles = (endTileRow - firstTileRow) * tileColumns, tiles = images * imageTiles;
        int paddedPlane = paddedHeight * paddedWidth, inPlane = g.Height * g.Width, outPlane = g.OutputHeight * g.OutputWidth;
        // The planes of transformed tiles and of products are written and read together; a line of
        // slack between planes keeps them out of one L1 set when a plane is a multiple of 2 KB.
        long inputStride = (long)inPerGroup * tiles + PlaneSlack, outputStride = (long)outPerGroup * tiles + PlaneSlack;
        float* transformed = scratch + (long)inPerGroup * paddedPlane;
        float* products = transformed + elements * inputStride;
        bool five = g.KernelH == 5;
        for (int group = 0; group < s.Group; group++)
        {
            for (int image = 0; image < images; image++)
            {
                float* source = input + ((long)image * s.BottomChannels + group * inPerGroup) * inPlane;
                float* padded = PaddedChannels(source, inPerGroup, g, scratch, paddedHeight, paddedWidth, 2 * firstTileRow, 2 * endTileRow + g.KernelH - 1);
                float* target = transformed + (long)image * imageTiles;
                for (int c = 0; c < inPerGroup; c++)
                {
                    float* plane = padded + (long)c * paddedPlane;
                    if (five) WinogradF2x5.TransformInput<TLanes>(plane, paddedWidth, groups, target + (long)c * tiles, inputStride);
                    else WinogradF2x3.TransformInput<TLanes>(plane, paddedWidth, groups, target + (long)c * tiles, inputStride);
                }
            }
            float* groupFilters = filters + (long)elements * group * outPerGroup * inPerGroup;
            for (int xi = 0; xi < elements; xi++)
                Gemm.Compute(Transpose.No, Transpose.No, outPerGroup, tiles, inPerGroup, 1f,
                    new ReadOnlySpan<float>(groupFilters + (long)xi * outPerGroup * inPerGroup, outPerGroup * inPerGroup), inPerGroup,
                    new ReadOnlySpan<float>(transformed + xi * inputStride, inPerGroup * tiles), tiles,
                    0f, new Span<float>(products + xi * outputStride, outPerGroup * tiles), tiles);
            for (int image = 0; image < images; image++)
                for (int k = 0; k < outPerGroup; k++)
                {
                    float* source = products + (long)k * tiles + (long)image * imageTiles;
                    float* target = output + ((long)image * s.TopChannels + group * outPerGroup + k) * outPlane;
                    if (five) WinogradF2x5.TransformOutput<TLanes>(source, outputStride, groups, target, g.OutputWidth, firstRow, firstRow + rowCount);
                    else WinogradF2x3.TransformOutput<TLanes>(source, outputStride, groups, target, g.OutputWidth, firstRow, firstRow + rowCount);
                }
        }
    }

    /// <summary>
    /// Adds the share of <paramref name="images"/> consecutive images in the weight gradient, in the
    /// transformed domain. The forward pass is linear in U, so dL/dU[xi] (K x C) = sum over tiles of
    /// (A dY A^T)[xi] (V[xi])^T: the tiles of the input are transformed as in <see cref="Forward"/>,
    /// the 2x2 blocks of the output gradient by A dY A^T, and one K x C += (K x tiles) (tiles x C)
    /// GEMM runs per tile element. <see cref="AddWeightGradient"/> turns the sums into
    /// dL/dg = G^T (dL/dU) G once per batch. <paramref name="sums"/> is laid out as the filters
    /// (<see cref="FilterLength"/> floats).
    /// </summary>
    public static void AccumulateWeightGradient(in ConvolutionShape s, float* input, float* outputDiff, float* sums, float* scratch, int images = 1)
    {
        var (tileRows, tileColumns, _, _) = Tiling(s.ColumnGeometry);
        int groupCount = WinogradTileGroups.CountFor(0, tileRows, tileColumns);
        var groups = new WinogradTileGroups(0, tileRows, tileColumns,
            groupCount <= MaxStackGroups ? stackalloc WinogradTileGroup[groupCount] : new WinogradTileGroup[groupCount]);
        if (groups.Wide) AccumulateWeightGradient<LanesTogether>(s, input, outputDiff, sums, scratch, images, groups);
        else AccumulateWeightGradient<LanesApart>(s, input, outputDiff, sums, scratch, images, groups);
    }

    /// <summary><see cref="AccumulateWeightGradient"/> over the listed tile groups, its transforms compiled for where their lanes lie.</summary>
    private static void AccumulateWeightGradient<TLanes>(in ConvolutionShape s, float* input, float* outputDiff, float* sums, float* scratch, int images,
        in WinogradTileGroups groups) where TLanes : struct, ITileLanes
    {
        var g = s.ColumnGeometry;
        var (tileRows, tileColumns, paddedHeight, paddedWidth) = Tiling(g);
        int inPerGroup = s.BottomChannels / s.Group, outPerGroup = s.TopChannels / s.Group, elements = TileElements(g);
        int imageTiles = tileRows * tileColumns, tiles = images * imageTiles;
        int paddedPlane = paddedHeight * paddedWidth, inPlane = g.Height * g.Width, outPlane = g.OutputHeight * g.OutputWidth;
        long inputStride = (long)inPerGroup * tiles + PlaneSlack, gradientStride = (long)outPerGroup * tiles + PlaneSlack;
        long pairs = (long)outPerGroup * inPerGroup;
        float* transformed = scratch + (long)inPerGroup * paddedPlane;
        float* gradients = transformed + elements * inputStride;
        bool five = g.KernelH == 5;
        for (int group = 0; group < s.Group; group++)
        {
            for (int image = 0; image < images; image++)
            {
                float* source = input + ((long)image * s.BottomChannels + group * inPerGroup) * inPlane;
                float* padded = PaddedChannels(source, inPerGroup, g, scratch, paddedHeight, paddedWidth, 0, paddedHeight);
                for (int c = 0; c < inPerGroup; c++)
                {
                    float* plane = padded + (long)c * paddedPlane, target = transformed + (long)c * tiles + (long)image * imageTiles;
                    if (five) WinogradF2x5.TransformInput<TLanes>(plane, paddedWidth, groups, target, inputStride);
                    else WinogradF2x3.TransformInput<TLanes>(plane, paddedWidth, groups, target, inputStride);
                }
                for (int k = 0; k < outPerGroup; k++)
                {
                    float* plane = outputDiff + ((long)image * s.TopChannels + group * outPerGroup + k) * outPlane;
                    float* target = gradients + (long)k * tiles + (long)image * imageTiles;
                    if (five) WinogradF2x5.TransformOutputGradient<TLanes>(plane, g.OutputHeight, g.OutputWidth, groups, target, gradientStride);
                    else WinogradF2x3.TransformOutputGradient<TLanes>(plane, g.OutputHeight, g.OutputWidth, groups, target, gradientStride);
                }
            }
            float* groupSums = sums + elements * pairs * group;
            for (int xi = 0; xi < elements; xi++)
                Gemm.Compute(Transpose.No, Transpose.Yes, outPerGroup, inPerGroup, tiles, 1f,
                    new ReadOnlySpan<float>(gradients + xi * gradientStride, outPerGroup * tiles), tiles,
                    new ReadOnlySpan<float>(transformed + xi * inputStride, inPerGroup * tiles), tiles,
                    1f, new Span<float>(groupSums + xi * pairs, (int)pairs), inPerGroup);
        }
    }

    /// <summary>
    /// weightDiff += G^T S G for every (output, input) pair, S the sums of <see cref="AccumulateWeightGradient"/>:
    /// eight pairs at a time, each lane's kernel added back in the weights' layout.
    /// </summary>
    public static void AddWeightGradient(in ConvolutionShape s, ReadOnlySpan<float> sums, Span<float> weightDiff)
    {
        var g = s.ColumnGeometry;
        int inPerGroup = s.BottomChannels / s.Group, outPerGroup = s.TopChannels / s.Group, elements = TileElements(g), area = g.KernelH * g.KernelW;
        long pairs = (long)outPerGroup * inPerGroup;
        if (sums.Length < FilterLength(s) || weightDiff.Length < s.TopChannels * inPerGroup * area)
            throw new ArgumentException($"Winograd weight gradient: {s.TopChannels} x {inPerGroup} {g.KernelH}x{g.KernelW} kernels need {FilterLength(s)} sums and {s.TopChannels * inPerGroup * area} weights");
        var m = stackalloc Vector256<float>[elements];
        var kernels = stackalloc Vector256<float>[area];
        var lane = stackalloc float[Lanes];
        fixed (float* u = sums, dw = weightDiff)
        {
            for (int group = 0; group < s.Group; group++)
            {
                float* groupSums = u + elements * pairs * group, groupDiff = dw + area * pairs * group;
                for (long pair = 0; pair < pairs; pair += Lanes)
                {
                    int count = (int)Math.Min(Lanes, pairs - pair);
                    for (int xi = 0; xi < elements; xi++)
                    {
                        float* at = groupSums + xi * pairs + pair;
                        if (count == Lanes) m[xi] = Avx.LoadVector256(at);
                        else
                        {
                            for (int l = 0; l < Lanes; l++) lane[l] = l < count ? at[l] : 0f;
                            m[xi] = Avx.LoadVector256(lane);
                        }
                    }
                    if (g.KernelH == 5) WinogradF2x5.TransformWeightGradient(m, kernels);
                    else WinogradF2x3.TransformWeightGradient(m, kernels);
                    for (int e = 0; e < area; e++)
                    {
                        Avx.Store(lane, kernels[e]);
                        for (int l = 0; l < count; l++) groupDiff[(pair + l) * area + e] += lane[l];
                    }
                }
            }
        }
    }

    /// <summary>
    /// The floats of a group's lanes 0-3 at <paramref name="a"/> and 4-7 at <paramref name="a"/> +
    /// <paramref name="b"/> as one vector; with the lanes together (b = 4) one load.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load<TLanes>(float* a, long b) where TLanes : struct, ITileLanes =>
        typeof(TLanes) == typeof(LanesTogether) ? Avx.LoadVector256(a) : Vector256.Create(Sse.LoadVector128(a), Sse.LoadVector128(a + b));

    /// <summary>Stores a group's lanes 0-3 at <paramref name="a"/> and 4-7 at <paramref name="a"/> + <paramref name="b"/>; with the lanes together one store.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store<TLanes>(float* a, long b, Vector256<float> value) where TLanes : struct, ITileLanes
    {
        if (typeof(TLanes) == typeof(LanesTogether)) { Avx.Store(a, value); return; }
        Sse.Store(a, value.GetLower());
        Sse.Store(a + b, value.GetUpper());
    }

    /// <summary>
    /// Columns 2 tile + j and 2 tile + j + 1 of a group's tiles in one row of a plane, the row of
    /// lanes 0-3 at <paramref name="a"/> and that of lanes 4-7 <paramref name="b"/> floats on:
    /// the even and odd floats of the eight at each.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector256<float> Even, Vector256<float> Odd) LoadColumnPairs<TLanes>(float* a, long b) where TLanes : struct, ITileLanes =>
        Interleaving.Deinterleave(Avx.LoadVector256(a), Avx.LoadVector256(a + (typeof(TLanes) == typeof(LanesTogether) ? Lanes : b))); // together: four tiles of two columns on

    /// <summary>
    /// The four values of a group's 2x2 blocks in an output plane (height x width): rows 2 row and
    /// 2 row + 1, columns 2 tile and 2 tile + 1. The row and column that complete the last blocks
    /// of an odd size read as zeros, the column past a row's end masked off.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector256<float> Y00, Vector256<float> Y01, Vector256<float> Y10, Vector256<float> Y11) LoadBlocks<TLanes>(
        float* plane, int height, int width, in WinogradTileGroups groups, WinogradTileGroup group) where TLanes : struct, ITileLanes
    {
        // With the lanes together, lanes 0-3 never end a row and both halves share one.
        bool together = typeof(TLanes) == typeof(LanesTogether), oddWidth = (width & 1) != 0;
        bool maskA = !together && oddWidth && groups.EndsRow(group.ColumnA), maskB = oddWidth && groups.EndsRow(group.ColumnB);
        float* a = plane + 2L * group.RowA * width + 2 * group.ColumnA, b = together ? a + Lanes : plane + 2L * group.RowB * width + 2 * group.ColumnB;
        var (y00, y01) = Interleaving.Deinterleave(LoadEight(a, maskA), LoadEight(b, maskB));
        bool hasLowA = 2 * group.RowA + 1 < height, hasLowB = together ? hasLowA : 2 * group.RowB + 1 < height;
        var lowA = hasLowA ? LoadEight(a + width, maskA) : Vector256<float>.Zero;
        var lowB = hasLowB ? LoadEight(b + width, maskB) : Vector256<float>.Zero;
        var (y10, y11) = Interleaving.Deinterleave(lowA, lowB);
        return (y00, y01, y10, y11);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> LoadEight(float* at, bool masked) =>
        masked ? Avx.MaskLoad(at, Vector256.Create(-1, -1, -1, -1, -1, -1, -1, 0).AsSingle()) : Avx.LoadVector256(at);

    /// <summary>
    /// Writes a group's 2x2 output blocks: <paramref name="top0"/> and <paramref name="top1"/> the
    /// two columns of their first rows, <paramref name="bottom0"/> and <paramref name="bottom1"/>
    /// of their second. Only rows in [rowStart, rowEnd) are written, and the column past a row's
    /// end is left alone when the width is odd.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreBlocks<TLanes>(float* output, int width, int rowStart, int rowEnd, in WinogradTileGroups groups, WinogradTileGroup group,
        Vector256<float> top0, Vector256<float> top1, Vector256<float> bottom0, Vector256<float> bottom1) where TLanes : struct, ITileLanes
    {
        bool together = typeof(TLanes) == typeof(LanesTogether), oddWidth = (width & 1) != 0;
        bool maskA = !together && oddWidth && groups.EndsRow(group.ColumnA), maskB = oddWidth && groups.EndsRow(group.ColumnB);
        int rowA = 2 * group.RowA, rowB = together ? rowA : 2 * group.RowB;
        float* a = output + (long)rowA * width + 2 * group.ColumnA, b = together ? a + Lanes : output + (long)rowB * width + 2 * group.ColumnB;
        bool topA = rowA >= rowStart && rowA < rowEnd, bottomA = rowA + 1 >= rowStart && rowA + 1 < rowEnd;
        bool topB = together ? topA : rowB >= rowStart && rowB < rowEnd, bottomB = together ? bottomA : rowB + 1 >= rowStart && rowB + 1 < rowEnd;
        StoreInterleaved(a, b, top0, top1, topA, topB, maskA, maskB);
        StoreInterleaved(a + width, b + width, bottom0, bottom1, bottomA, bottomB, maskA, maskB);
    }

    /// <summary>
    /// Writes (x0 y0 x1 y1 x2 y2 x3 y3) at <paramref name="a"/> and (x4 y4 ... x7 y7) at
    /// <paramref name="b"/>, each where asked, its last float left alone where masked: the two
    /// columns of a group's blocks, interleaved into their rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreInterleaved(float* a, float* b, Vector256<float> x, Vector256<float> y, bool writeA, bool writeB, bool maskA, bool maskB)
    {
        var low = Avx.UnpackLow(x, y);   // x0 y0 x1 y1 | x4 y4 x5 y5
        var high = Avx.UnpackHigh(x, y); // x2 y2 x3 y3 | x6 y6 x7 y7
        var mask = Vector256.Create(-1, -1, -1, -1, -1, -1, -1, 0).AsSingle();
        if (writeA)
        {
            var first = Avx.Permute2x128(low, high, 0x20);
            if (maskA) Avx.MaskStore(a, mask, first);
            else Avx.Store(a, first);
        }
        if (writeB)
        {
            var second = Avx.Permute2x128(low, high, 0x31);
            if (maskB) Avx.MaskStore(b, mask, second);
            else Avx.Store(b, second);
        }
    }

    /// <summary>
    /// The zero-bordered copy of <paramref name="channels"/> planes at <paramref name="image"/>, rows
    /// [rowStart, rowEnd) of it written into <paramref name="padded"/>; with no padding and an even
    /// output the image is its own copy.
    /// </summary>
    private static float* PaddedChannels(float* image, int channels, in ConvolutionGeometry g, float* padded, int paddedHeight, int paddedWidth, int rowStart, int rowEnd)
    {
        if (g.PadH == 0 && g.PadW == 0 && paddedHeight == g.Height && paddedWidth == g.Width) return image;
        PadImage(image, channels, g, padded, paddedHeight, paddedWidth, rowStart, rowEnd);
        return padded;
    }

    /// <summary>
    /// Rows [rowStart, rowEnd) of each channel's zero-bordered copy, paddedHeight x paddedWidth:
    /// the image at (PadH, PadW), zeros around it and in the extra row and column that complete
    /// the last tiles when the output size is odd.
    /// </summary>
    private static void PadImage(float* image, int channels, in ConvolutionGeometry g, float* padded, int paddedHeight, int paddedWidth, int rowStart, int rowEnd)
    {
        int height = g.Height, width = g.Width, padH = g.PadH, padW = g.PadW;
        rowEnd = Math.Min(rowEnd, paddedHeight);
        for (int c = 0; c < channels; c++)
        {
            float* plane = padded + (long)c * paddedHeight * paddedWidth;
            float* source = image + (long)c * height * width;
            for (int r = rowStart; r < rowEnd; r++)
            {
                float* row = plane + (long)r * paddedWidth;
                int y = r - padH;
                if (y < 0 || y >= height) { new Span<float>(row, paddedWidth).Clear(); continue; }
                for (int x = 0; x < padW; x++) row[x] = 0f;
                Buffer.MemoryCopy(source + (long)y * width, row + padW, (long)width * sizeof(float), (long)width * sizeof(float));
                for (int x = padW + width; x < paddedWidth; x++) row[x] = 0f;
            }
        }
    }
}
