using System.Runtime.CompilerServices;

namespace Cortado.Compute;

/// <summary>
/// The im2col matrix of a convolution described as offsets into a zero-padded image instead of
/// written out: entry (k, s) is <c>image[RowOffsets[k] + ColumnOffsets[s]]</c>, where row k is a
/// (channel, kernel row, kernel column) and column s an output position. GEMM packs its B panels
/// straight from the image through these offsets, so the column matrix (C*KH*KW x OH*OW floats,
/// 800 KB per image for CIFAR-10 quick's conv2) is never written or read back.
/// With a stride of 1 along the width, an output row's positions read a contiguous run of the
/// image, so a panel is copied as a few runs; <see cref="Runs"/>[s] is how many columns from s on
/// stay contiguous.
/// </summary>
internal readonly unsafe struct ImplicitColumns(float* image, int* rowOffsets, int* columnOffsets, int* runs)
{
    public readonly float* Image = image;
    public readonly int* RowOffsets = rowOffsets;
    public readonly int* ColumnOffsets = columnOffsets;
    public readonly int* Runs = runs;

    /// <summary>The same matrix from column <paramref name="first"/> on (an output row block).</summary>
    public ImplicitColumns FromColumn(int first) => new(Image, RowOffsets, ColumnOffsets + first, Runs + first);

    /// <summary>
    /// Worth it where an output row is a run of at least one vector: a stride of 1 along the width
    /// and 8 or more output columns. Elsewhere the runs are too short and im2col copies faster.
    /// </summary>
    public static bool Suits(in ConvolutionGeometry g) => g.StrideW == 1 && g.OutputWidth >= 8;

    /// <summary>Floats of the padded image for <paramref name="channels"/> channels (0 when there is no padding: the image is read in place).</summary>
    public static int PaddedLength(int channels, in ConvolutionGeometry g) =>
        g.PadH == 0 && g.PadW == 0 ? 0 : channels * PaddedPlane(g);

    /// <summary>Floats per channel of the padded image (of the image itself where there is no padding).</summary>
    public static int PaddedPlane(in ConvolutionGeometry g) => (g.Height + 2 * g.PadH) * (g.Width + 2 * g.PadW);

    /// <summary>
    /// Copies one image into <paramref name="padded"/> with the convolution's zero border, or
    /// returns the image itself where there is no padding.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float* Pad(float* image, int channels, in ConvolutionGeometry g, float* padded)
    {
        if (g.PadH == 0 && g.PadW == 0) return image;
        int height = g.Height, width = g.Width, padH = g.PadH, padW = g.PadW;
        int paddedWidth = width + 2 * padW, paddedPlane = PaddedPlane(g);
        new Span<float>(padded, channels * paddedPlane).Clear();
        for (int c = 0; c < channels; c++)
        {
            float* src = image + (long)c * height * width;
            float* dst = padded + (long)c * paddedPlane + padH * paddedWidth + padW;
            for (int h = 0; h < height; h++)
                new ReadOnlySpan<float>(src + h * width, width).CopyTo(new Span<float>(dst + h * paddedWidth, width));
        }
        return padded;
    }

    /// <summary>The offset tables of a geometry, built once per layer shape and kept pinned.</summary>
    internal sealed class Offsets
    {
        private readonly int[] _rows, _columns, _runs;

        public Offsets(int channels, in ConvolutionGeometry g)
        {
            Channels = channels;
            Geometry = g;
            int paddedWidth = g.Width + 2 * g.PadW, paddedPlane = PaddedPlane(g);
            _rows = GC.AllocateUninitializedArray<int>(channels * g.KernelH * g.KernelW, pinned: true);
            int row = 0;
            for (int c = 0; c < channels; c++)
                for (int kh = 0; kh < g.KernelH; kh++)
                    for (int kw = 0; kw < g.KernelW; kw++)
                        _rows[row++] = c * paddedPlane + kh * g.DilationH * paddedWidth + kw * g.DilationW;
            int outH = g.OutputHeight, outW = g.OutputWidth;
            _columns = GC.AllocateUninitializedArray<int>(outH * outW, pinned: true);
            _runs = GC.AllocateUninitializedArray<int>(outH * outW, pinned: true);
            for (int oh = 0; oh < outH; oh++)
                for (int ow = 0; ow < outW; ow++)
                {
                    _columns[oh * outW + ow] = oh * g.StrideH * paddedWidth + ow * g.StrideW;
                    _runs[oh * outW + ow] = g.StrideW == 1 ? outW - ow : 1;
                }
        }

        public int Channels { get; }
        public ConvolutionGeometry Geometry { get; }

        /// <summary>Row offsets start at channel 0 of <paramref name="paddedImage"/>; a group's channels start further on.</summary>
        public ImplicitColumns Over(float* paddedImage) =>
            new(paddedImage,
                (int*)Unsafe.AsPointer(ref _rows[0]), (int*)Unsafe.AsPointer(ref _columns[0]), (int*)Unsafe.AsPointer(ref _runs[0]));
    }
}
