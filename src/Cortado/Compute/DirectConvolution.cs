using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Cortado.Compute;

/// <summary>
/// A convolution with few taps per output (input channels of a group times the kernel's area at most
/// <see cref="MaxTaps"/>: a net's first layer on gray or colour images) computed directly, eight
/// outputs of a row a vector. As a product its k is that short, so GEMM spent more on packing the
/// columns and storing each tile than on multiply-adds: the seed net's conv1 (1 to 32 channels, 3x3,
/// 26x26 outputs) ran at 27 GFLOP/s. Stride 1 and no dilation; a padded image is padded first.
/// Each output sums its taps in im2col's order (channel, kernel row, kernel column), one FMA chain
/// from zero, as the GEMM kernels' single k block does. The weight gradient is summed directly too
/// (21 GFLOP/s as a GEMM of n = 9).
/// </summary>
internal static unsafe class DirectConvolution
{
    public const int MaxTaps = 27;

    public static bool Suits(in ConvolutionShape s)
    {
        var g = s.ColumnGeometry;
        return Fma.IsSupported && Avx2.IsSupported && !s.Reversed && g.StrideH == 1 && g.StrideW == 1 && g.DilationH == 1 && g.DilationW == 1
            && s.BottomChannels / s.Group * g.KernelH * g.KernelW <= MaxTaps && g.OutputWidth >= Vector256<float>.Count;
    }

    /// <summary>
    /// Output rows [firstRow, firstRow + rowCount) of one group of one image: output(o, r, x) = sum over taps t
    /// of weights(o, t) * image(c, r + ky, x + kx), then + bias(o) where <paramref name="bias"/> is not null,
    /// then the ReLU where <paramref name="rectify"/>: the values and bits of the sum, AddBias and
    /// Rectifier's pass one after another, in one store. <paramref name="image"/> is already padded (rows
    /// of the padded width, planes of <see cref="ImplicitColumns.PaddedPlane"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(in ConvolutionGeometry g, int channels, int outChannels, float* image, float* weights, float* bias, bool rectify,
        float* output, int firstRow, int rowCount)
    {
        int paddedWidth = g.Width + 2 * g.PadW, plane = ImplicitColumns.PaddedPlane(g);
        int outWidth = g.OutputWidth, spatial = g.OutputHeight * outWidth, taps = channels * g.KernelH * g.KernelW;
        int* tapOffset = stackalloc int[MaxTaps];
        TapOffsets(g, channels, paddedWidth, plane, tapOffset);
        // A row's vectors start every eight columns; the last one ends on the row's end, overlapping
        // the one before it (it writes the same values there).
        int perRow = (outWidth + 7) / 8;
        int o = 0;
        for (; o + Channels <= outChannels; o += Channels)
        {
            float* w = weights + (long)o * taps, b = bias == null ? null : bias + o, y = output + (long)o * spatial;
            for (int row = firstRow; row < firstRow + rowCount; row++)
            {
                float* x = image + row * paddedWidth;
                int target = row * outWidth;
                // Vectors in pairs; an odd one out is paired with itself (Column clamps), storing the same values twice.
                for (int vector = 0; vector < perRow; vector += 2)
                {
                    int first = Column(vector, outWidth), second = Column(vector + 1, outWidth);
                    FourChannels(x + first, x + second, tapOffset, taps, w, b, rectify, y + target + first, y + target + second, spatial);
                }
            }
        }
        for (; o < outChannels; o++)
            for (int row = firstRow; row < firstRow + rowCount; row++)
                for (int vector = 0; vector < perRow; vector++)
                {
                    int column = Column(vector, outWidth);
                    One(image + row * paddedWidth + column, tapOffset, taps, weights + (long)o * taps, bias == null ? null : bias + o, rectify,
                        output + (long)o * spatial + row * outWidth + column);
                }
    }

    /// <summary>Where a row's vector starts: every eight columns, the last one ending on the row's end.</summary>
    private static int Column(int vector, int outWidth) => Math.Min(vector * 8, outWidth - 8);

    /// <summary>Where each tap reads, from an output's position in the padded image, in im2col's order.</summary>
    private static void TapOffsets(in ConvolutionGeometry g, int channels, int paddedWidth, int plane, int* tapOffset)
    {
        for (int c = 0, t = 0; c < channels; c++)
            for (int ky = 0; ky < g.KernelH; ky++)
                for (int kx = 0; kx < g.KernelW; kx++)
                    tapOffset[t++] = c * plane + ky * paddedWidth + kx;
    }

    /// <summary>Output channels computed together: each loaded input vector feeds four of them.</summary>
    private const int Channels = 4;

    /// <summary>Two vectors of outputs for four channels: eight FMA chains, two loads and four broadcasts a tap.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FourChannels(float* x0, float* x1, int* tapOffset, int taps, float* w, float* bias, bool rectify, float* y0, float* y1, int spatial)
    {
        Vector256<float> a0 = default, a1 = default, b0 = default, b1 = default, c0 = default, c1 = default, d0 = default, d1 = default;
        for (int t = 0; t < taps; t++)
        {
            int offset = tapOffset[t];
            var v0 = Avx.LoadVector256(x0 + offset);
            var v1 = Avx.LoadVector256(x1 + offset);
            var wa = Vector256.Create(w[t]);
            a0 = Fma.MultiplyAdd(wa, v0, a0); a1 = Fma.MultiplyAdd(wa, v1, a1);
            var wb = Vector256.Create(w[taps + t]);
            b0 = Fma.MultiplyAdd(wb, v0, b0); b1 = Fma.MultiplyAdd(wb, v1, b1);
            var wc = Vector256.Create(w[2 * taps + t]);
            c0 = Fma.MultiplyAdd(wc, v0, c0); c1 = Fma.MultiplyAdd(wc, v1, c1);
            var wd = Vector256.Create(w[3 * taps + t]);
            d0 = Fma.MultiplyAdd(wd, v0, d0); d1 = Fma.MultiplyAdd(wd, v1, d1);
        }
        Store(y0, y1, a0, a1, bias, rectify);
        Store(y0 + spatial, y1 + spatial, b0, b1, bias == null ? null : bias + 1, rectify);
        Store(y0 + 2 * spatial, y1 + 2 * spatial, c0, c1, bias == null ? null : bias + 2, rectify);
        Store(y0 + 3 * spatial, y1 + 3 * spatial, d0, d1, bias == null ? null : bias + 3, rectify);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* y0, float* y1, Vector256<float> s0, Vector256<float> s1, float* bias, bool rectify)
    {
        Avx.Store(y0, Finish(s0, bias, rectify));
        Avx.Store(y1, Finish(s1, bias, rectify));
    }

    /// <summary>The bias added after the sum, then the ReLU as <see cref="Rectifier"/> computes it (slope 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Finish(Vector256<float> sum, float* bias, bool rectify)
    {
        if (bias != null) sum += Vector256.Create(*bias);
        return rectify ? Vector256.ConditionalSelect(Vector256.GreaterThan(sum, Vector256<float>.Zero), sum, sum * Vector256<float>.Zero) : sum;
    }

    /// <summary>One vector of outputs for one channel (the channels and vectors left over).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void One(float* x, int* tapOffset, int taps, float* w, float* bias, bool rectify, float* y)
    {
        var sum = Vector256<float>.Zero;
        for (int t = 0; t < taps; t++) sum = Fma.MultiplyAdd(Vector256.Create(w[t]), Avx.LoadVector256(x + tapOffset[t]), sum);
        Avx.Store(y, Finish(sum, bias, rectify));
    }

    /// <summary>Output channels and taps of one block of the weight gradient: twelve FMA chains, seven loads a vector.</summary>
    private const int GradientChannels = 4, GradientTaps = 3;

    /// <summary>
    /// weightDiff(o, t) += sum over the outputs p of outputDiff(o, p) * image(p + tap t), for one group of one
    /// image (<paramref name="image"/> already padded): the weight gradient of <see cref="Forward"/>. Each
    /// (o, t) sums eight lanes along each row, the last vector of a row masked where it overlaps the one
    /// before it, then adds the lanes; the order depends on the shape alone.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AccumulateWeightGradient(in ConvolutionGeometry g, int channels, int outChannels, float* image, float* outputDiff, float* weightDiff)
    {
        int paddedWidth = g.Width + 2 * g.PadW, plane = ImplicitColumns.PaddedPlane(g);
        int outWidth = g.OutputWidth, outHeight = g.OutputHeight, spatial = outHeight * outWidth, taps = channels * g.KernelH * g.KernelW;
        int* tapOffset = stackalloc int[MaxTaps];
        TapOffsets(g, channels, paddedWidth, plane, tapOffset);
        int perRow = (outWidth + 7) / 8;
        // Lanes of a row's last vector that the vectors before it have not summed.
        int covered = 8 * (perRow - 1) - (outWidth - 8);
        var lastMask = Vector256.GreaterThanOrEqual(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(covered)).AsSingle();
        var geometry = new Rows(outHeight, outWidth, paddedWidth, perRow, lastMask);
        for (int o = 0; o < outChannels; o += GradientChannels)
        {
            int oc = Math.Min(GradientChannels, outChannels - o);
            for (int t = 0; t < taps; t += GradientTaps)
            {
                int tc = Math.Min(GradientTaps, taps - t);
                if (oc == GradientChannels && tc == GradientTaps) Block(geometry, image, tapOffset + t, outputDiff + (long)o * spatial, spatial, weightDiff + (long)o * taps + t, taps);
                else
                    for (int i = 0; i < oc; i++)
                        for (int j = 0; j < tc; j++)
                            weightDiff[(long)(o + i) * taps + t + j] += Single(geometry, image + tapOffset[t + j], outputDiff + (long)(o + i) * spatial);
            }
        }
    }

    /// <summary>The shape of the walk over a plane of outputs, a row of vectors at a time.</summary>
    private readonly record struct Rows(int Height, int Width, int PaddedWidth, int PerRow, Vector256<float> LastMask)
    {
        public int Column(int vector) => DirectConvolution.Column(vector, Width);
        public Vector256<float> Mask(int vector) => vector == PerRow - 1 ? LastMask : Vector256<float>.AllBitsSet;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block(in Rows rows, float* image, int* tapOffset, float* dy, int spatial, float* dw, int taps)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, b0 = default, b1 = default, b2 = default;
        Vector256<float> c0 = default, c1 = default, c2 = default, d0 = default, d1 = default, d2 = default;
        int t0 = tapOffset[0], t1 = tapOffset[1], t2 = tapOffset[2];
        int height = rows.Height, width = rows.Width, paddedWidth = rows.PaddedWidth, full = 8 * (rows.PerRow - 1);
        var all = Vector256<float>.AllBitsSet;
        var last = rows.LastMask;
        for (int row = 0; row < height; row++)
        {
            float* x = image + row * paddedWidth;
            float* g = dy + row * width;
            for (int column = 0; column < full; column += 8)
                Step(x + column, g + column, t0, t1, t2, spatial, all,
                    ref a0, ref a1, ref a2, ref b0, ref b1, ref b2, ref c0, ref c1, ref c2, ref d0, ref d1, ref d2);
            Step(x + width - 8, g + width - 8, t0, t1, t2, spatial, last,
                ref a0, ref a1, ref a2, ref b0, ref b1, ref b2, ref c0, ref c1, ref c2, ref d0, ref d1, ref d2);
        }
        dw[0] += Vector256.Sum(a0); dw[1] += Vector256.Sum(a1); dw[2] += Vector256.Sum(a2);
        dw[taps] += Vector256.Sum(b0); dw[taps + 1] += Vector256.Sum(b1); dw[taps + 2] += Vector256.Sum(b2);
        dw[2 * taps] += Vector256.Sum(c0); dw[2 * taps + 1] += Vector256.Sum(c1); dw[2 * taps + 2] += Vector256.Sum(c2);
        dw[3 * taps] += Vector256.Sum(d0); dw[3 * taps + 1] += Vector256.Sum(d1); dw[3 * taps + 2] += Vector256.Sum(d2);
    }

    /// <summary>One vector of outputs: four channels' gradients (masked) times three taps' inputs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step(float* x, float* g, int t0, int t1, int t2, int spatial, Vector256<float> mask,
        ref Vector256<float> a0, ref Vector256<float> a1, ref Vector256<float> a2, ref Vector256<float> b0, ref Vector256<float> b1, ref Vector256<float> b2,
        ref Vector256<float> c0, ref Vector256<float> c1, ref Vector256<float> c2, ref Vector256<float> d0, ref Vector256<float> d1, ref Vector256<float> d2)
    {
        var x0 = Avx.LoadVector256(x + t0);
        var x1 = Avx.LoadVector256(x + t1);
        var x2 = Avx.LoadVector256(x + t2);
        var ga = Avx.LoadVector256(g) & mask;
        a0 = Fma.MultiplyAdd(ga, x0, a0); a1 = Fma.MultiplyAdd(ga, x1, a1); a2 = Fma.MultiplyAdd(ga, x2, a2);
        var gb = Avx.LoadVector256(g + spatial) & mask;
        b0 = Fma.MultiplyAdd(gb, x0, b0); b1 = Fma.MultiplyAdd(gb, x1, b1); b2 = Fma.MultiplyAdd(gb, x2, b2);
        var gc = Avx.LoadVector256(g + 2 * spatial) & mask;
        c0 = Fma.MultiplyAdd(gc, x0, c0); c1 = Fma.MultiplyAdd(gc, x1, c1); c2 = Fma.MultiplyAdd(gc, x2, c2);
        var gd = Avx.LoadVector256(g + 3 * spatial) & mask;
        d0 = Fma.MultiplyAdd(gd, x0, d0); d1 = Fma.MultiplyAdd(gd, x1, d1); d2 = Fma.MultiplyAdd(gd, x2, d2);
    }

    /// <summary>One (channel, tap) pair: the channels and taps a block leaves over.</summary>
    private static float Single(in Rows rows, float* image, float* dy)
    {
        var sum = Vector256<float>.Zero;
        for (int row = 0; row < rows.Height; row++)
            for (int vector = 0; vector < rows.PerRow; vector++)
            {
                int column = rows.Column(vector);
                var gradient = Avx.LoadVector256(dy + row * rows.Width + column) & rows.Mask(vector);
                sum = Fma.MultiplyAdd(gradient, Avx.LoadVector256(image + row * rows.PaddedWidth + column), sum);
            }
        return Vector256.Sum(sum);
    }
}
