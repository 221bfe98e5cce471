namespace Cortado.Compute;

/// <summary>
/// im2col and col2im over any number of spatial axes, for the convolutions the 2-D kernels do not
/// cover (1-D, 3-D, or a channel axis other than 1) and for the Im2col layer. Row r of the columns
/// is (channel, kernel offset), column l is an output position, both in row-major order over the
/// axes; positions in the padding read as 0. col2im sums every entry back where it came from.
/// </summary>
internal static class Im2ColNd
{
    public static void Forward(ReadOnlySpan<float> image, int channels, ConvolutionGeometryNd g, Span<float> columns)
    {
        Span<int> offset = stackalloc int[g.Axes], position = stackalloc int[g.Axes];
        for (int row = 0, rows = channels * g.KernelSize; row < rows; row++)
        {
            int channel = KernelOffset(g, row, offset);
            var target = columns.Slice(row * g.OutputSize, g.OutputSize);
            for (int column = 0; column < target.Length; column++)
            {
                int source = Source(g, channel, offset, column, position);
                target[column] = source < 0 ? 0f : image[source];
            }
        }
    }

    /// <summary>Overwrites the image (cleared first) with the columns summed back.</summary>
    public static void Backward(ReadOnlySpan<float> columns, int channels, ConvolutionGeometryNd g, Span<float> image)
    {
        image[..(channels * g.InputSize)].Clear();
        Span<int> offset = stackalloc int[g.Axes], position = stackalloc int[g.Axes];
        for (int row = 0, rows = channels * g.KernelSize; row < rows; row++)
        {
            int channel = KernelOffset(g, row, offset);
            var values = columns.Slice(row * g.OutputSize, g.OutputSize);
            for (int column = 0; column < values.Length; column++)
            {
                int source = Source(g, channel, offset, column, position);
                if (source >= 0) image[source] += values[column];
            }
        }
    }

    /// <summary>Splits a column row into its kernel offset per axis; returns its channel.</summary>
    private static int KernelOffset(ConvolutionGeometryNd g, int row, Span<int> offset)
    {
        for (int a = g.Axes - 1; a >= 0; a--) { offset[a] = row % g.Kernel[a]; row /= g.Kernel[a]; }
        return row;
    }

    /// <summary>The image index that output position <paramref name="column"/> reads at this kernel offset, or -1 in the padding.</summary>
    private static int Source(ConvolutionGeometryNd g, int channel, ReadOnlySpan<int> offset, int column, Span<int> position)
    {
        for (int a = g.Axes - 1; a >= 0; a--) { position[a] = column % g.Output[a]; column /= g.Output[a]; }
        int index = channel;
        for (int a = 0; a < g.Axes; a++)
        {
            int coordinate = position[a] * g.Stride[a] - g.Pad[a] + offset[a] * g.Dilation[a];
            if ((uint)coordinate >= (uint)g.Input[a]) return -1;
            index = index * g.Input[a] + coordinate;
        }
        return index;
    }
}
