using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Cortado.Compute;

/// <summary>
/// Caffe's 2-D max and average pooling over N*C planes of H x W. Windows start at
/// <c>p * stride - pad</c>; max pooling ignores the padding and remembers the winning input
/// (the first of equal maxima) for the backward pass; average pooling divides by the window
/// size clipped to the padded input, as Caffe does, so border windows count padding as zeros.
/// </summary>
public static class Pooling
{
    /// <summary>
    /// Caffe's pooled output size: rounded up by default (<paramref name="ceil"/>), and never a
    /// last window that starts inside the padding.
    /// </summary>
    public static int OutputSize(int input, int kernel, int pad, int stride, bool ceil = true)
    {
        double steps = (double)(input + 2 * pad - kernel) / stride;
        int size = (int)(ceil ? Math.Ceiling(steps) : Math.Floor(steps)) + 1;
        if (pad > 0 && (size - 1) * stride >= input + pad) size--;
        return size;
    }

    /// <summary>Max over each window, keeping the index of the first maximum; planes are split across threads.</summary>
    public static unsafe void MaxForward(ReadOnlySpan<float> bottom, int planes, in PoolingGeometry g, Span<float> top, Span<int> argmax)
    {
        g.Check(bottom.Length, top.Length, planes);
        if (argmax.Length < (long)planes * g.PooledHeight * g.PooledWidth) throw new ArgumentException($"pooling: the argmax buffer holds {argmax.Length} of {(long)planes * g.PooledHeight * g.PooledWidth} outputs");
        var geometry = g;
        int inPlane = g.Height * g.Width, outPlane = g.PooledHeight * g.PooledWidth;
        fixed (float* input = bottom, output = top)
        fixed (int* mask = argmax)
        {
            nint source = (nint)input, target = (nint)output, winners = (nint)mask;
            ParallelWork.For(planes, (long)outPlane * g.KernelH * g.KernelW, (_, first, last) =>
            {
                for (int plane = first; plane < last; plane++)
                    MaxPlane((float*)source + (long)plane * inPlane, (float*)target + (long)plane * outPlane, (int*)winners + (long)plane * outPlane, geometry);
            });
        }
    }

    /// <summary>
    /// Max pooling of rows [<paramref name="firstRow"/>, <paramref name="endRow"/>) of the output of
    /// <paramref name="planes"/> consecutive planes, on the calling thread: a convolution pools the rows
    /// it has just written (see <see cref="IConvolution.ForwardPooled"/>). The same values and winners
    /// as <see cref="MaxForward"/>.
    /// </summary>
    public static unsafe void MaxForwardRows(float* bottom, int planes, in PoolingGeometry g, float* top, int* argmax, int firstRow, int endRow)
    {
        int inPlane = g.Height * g.Width, outPlane = g.PooledHeight * g.PooledWidth;
        for (int plane = 0; plane < planes; plane++)
            MaxPlane(bottom + (long)plane * inPlane, top + (long)plane * outPlane, argmax + (long)plane * outPlane, g, firstRow, endRow);
    }

    private static unsafe void MaxPlane(float* input, float* output, int* mask, in PoolingGeometry g) => MaxPlane(input, output, mask, g, 0, g.PooledHeight);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MaxPlane(float* input, float* output, int* mask, in PoolingGeometry g, int firstRow, int endRow)
    {
        // Geometry in locals: PooledHeight is a computed property, and the stores could alias g as far as the JIT knows.
        int pooledH = g.PooledHeight, pooledW = g.PooledWidth, planeSize = g.Height * g.Width;
        int width = g.Width, kernelW = g.KernelW, strideW = g.StrideW, padW = g.PadW;
        // Rows whose windows all lie inside the input's columns are read in place, eight windows at a
        // time; where some window reaches past a row's ends, a bordered copy takes them all.
        bool inside = g.PadW == 0 && (pooledW - 1) * strideW + kernelW <= width;
        if (Avx2.IsSupported && !inside && pooledW >= 4) { MaxPlaneBordered(input, output, mask, g, firstRow, endRow); return; }
        bool simd = Avx2.IsSupported && inside && pooledW >= 8;
        var strideLanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * strideW;
        for (int ph = firstRow; ph < endRow; ph++)
        {
            int hStart = Math.Max(ph * g.StrideH - g.PadH, 0), hEnd = Math.Min(ph * g.StrideH - g.PadH + g.KernelH, g.Height);
            float* outRow = output + ph * pooledW;
            int* maskRow = mask + ph * pooledW;
            int pw = 0;
            if (simd)
            {
                // Stride 2 loads 16 floats for eight windows, one past the last window's input; where that
                // would end past the plane (its last rows) the 16 start one float early instead.
                bool evenFits = (hEnd - 1) * width + (pooledW - 8) * strideW + kernelW - 1 + 16 <= planeSize;
                if (strideW == 1) MaxRow<AdjacentColumns>(input, outRow, maskRow, width, kernelW, strideW, pooledW, hStart, hEnd, strideLanes);
                else if (strideW == 2 && evenFits) MaxRow<EvenColumns>(input, outRow, maskRow, width, kernelW, strideW, pooledW, hStart, hEnd, strideLanes);
                else if (strideW == 2 && hStart * width > 0) MaxRow<EvenColumnsFromBefore>(input, outRow, maskRow, width, kernelW, strideW, pooledW, hStart, hEnd, strideLanes);
                else MaxRow<GatheredColumns>(input, outRow, maskRow, width, kernelW, strideW, pooledW, hStart, hEnd, strideLanes);
                pw = pooledW;
            }
            for (; pw < pooledW; pw++) MaxWindow(input, outRow, maskRow, g, pw, hStart, hEnd);
        }
    }

    /// <summary>
    /// One row of outputs (at least eight) whose windows lie inside the input's columns, eight at a
    /// time, the last group overlapping the one before rather than falling back to scalar code.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MaxRow<TColumns>(float* input, float* outRow, int* maskRow, int width, int kernelW, int strideW, int pooledW,
        int hStart, int hEnd, Vector256<int> strideLanes) where TColumns : struct, IWindowColumns
    {
        for (int pw = 0; pw < pooledW; pw += 8)
        {
            if (pw + 8 > pooledW) pw = pooledW - 8;
            int first = hStart * width + pw * strideW;
            var best = TColumns.Load(input + first, strideLanes);
            var bestIndex = Vector256.Create(first) + strideLanes;
            for (int h = hStart; h < hEnd; h++)
            {
                int rowOffset = h * width + pw * strideW;
                for (int kw = h == hStart ? 1 : 0; kw < kernelW; kw++)
                {
                    TakeGreater(ref best, ref bestIndex, TColumns.Load(input + rowOffset + kw, strideLanes), Vector256.Create(rowOffset + kw) + strideLanes);
                }
            }
            best.Store(outRow + pw);
            bestIndex.Store(maskRow + pw);
        }
    }

    /// <summary>
    /// Max pooling eight windows at a time over a copy of the plane with -infinity wherever a window
    /// reaches past the input. Each lane starts from its window's first input, as the scalar loop does
    /// (so a NaN or -infinity there is kept), then takes what is strictly greater in the scalar loop's
    /// order; -infinity is never strictly greater, so the border changes no value and no index.
    /// </summary>
    private static unsafe void MaxPlaneBordered(float* input, float* output, int* mask, in PoolingGeometry g, int firstRow, int endRow)
    {
        // The copy has 16 spare columns, so stride 2's loads of 16 floats stay inside it.
        if (g.StrideW == 1) MaxPlaneBordered<AdjacentColumns>(input, output, mask, g, firstRow, endRow);
        else if (g.StrideW == 2) MaxPlaneBordered<EvenColumns>(input, output, mask, g, firstRow, endRow);
        else MaxPlaneBordered<GatheredColumns>(input, output, mask, g, firstRow, endRow);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MaxPlaneBordered<TColumns>(float* input, float* output, int* mask, in PoolingGeometry g, int firstOutputRow, int endOutputRow)
        where TColumns : struct, IWindowColumns
    {
        int pooledH = g.PooledHeight, pooledW = g.PooledWidth, width = g.Width;
        int kernelH = g.KernelH, kernelW = g.KernelW, strideH = g.StrideH, strideW = g.StrideW, padH = g.PadH, padW = g.PadW;
        var strideLanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * strideW;
        fixed (float* bordered = BorderedCopy(input, g, float.NegativeInfinity, out int borderedW))
        {
            float* lastValues = stackalloc float[8];
            int* lastIndices = stackalloc int[8];
            for (int ph = firstOutputRow; ph < endOutputRow; ph++)
            {
                int hStart = ph * strideH - padH, firstRow = Math.Max(hStart, 0);
                float* top = bordered + (long)(hStart + padH) * borderedW;
                float* firstRowInputs = bordered + (long)(firstRow + padH) * borderedW + padW;
                for (int pw = 0; ; pw += 8)
                {
                    // A last group of eight overlaps the one before; with fewer than eight outputs the spare lanes are dropped.
                    if (pw + 8 > pooledW && pooledW >= 8) pw = pooledW - 8;
                    var firstColumn = Vector256.Max(Vector256.Create(pw * strideW - padW) + strideLanes, Vector256<int>.Zero);
                    var best = Avx2.GatherVector256(firstRowInputs, firstColumn, 4);
                    var bestIndex = Vector256.Create(firstRow * width) + firstColumn;
                    for (int h = 0; h < kernelH; h++)
                    {
                        float* row = top + (long)h * borderedW + pw * strideW;
                        int rowIndex = (hStart + h) * width + pw * strideW - padW;
                        for (int kw = 0; kw < kernelW; kw++)
                        {
                            TakeGreater(ref best, ref bestIndex, TColumns.Load(row + kw, strideLanes), Vector256.Create(rowIndex + kw) + strideLanes);
                        }
                    }
                    if (pw + 8 <= pooledW)
                    {
                        best.Store(output + ph * pooledW + pw);
                        bestIndex.Store(mask + ph * pooledW + pw);
                    }
                    else
                    {
                        best.Store(lastValues);
                        bestIndex.Store(lastIndices);
                        for (int lane = 0; lane < pooledW - pw; lane++) (output[ph * pooledW + pw + lane], mask[ph * pooledW + pw + lane]) = (lastValues[lane], lastIndices[lane]);
                    }
                    if (pw + 8 >= pooledW) break;
                }
            }
        }
    }

    /// <summary>
    /// Takes <paramref name="value"/> and its <paramref name="index"/> in the lanes where it is strictly
    /// greater than <paramref name="best"/>, so the first of equal maxima wins (and NaN never does), as in
    /// the scalar loop. One blend each, where a bitwise select takes three instructions: a comparison's
    /// lanes are all ones or all zeros, so the blend's sign-bit rule agrees with it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TakeGreater(ref Vector256<float> best, ref Vector256<int> bestIndex, Vector256<float> value, Vector256<int> index)
    {
        var greater = Vector256.GreaterThan(value, best);
        best = Avx.BlendVariable(best, value, greater);
        bestIndex = Avx.BlendVariable(bestIndex.AsSingle(), index.AsSingle(), greater).AsInt32();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MaxWindow(float* input, float* outRow, int* maskRow, in PoolingGeometry g, int pw, int hStart, int hEnd)
    {
        int wStart = Math.Max(pw * g.StrideW - g.PadW, 0), wEnd = Math.Min(pw * g.StrideW - g.PadW + g.KernelW, g.Width);
        float best = float.MinValue;
        int bestIndex = -1;
        for (int h = hStart; h < hEnd; h++)
        {
            for (int w = wStart; w < wEnd; w++)
            {
                int index = h * g.Width + w;
                if (input[index] > best || bestIndex < 0) { best = input[index]; bestIndex = index; }
            }
        }
        outRow[pw] = best;
        maskRow[pw] = bestIndex;
    }

    /// <summary>
    /// Routes each top gradient to the input that won its window; the bottom diff is overwritten.
    /// With <paramref name="rectifiedBy"/> (the input, as an in-place ReLU before the pooling left it)
    /// each plane's diff is then zeroed where that input is not positive, as the ReLU's backward
    /// would, while the plane is still in cache.
    /// </summary>
    public static unsafe void MaxBackward(ReadOnlySpan<float> topDiff, ReadOnlySpan<int> argmax, int planes, in PoolingGeometry g, Span<float> bottomDiff,
        ReadOnlySpan<float> rectifiedBy = default)
    {
        g.Check(bottomDiff.Length, topDiff.Length, planes);
        CheckRectifiedBy(rectifiedBy, bottomDiff.Length);
        int inPlane = g.Height * g.Width, outPlane = g.PooledHeight * g.PooledWidth;
        if (argmax.Length < (long)planes * outPlane) throw new ArgumentException($"pooling: the argmax buffer holds {argmax.Length} of {(long)planes * outPlane} outputs");
        bool rectify = !rectifiedBy.IsEmpty;
        fixed (float* gradient = topDiff, target = bottomDiff, input = rectifiedBy)
        fixed (int* mask = argmax)
        {
            nint source = (nint)gradient, destination = (nint)target, winners = (nint)mask, values = (nint)input;
            bool gathers = GathersTwoByTwo(g);
            int height = g.Height, width = g.Width;
            ParallelWork.For(planes, inPlane, (_, first, last) =>
            {
                for (int plane = first; plane < last; plane++)
                {
                    float* planeDiff = (float*)destination + (long)plane * inPlane;
                    float* planeTop = (float*)source + (long)plane * outPlane;
                    int* planeWinners = (int*)winners + (long)plane * outPlane;
                    if (gathers) MaxPlaneBackwardTwoByTwo(planeTop, planeWinners, height, width, planeDiff);
                    else MaxPlaneBackward(planeTop, planeWinners, outPlane, planeDiff, inPlane);
                    if (rectify) Rectifier.BackwardRange((float*)values + (long)plane * inPlane, planeDiff, planeDiff, inPlane, 0f);
                }
            });
        }
    }

    private static void CheckRectifiedBy(ReadOnlySpan<float> rectifiedBy, int length)
    {
        if (!rectifiedBy.IsEmpty && rectifiedBy.Length != length)
            throw new ArgumentException($"pooling: the rectifying input holds {rectifiedBy.Length} values for a bottom diff of {length}");
    }

    /// <summary>
    /// 2 x 2 windows at stride 1 without padding (the seed net as written), on AVX2, in rows of 17
    /// or more: every input lies in up to four windows, and gathering from them beats scattering
    /// into it (4096 planes of 24 x 24 in 1.21 against 1.70 ms on a Zen 4 thread). Narrower rows
    /// keep the scatter: at 11 (the numbers) the gather's two overlapping groups cost 0.73 against 0.61.
    /// </summary>
    private static bool GathersTwoByTwo(in PoolingGeometry g) =>
        Avx2.IsSupported && g.KernelH == 2 && g.KernelW == 2 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 0 && g.PadW == 0
        && g.PooledHeight == g.Height - 1 && g.PooledWidth == g.Width - 1 && g.Width >= 17;

    /// <summary>
    /// Each input's gradient gathered from the windows that hold it, in the order the scatter adds
    /// them (up-left, up, left, own window; each onto +0, so the sums are the scatter's bit for bit):
    /// eight inputs a step compare their index with four rows of winners. The first and last
    /// columns are summed one input at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MaxPlaneBackwardTwoByTwo(float* topDiff, int* winner, int height, int width, float* diff)
    {
        int pooledH = height - 1, pooledW = width - 1;
        var lanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
        for (int y = 0; y < height; y++)
        {
            bool above = y > 0, below = y < pooledH;
            int* winnersAbove = winner + (y - 1) * pooledW, winnersHere = winner + y * pooledW;
            float* topAbove = topDiff + (y - 1) * pooledW, topHere = topDiff + y * pooledW;
            float* row = diff + y * width;
            // Columns 1 to pooledW - 1 by groups of eight; the last group ends there, overlapping the
            // one before (its sums are stored, not added, so computing them twice changes nothing).
            for (int group = 1; group < pooledW; group += 8)
            {
                int x = Math.Min(group, pooledW - 8);
                var index = Vector256.Create(y * width + x) + lanes;
                var sum = Vector256<float>.Zero;
                if (above)
                {
                    sum += Gathered(winnersAbove + x - 1, topAbove + x - 1, index);
                    sum += Gathered(winnersAbove + x, topAbove + x, index);
                }
                if (below)
                {
                    sum += Gathered(winnersHere + x - 1, topHere + x - 1, index);
                    sum += Gathered(winnersHere + x, topHere + x, index);
                }
                Avx.Store(row + x, sum);
            }
            row[0] = GatheredOne(winner, topDiff, pooledW, above, below, y, 0, width);
            row[pooledW] = GatheredOne(winner, topDiff, pooledW, above, below, y, pooledW, width);
        }
    }

    /// <summary>The top gradients of eight windows where they won the input of the same lane, else +0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<float> Gathered(int* winners, float* top, Vector256<int> index) =>
        Avx.And(Avx2.CompareEqual(Avx.LoadVector256(winners), index).AsSingle(), Avx.LoadVector256(top));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe float GatheredOne(int* winner, float* topDiff, int pooledW, bool above, bool below, int y, int x, int width)
    {
        int index = y * width + x;
        float sum = 0f;
        if (above && x > 0) sum += IfWon(winner[(y - 1) * pooledW + x - 1], index, topDiff[(y - 1) * pooledW + x - 1]);
        if (above && x < pooledW) sum += IfWon(winner[(y - 1) * pooledW + x], index, topDiff[(y - 1) * pooledW + x]);
        if (below && x > 0) sum += IfWon(winner[y * pooledW + x - 1], index, topDiff[y * pooledW + x - 1]);
        if (below && x < pooledW) sum += IfWon(winner[y * pooledW + x], index, topDiff[y * pooledW + x]);
        return sum;
    }

    /// <summary>The gradient where the window's winner is the input, else +0, without a branch (which winners follow no pattern).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float IfWon(int winner, int index, float gradient) =>
        BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(gradient) & -(winner == index ? 1 : 0));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MaxPlaneBackward(float* topDiff, int* winner, int outPlane, float* diff, int inPlane)
    {
        new Span<float>(diff, inPlane).Clear();
        for (int i = 0; i < outPlane; i++)
            if (winner[i] >= 0) diff[winner[i]] += topDiff[i];
    }

    /// <summary>The mean over each window (Caffe's divisor, see <see cref="PoolingGeometry.AverageWindow"/>); planes are split across threads.</summary>
    public static unsafe void AverageForward(ReadOnlySpan<float> bottom, int planes, in PoolingGeometry g, Span<float> top)
    {
        g.Check(bottom.Length, top.Length, planes);
        var geometry = g;
        int inPlane = g.Height * g.Width, outPlane = g.PooledHeight * g.PooledWidth;
        fixed (float* input = bottom, output = top)
        {
            nint source = (nint)input, target = (nint)output;
            ParallelWork.For(planes, (long)outPlane * g.KernelH * g.KernelW, (_, first, last) =>
            {
                for (int plane = first; plane < last; plane++)
                    AveragePlane((float*)source + (long)plane * inPlane, (float*)target + (long)plane * outPlane, geometry);
            });
        }
    }

    /// <summary>Bordered copies of one plane, one per thread: zeros for <see cref="AveragePlaneByVectors"/>, -infinity for <see cref="MaxPlaneBordered"/>.</summary>
    [ThreadStatic] private static float[]? _borderedPlane;

    /// <summary>
    /// The plane copied into this thread's bordered buffer, <paramref name="border"/> wherever a
    /// window reaches past the input: row r of the copy is input row r - PadH, column x input
    /// column x - PadW, and rows run wide enough for groups of eight windows past the last output
    /// (a stride-2 load reads 16 floats).
    /// </summary>
    private static unsafe float[] BorderedCopy(float* input, in PoolingGeometry g, float border, out int borderedWidth)
    {
        int covered = Math.Max(g.PooledWidth, 8); // outputs the vector groups compute, spare lanes included
        int borderedH = (g.PooledHeight - 1) * g.StrideH + g.KernelH, borderedW = (covered - 1) * g.StrideW + g.KernelW + 16;
        int length = borderedH * borderedW, width = g.Width;
        if (_borderedPlane is null || _borderedPlane.Length < length) _borderedPlane = new float[length];
        fixed (float* bordered = _borderedPlane)
        {
            new Span<float>(bordered, length).Fill(border);
            for (int y = 0; y < g.Height && y + g.PadH < borderedH; y++)
                Buffer.MemoryCopy(input + (long)y * width, bordered + (long)(y + g.PadH) * borderedW + g.PadW, (long)width * sizeof(float),
                    (long)Math.Min(width, borderedW - g.PadW) * sizeof(float));
        }
        borderedWidth = borderedW;
        return _borderedPlane;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void AveragePlane(float* input, float* output, in PoolingGeometry g)
    {
        // Four outputs a row or more: eight windows at a time (rows of four waste half the lanes and still win).
        if (Avx2.IsSupported && g.PooledWidth >= 4) { AveragePlaneByVectors(input, output, g); return; }
        // The sizes in locals: PooledHeight and PooledWidth are computed properties.
        int pooledH = g.PooledHeight, pooledW = g.PooledWidth, width = g.Width;
        for (int ph = 0; ph < pooledH; ph++)
        {
            for (int pw = 0; pw < pooledW; pw++)
            {
                var (hStart, hEnd, wStart, wEnd, size) = g.AverageWindow(ph, pw);
                float sum = 0f;
                for (int h = hStart; h < hEnd; h++)
                {
                    float* row = input + h * width;
                    for (int w = wStart; w < wEnd; w++) sum += row[w];
                }
                output[ph * pooledW + pw] = sum / size;
            }
        }
    }

    /// <summary>
    /// The scalar loop's sums eight windows at a time, over a copy of the plane with zeros wherever a
    /// window reaches past the input: the same additions in the same order, with zeros between them,
    /// so the same bits (x + 0 is x, and a sum that starts at +0 never becomes -0).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void AveragePlaneByVectors(float* input, float* output, in PoolingGeometry g)
    {
        int pooledH = g.PooledHeight, pooledW = g.PooledWidth, height = g.Height, width = g.Width;
        int kernelH = g.KernelH, kernelW = g.KernelW, strideH = g.StrideH, strideW = g.StrideW, padH = g.PadH, padW = g.PadW;
        var strideLanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * strideW;
        fixed (float* bordered = BorderedCopy(input, g, 0f, out int borderedW))
        {
            float* last = stackalloc float[8];
            for (int ph = 0; ph < pooledH; ph++)
            {
                int hStart = ph * strideH - padH, windowH = Math.Min(hStart + kernelH, height + padH) - hStart;
                float* top = bordered + (long)(hStart + padH) * borderedW;
                for (int pw = 0; ; pw += 8)
                {
                    // A last group of eight overlaps the one before; with fewer than eight outputs the spare lanes are dropped.
                    if (pw + 8 > pooledW && pooledW >= 8) pw = pooledW - 8;
                    var sum = Vector256<float>.Zero;
                    for (int h = 0; h < kernelH; h++)
                    {
                        float* row = top + (long)h * borderedW + pw * strideW;
                        for (int kw = 0; kw < kernelW; kw++)
                            sum += strideW == 1 ? Avx.LoadVector256(row + kw)
                                : strideW == 2 ? Interleaving.EvenLanes(row + kw)
                                : Avx2.GatherVector256(row + kw, strideLanes, 4);
                    }
                    // Caffe's divisor: the window clipped to the padded input, rows times columns.
                    var wStart = Vector256.Create(pw * strideW - padW) + strideLanes;
                    var windowW = Vector256.Min(wStart + Vector256.Create(kernelW), Vector256.Create(width + padW)) - wStart;
                    var mean = sum / Vector256.ConvertToSingle(windowW * windowH);
                    if (pw + 8 <= pooledW) mean.Store(output + ph * pooledW + pw);
                    else
                    {
                        mean.Store(last);
                        for (int lane = 0; lane < pooledW - pw; lane++) output[ph * pooledW + pw + lane] = last[lane];
                    }
                    if (pw + 8 >= pooledW) break;
                }
            }
        }
    }

    /// <summary>
    /// Spreads each top gradient evenly over its window; the bottom diff is overwritten. Planes are
    /// split across threads. <paramref name="rectifiedBy"/> as in <see cref="MaxBackward"/>.
    /// </summary>
    public static unsafe void AverageBackward(ReadOnlySpan<float> topDiff, int planes, in PoolingGeometry g, Span<float> bottomDiff,
        ReadOnlySpan<float> rectifiedBy = default)
    {
        g.Check(bottomDiff.Length, topDiff.Length, planes);
        CheckRectifiedBy(rectifiedBy, bottomDiff.Length);
        var geometry = g;
        int inPlane = g.Height * g.Width, outPlane = g.PooledHeight * g.PooledWidth;
        var plan = Avx2.IsSupported ? new CoveringWindows(g) : null;
        bool rectify = !rectifiedBy.IsEmpty;
        fixed (float* gradient = topDiff, diff = bottomDiff, input = rectifiedBy)
        {
            nint source = (nint)gradient, target = (nint)diff, values = (nint)input;
            ParallelWork.For(planes, (long)outPlane * g.KernelH * g.KernelW, (_, first, last) =>
            {
                for (int plane = first; plane < last; plane++)
                {
                    float* planeGradient = (float*)source + (long)plane * outPlane, planeDiff = (float*)target + (long)plane * inPlane;
                    if (plan is null) AveragePlaneBackward(planeGradient, planeDiff, inPlane, geometry);
                    else AveragePlaneBackwardByVectors(planeGradient, planeDiff, plan);
                    if (rectify) Rectifier.BackwardRange((float*)values + (long)plane * inPlane, planeDiff, planeDiff, inPlane, 0f);
                }
            });
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void AveragePlaneBackward(float* gradient, float* diff, int inPlane, in PoolingGeometry g)
    {
        new Span<float>(diff, inPlane).Clear();
        int pooledH = g.PooledHeight, pooledW = g.PooledWidth, width = g.Width;
        for (int ph = 0; ph < pooledH; ph++)
        {
            for (int pw = 0; pw < pooledW; pw++)
            {
                var (hStart, hEnd, wStart, wEnd, size) = g.AverageWindow(ph, pw);
                float share = gradient[ph * pooledW + pw] / size;
                for (int h = hStart; h < hEnd; h++)
                {
                    float* row = diff + h * width;
                    for (int w = wStart; w < wEnd; w++) row[w] += share;
                }
            }
        }
    }

    /// <summary>Per plane, on each thread: the plane's shares, one window row's shares spread over the columns, and a diff of whole vectors.</summary>
    [ThreadStatic] private static float[]? _spreadScratch;

    /// <summary>
    /// The scalar loop's sums gathered per input instead of scattered per window: each input adds the
    /// shares of the windows that cover it in the scalar loop's order (window rows, then window
    /// columns, ascending), eight input columns at a time. Columns that fewer windows cover add zeros;
    /// a sum that starts at +0 and adds +0 keeps its bits, so the result is the scalar loop's bit for bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void AveragePlaneBackwardByVectors(float* gradient, float* diff, CoveringWindows plan)
    {
        int pooledH = plan.PooledHeight, pooledW = plan.PooledWidth, height = plan.Height, width = plan.Width;
        int kernelH = plan.KernelHeight, strideH = plan.StrideHeight, padH = plan.PadHeight;
        int paddedWidth = plan.PaddedWidth, covers = plan.Covers, outPlane = pooledH * pooledW;
        // Rows of whole vectors are written in place; other widths go through a copy and back.
        bool inPlace = paddedWidth == width;
        int spreadLength = covers * paddedWidth, length = outPlane + spreadLength + (inPlace ? 0 : height * paddedWidth);
        if (_spreadScratch is null || _spreadScratch.Length < length) _spreadScratch = new float[length];
        fixed (float* scratch = _spreadScratch, divisors = plan.Divisors)
        fixed (int* windowOf = plan.WindowOf, covered = plan.Covered)
        {
            float* shares = scratch, spread = scratch + outPlane, target = inPlace ? diff : spread + spreadLength;
            new Span<float>(target, height * paddedWidth).Clear();
            // Each window's share, as the scalar loop divides it.
            TensorPrimitives.Divide(new ReadOnlySpan<float>(gradient, outPlane), new ReadOnlySpan<float>(divisors, outPlane), new Span<float>(shares, outPlane));
            for (int ph = 0; ph < pooledH; ph++)
            {
                float* rowShares = shares + ph * pooledW;
                for (int i = 0; i < spreadLength; i += 8)
                    Avx2.GatherMaskVector256(Vector256<float>.Zero, rowShares, Avx.LoadVector256(windowOf + i), Avx.LoadVector256(covered + i).AsSingle(), 4)
                        .Store(spread + i);
                int hStart = ph * strideH - padH, hEnd = Math.Min(hStart + kernelH, height);
                for (int h = Math.Max(hStart, 0); h < hEnd; h++)
                {
                    float* row = target + (long)h * paddedWidth;
                    for (int x = 0; x < paddedWidth; x += 8)
                    {
                        var sum = Avx.LoadVector256(row + x);
                        for (int j = 0; j < covers; j++) sum += Avx.LoadVector256(spread + j * paddedWidth + x);
                        sum.Store(row + x);
                    }
                }
            }
            if (!inPlace)
                for (int h = 0; h < height; h++)
                    Buffer.MemoryCopy(target + (long)h * paddedWidth, diff + (long)h * width, (long)width * sizeof(float), (long)width * sizeof(float));
        }
    }

    /// <summary>
    /// What <see cref="AveragePlaneBackwardByVectors"/> needs of one geometry, worked out once a call:
    /// <see cref="WindowOf"/>[j * PaddedWidth + x] is the j-th (ascending) window column covering input
    /// column x, where <see cref="Covered"/> is all ones (fewer than j + 1 windows cover it elsewhere);
    /// <see cref="Divisors"/> holds each window's size. Columns run to a whole number of vectors.
    /// </summary>
    private sealed class CoveringWindows
    {
        public int Height { get; }
        public int Width { get; }
        public int PooledHeight { get; }
        public int PooledWidth { get; }
        public int KernelHeight { get; }
        public int StrideHeight { get; }
        public int PadHeight { get; }
        public int PaddedWidth { get; }
        public int Covers { get; }
        public int[] WindowOf { get; }
        public int[] Covered { get; }
        public float[] Divisors { get; }

        public CoveringWindows(in PoolingGeometry g)
        {
            (Height, Width, KernelHeight, StrideHeight, PadHeight) = (g.Height, g.Width, g.KernelH, g.StrideH, g.PadH);
            (PooledHeight, PooledWidth) = (g.PooledHeight, g.PooledWidth);
            PaddedWidth = (g.Width + 7) / 8 * 8;
            Covers = (g.KernelW + g.StrideW - 1) / g.StrideW;
            WindowOf = new int[Covers * PaddedWidth];
            Covered = new int[Covers * PaddedWidth];
            for (int x = 0; x < g.Width; x++)
            {
                // Window pw covers x when pw * stride - pad <= x < pw * stride - pad + kernel.
                int padded = x + g.PadW;
                int first = Math.Max(0, (padded - g.KernelW + g.StrideW) / g.StrideW), last = Math.Min(PooledWidth - 1, padded / g.StrideW);
                for (int pw = first, j = 0; pw <= last; pw++, j++) (WindowOf[j * PaddedWidth + x], Covered[j * PaddedWidth + x]) = (pw, -1);
            }
            Divisors = new float[PooledHeight * PooledWidth];
            for (int ph = 0; ph < PooledHeight; ph++)
                for (int pw = 0; pw < PooledWidth; pw++) Divisors[ph * PooledWidth + pw] = g.AverageWindow(ph, pw).Size;
        }
    }
}

/// <summary>Window sizes and the pooled output size of one pooling layer.</summary>
public readonly record struct PoolingGeometry(
    int Height, int Width, int KernelH, int KernelW, int PadH, int PadW, int StrideH, int StrideW, bool Ceil = true)
{
    public int PooledHeight => Pooling.OutputSize(Height, KernelH, PadH, StrideH, Ceil);
    public int PooledWidth => Pooling.OutputSize(Width, KernelW, PadW, StrideW, Ceil);

    /// <summary>Caffe's average window: the divisor counts padding inside the padded input, the sum only real inputs.</summary>
    internal (int HStart, int HEnd, int WStart, int WEnd, int Size) AverageWindow(int ph, int pw)
    {
        int hStart = ph * StrideH - PadH, wStart = pw * StrideW - PadW;
        int hEnd = Math.Min(hStart + KernelH, Height + PadH), wEnd = Math.Min(wStart + KernelW, Width + PadW);
        int size = (hEnd - hStart) * (wEnd - wStart);
        return (Math.Max(hStart, 0), Math.Min(hEnd, Height), Math.Max(wStart, 0), Math.Min(wEnd, Width), size);
    }

    internal void Check(int bottomLength, int topLength, int planes)
    {
        if (PooledHeight <= 0 || PooledWidth <= 0)
            throw new ArgumentException($"pooling: a {KernelH}x{KernelW} window does not fit a {Height}x{Width} input padded by {PadH}x{PadW}");
        if (bottomLength < (long)planes * Height * Width || topLength < (long)planes * PooledHeight * PooledWidth)
            throw new ArgumentException($"pooling: {planes} planes need {(long)planes * Height * Width} inputs and {(long)planes * PooledHeight * PooledWidth} outputs, got {bottomLength} and {topLength}");
    }
}
