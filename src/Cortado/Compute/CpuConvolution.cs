namespace Cortado.Compute;

/// <summary>
/// Convolution and deconvolution on host memory, scheduled for CPU caches: the images of a batch
/// are split among the compute threads, each with its own column buffer and single-threaded
/// GEMMs (a per-image product is small enough to stay in cache, and this scales better than
/// splitting each small GEMM). A batch smaller than the thread count (inference at batch 1) is
/// split by output rows instead. Parameter gradients are summed per fixed chunk of images and the
/// chunks added in order, so they do not depend on the thread count.
/// </summary>
internal sealed class CpuConvolution(HostMemoryCompute compute) : IConvolution
{
    /// <summary>Parameter-gradient chunks are capped at this many floats in all.</summary>
    private const long PartialBudget = 1 << 22;
    private const int MaxChunks = 8;
    private float[][] _columns = [];
    private float[][] _weightPartials = [], _biasPartials = [];
    private ImplicitColumns.Offsets? _offsets, _dataGradientOffsets;
    private float[] _flippedWeights = [];
    private readonly WinogradFilters _winogradFilters = new(), _gradientWinogradFilters = new();

    public void Forward(in ConvolutionShape shape, DeviceSpan<float> input, DeviceSpan<float> weights, DeviceSpan<float> bias, DeviceSpan<float> output, bool rectify = false) =>
        Forward(shape, input, weights, bias, output, rectify, pool: null);

    public unsafe bool ForwardPooled(in ConvolutionShape shape, DeviceSpan<float> input, DeviceSpan<float> weights, DeviceSpan<float> bias, DeviceSpan<float> output, bool rectify,
        in PoolingGeometry pooling, DeviceSpan<float> pooled, DeviceSpan<int> argmax)
    {
        var g = shape.ColumnGeometry;
        if (shape.Reversed || pooling.Height != g.OutputHeight || pooling.Width != g.OutputWidth) return false;
        // Split by rows (a batch smaller than the thread count), each block must hold whole windows:
        // blocks start at multiples of the stride, and windows no taller than it never reach the next.
        if (SplitsByRows(shape) && (pooling.PadH != 0 || pooling.KernelH > pooling.StrideH)) return false;
        long outputs = (long)shape.Num * shape.TopChannels * pooling.PooledHeight * pooling.PooledWidth;
        if (pooled.Length != outputs || argmax.Length < outputs)
            throw new ArgumentException($"convolution with pooling: {outputs} pooled outputs, but {pooled.Length} values and {argmax.Length} winners were given");
        fixed (float* top = compute.Host(pooled))
        fixed (int* winners = compute.Host(argmax))
            Forward(shape, input, weights, bias, output, rectify, new RowPooling(pooling, top, winners));
        return true;
    }

    /// <summary>Max pooling of a convolution's output, done by the threads that write it.</summary>
    private sealed unsafe class RowPooling(PoolingGeometry geometry, float* pooled, int* argmax)
    {
        public int Stride => geometry.StrideH;

        /// <summary>Pools the windows inside output rows [firstRow, endRow) of one image's planes.</summary>
        public void Rows(float* image, int channels, int imageIndex, int firstRow, int endRow, int height)
        {
            int first = firstRow / geometry.StrideH, end = endRow == height ? geometry.PooledHeight : endRow / geometry.StrideH;
            long offset = (long)imageIndex * channels * geometry.PooledHeight * geometry.PooledWidth;
            Pooling.MaxForwardRows(image, channels, geometry, pooled + offset, argmax + offset, first, end);
        }
    }

    private unsafe void Forward(in ConvolutionShape shape, DeviceSpan<float> input, DeviceSpan<float> weights, DeviceSpan<float> bias, DeviceSpan<float> output, bool rectify,
        RowPooling? pool)
    {
        var s = shape;
        var g = s.ColumnGeometry;
        int num = s.Num, inDim = s.BottomChannels * s.BottomSpatial, outDim = s.TopChannels * s.TopSpatial, spatial = s.TopSpatial;
        bool hasBias = !bias.IsEmpty;
        var biasValues = compute.Host(bias);
        fixed (float* x0 = compute.Host(input), y0 = compute.Host(output), w0 = compute.Host(weights), b0 = biasValues)
        {
            nint x = (nint)x0, y = (nint)y0, w = (nint)w0, b = (nint)b0;
            int weightCount = weights.Length, biasCount = biasValues.Length;
            bool winograd = Winograd.Suits(s);
            var offsets = s.Reversed || winograd ? null : OffsetsFor(s, s.BottomChannels);
            // A first layer's few taps are summed directly, with the bias and the fused ReLU on the way out.
            bool direct = offsets is not null && DirectConvolution.Suits(s);
            // Winograd takes narrow images a few at a time, so that its products are wide enough.
            int perCall = winograd ? Winograd.ImagesPerCall(s) : 1;
            int scratch = s.Reversed ? ColumnLength(s) : winograd ? Winograd.ScratchLength(s, perCall) : ForwardScratch(s, s.BottomChannels, offsets);
            var filters = winograd ? _winogradFilters.For(s, new ReadOnlySpan<float>((float*)w, weightCount), weights) : [];
            if (SplitsByRows(s))
            {
                for (int n = 0; n < num; n++)
                {
                    int image = n;
                    ForEachRowBlock(s, scratch, pool?.Stride ?? 1, (columns, firstRow, rowCount) =>
                    {
                        var target = new Span<float>((float*)y + (long)image * outDim, outDim);
                        if (winograd) WinogradRows(s, (float*)x + (long)image * inDim, filters, target, columns, firstRow, rowCount);
                        else if (direct) DirectRows(s, (float*)x + (long)image * inDim, (float*)w, (float*)b, rectify, target, columns, firstRow, rowCount);
                        else ForwardRows(s, new ReadOnlySpan<float>((float*)x + (long)image * inDim, inDim), new ReadOnlySpan<float>((float*)w, weightCount), target,
                            s.BottomChannels, s.TopChannels, columns, firstRow, rowCount, offsets);
                        if (!direct && hasBias) AddBias(target, new ReadOnlySpan<float>((float*)b, biasCount), spatial, firstRow * g.OutputWidth, rowCount * g.OutputWidth);
                        if (!direct && rectify) Rectify(target, s.TopChannels, spatial, firstRow * g.OutputWidth, rowCount * g.OutputWidth);
                        pool?.Rows((float*)y + (long)image * outDim, s.TopChannels, image, firstRow, firstRow + rowCount, g.OutputHeight);
                    });
                }
                return;
            }
            ForEachImage(s, num, scratch, perCall, (columns, first, count) =>
            {
                if (winograd) WinogradRows(s, (float*)x + (long)first * inDim, filters, new Span<float>((float*)y + (long)first * outDim, count * outDim), columns, 0, g.OutputHeight, count);
                for (int n = first; n < first + count; n++)
                {
                    var image = new Span<float>((float*)y + (long)n * outDim, outDim);
                    var source = new ReadOnlySpan<float>((float*)x + (long)n * inDim, inDim);
                    var weightValues = new ReadOnlySpan<float>((float*)w, weightCount);
                    if (s.Reversed) BackwardData(s, source, weightValues, image, s.TopChannels, s.BottomChannels, columns);
                    else if (direct) DirectRows(s, (float*)x + (long)n * inDim, (float*)w, (float*)b, rectify, image, columns, 0, g.OutputHeight);
                    else if (!winograd) ForwardRows(s, source, weightValues, image, s.BottomChannels, s.TopChannels, columns, 0, g.OutputHeight, offsets);
                    if (!direct && hasBias) AddBias(image, new ReadOnlySpan<float>((float*)b, biasCount), spatial);
                    if (!direct && rectify) Rectify(image, s.TopChannels, spatial);
                    pool?.Rows((float*)y + (long)n * outDim, s.TopChannels, n, 0, g.OutputHeight, g.OutputHeight);
                }
            });
        }
    }

    public unsafe void Backward(in ConvolutionShape shape, DeviceSpan<float> input, DeviceSpan<float> outputDiff, DeviceSpan<float> weights,
        DeviceSpan<float> inputDiff, DeviceSpan<float> weightDiff, DeviceSpan<float> biasDiff, bool rectifyInputGradient = false)
    {
        var s = shape;
        int num = s.Num, inDim = s.BottomChannels * s.BottomSpatial, outDim = s.TopChannels * s.TopSpatial, spatial = s.TopSpatial;
        bool weightGradient = !weightDiff.IsEmpty, biasGradient = !biasDiff.IsEmpty, dataGradient = !inputDiff.IsEmpty;
        var weightTarget = compute.Host(weightDiff);
        var biasTarget = compute.Host(biasDiff);
        fixed (float* x0 = compute.Host(input), dx0 = compute.Host(inputDiff), dy0 = compute.Host(outputDiff), w0 = compute.Host(weights))
        {
            nint x = (nint)x0, dx = (nint)dx0, dy = (nint)dy0, w = (nint)w0;
            int weightCount = weights.Length;
            // The weight gradient reads the columns of the input (of the output gradient in deconvolution,
            // whose data gradient is then a convolution of it too); col2im still needs the columns written.
            int columnChannels = s.Reversed ? s.TopChannels : s.BottomChannels;
            // Where the forward pass runs by Winograd the weight gradient does too: 2.25 or 2.78 times fewer products.
            bool weightsByWinograd = weightGradient && Winograd.Suits(s);
            bool readsColumns = (weightGradient && !weightsByWinograd) || (s.Reversed && dataGradient);
            var offsets = readsColumns ? OffsetsFor(s, columnChannels) : null;
            // A first layer's weight gradient, like its forward pass, is summed directly.
            bool directWeights = weightGradient && offsets is not null && DirectConvolution.Suits(s);
            var gradientGeometry = dataGradient ? DataGradientAsConvolution.Geometry(s) : null;
            ImplicitColumns.Offsets? gradientOffsets = null;
            var gradientShape = s;
            float[] gradientFilters = [];
            bool gradientByWinograd = false;
            if (gradientGeometry is { } gg)
            {
                gradientShape = new ConvolutionShape(num, s.TopChannels, s.BottomChannels, s.Group, gg, Reversed: false);
                gradientByWinograd = Winograd.Suits(gradientShape);
                if (!gradientByWinograd) gradientOffsets = OffsetsFor(ref _dataGradientOffsets, s.TopChannels / s.Group, gg);
                if (_flippedWeights.Length != weightCount) _flippedWeights = new float[weightCount];
                DataGradientAsConvolution.FlipKernels(new ReadOnlySpan<float>((float*)w, weightCount), s, _flippedWeights);
                if (gradientByWinograd) gradientFilters = _gradientWinogradFilters.For(gradientShape, _flippedWeights);
            }
            bool writesColumns = (readsColumns && offsets is null) || (!s.Reversed && dataGradient && gradientGeometry is null);
            int scratch = Math.Max(writesColumns ? ColumnLength(s) : 0, offsets is null ? 0 : ImplicitColumns.PaddedLength(columnChannels, s.ColumnGeometry));
            if (gradientOffsets is not null) scratch = Math.Max(scratch, ImplicitColumns.PaddedLength(s.TopChannels, gradientShape.ColumnGeometry));
            // Winograd's products take narrow images a few at a time: as many as the narrower of its two uses wants.
            int perCall = Math.Max(weightsByWinograd ? Winograd.ImagesPerCall(s) : 1, gradientByWinograd ? Winograd.ImagesPerCall(gradientShape) : 1);
            if (gradientByWinograd) scratch = Math.Max(scratch, Winograd.ScratchLength(gradientShape, perCall));
            if (weightsByWinograd) scratch = Math.Max(scratch, Winograd.ScratchLength(s, perCall));
            var flippedWeights = _flippedWeights;
            int partialLength = weightsByWinograd ? Winograd.FilterLength(s) : weightCount;
            ForEachImageAccumulating(s, num, scratch, partialLength, biasDiff.Length, perCall, (columns, wd, bd, first, count) =>
            {
                if (weightsByWinograd) WinogradWeights(s, (float*)x + (long)first * inDim, (float*)dy + (long)first * outDim, wd, columns, count);
                if (dataGradient && gradientByWinograd)
                    WinogradRows(gradientShape, (float*)dy + (long)first * outDim, gradientFilters, new Span<float>((float*)dx + (long)first * inDim, count * inDim),
                        columns, 0, gradientShape.ColumnGeometry.OutputHeight, count);
                for (int n = first; n < first + count; n++)
                {
                    var gradient = new ReadOnlySpan<float>((float*)dy + (long)n * outDim, outDim);
                    var source = new ReadOnlySpan<float>((float*)x + (long)n * inDim, inDim);
                    var weightValues = new ReadOnlySpan<float>((float*)w, weightCount);
                    if (biasGradient) BiasGradient(gradient, spatial, bd);
                    if (s.Reversed)
                    {
                        // The roles of input and output swap: columns come from the output gradient.
                        if (weightGradient) WeightGemm(s, gradient, source, wd, s.TopChannels, s.BottomChannels, columns, offsets);
                        if (dataGradient) ForwardRows(s, gradient, weightValues, new Span<float>((float*)dx + (long)n * inDim, inDim), s.TopChannels, s.BottomChannels, columns, 0, s.ColumnGeometry.OutputHeight, offsets);
                        continue;
                    }
                    if (weightGradient && directWeights) DirectWeights(s, source, gradient, wd, columns);
                    else if (weightGradient && !weightsByWinograd) WeightGemm(s, source, gradient, wd, s.BottomChannels, s.TopChannels, columns, offsets);
                    var target = new Span<float>((float*)dx + (long)n * inDim, inDim);
                    if (!dataGradient || gradientByWinograd) continue;
                    if (gradientOffsets is not null)
                        ForwardRows(gradientShape, gradient, flippedWeights, target, s.TopChannels, s.BottomChannels, columns, 0, gradientShape.ColumnGeometry.OutputHeight, gradientOffsets);
                    else BackwardData(s, gradient, weightValues, target, s.BottomChannels, s.TopChannels, columns);
                }
                // The ReLU before this layer, on the images just written and still in cache.
                if (dataGradient && rectifyInputGradient)
                    Rectifier.BackwardRange((float*)x + (long)first * inDim, (float*)dx + (long)first * inDim, (float*)dx + (long)first * inDim, count * inDim, 0f);
            }, weightGradient ? weightTarget : default, biasGradient ? biasTarget : default, weightsByWinograd ? s : null);
        }
    }

    /// <summary>Convolution's product can be cut by output rows (deconvolution's, a col2im, cannot): done where the batch has fewer images than threads.</summary>
    private static bool SplitsByRows(in ConvolutionShape s) => !s.Reversed && s.Num < ParallelWork.AvailableThreads && s.ColumnGeometry.OutputHeight > 1;

    private static long WorkPerImage(in ConvolutionShape s) =>
        (long)ColumnLength(s) * (s.Reversed ? s.BottomChannels : s.TopChannels) / s.Group;

    private static int ColumnLength(in ConvolutionShape s)
    {
        var g = s.ColumnGeometry;
        int columnChannels = s.Reversed ? s.TopChannels : s.BottomChannels;
        return columnChannels * g.KernelH * g.KernelW * g.OutputHeight * g.OutputWidth;
    }

    /// <summary>
    /// Runs <paramref name="body"/>(columns, first, count) over the images, split among threads,
    /// each thread taking its images up to <paramref name="perCall"/> at a time.
    /// </summary>
    private void ForEachImage(ConvolutionShape s, int num, int scratch, int perCall, Action<float[], int, int> body)
    {
        long work = WorkPerImage(s);
        EnsureColumns(ParallelWork.PartsFor(num, work), scratch);
        ParallelWork.For(num, work, (part, first, last) =>
        {
            for (int n = first; n < last; n += perCall) body(_columns[part], n, Math.Min(perCall, last - n));
        });
    }

    /// <summary>
    /// Runs <paramref name="body"/>(columns, weightDiff, biasDiff, first, count) over each chunk's
    /// images, up to <paramref name="perCall"/> at a time, where the two diffs are zeroed per-chunk
    /// partial sums; then adds the chunks, in order, to the parameter diffs.
    /// With <paramref name="winogradWeights"/> the weight partials are sums in Winograd's transformed
    /// domain (<paramref name="weightCount"/> of them): the chunks are added in order, then transformed once.
    /// </summary>
    private void ForEachImageAccumulating(ConvolutionShape s, int num, int scratch, int weightCount, int biasCount, int perCall, Action<float[], float[], float[], int, int> body,
        Span<float> weightDiff, Span<float> biasDiff, ConvolutionShape? winogradWeights = null)
    {
        int chunks = (int)Math.Clamp(PartialBudget / Math.Max(1, weightCount), 1, Math.Max(1, Math.Min(num, MaxChunks)));
        if (_weightPartials.Length < chunks || _weightPartials[0].Length != weightCount || _biasPartials[0].Length != biasCount)
        {
            _weightPartials = Enumerable.Range(0, chunks).Select(_ => new float[weightCount]).ToArray();
            _biasPartials = Enumerable.Range(0, chunks).Select(_ => new float[biasCount]).ToArray();
        }
        long workPerChunk = WorkPerImage(s) * num / chunks;
        EnsureColumns(ParallelWork.PartsFor(chunks, workPerChunk), scratch);
        ParallelWork.For(chunks, workPerChunk, (part, first, last) =>
        {
            for (int chunk = first; chunk < last; chunk++)
            {
                Array.Clear(_weightPartials[chunk]);
                Array.Clear(_biasPartials[chunk]);
                int start = (int)((long)num * chunk / chunks), end = (int)((long)num * (chunk + 1) / chunks);
                for (int n = start; n < end; n += perCall) body(_columns[part], _weightPartials[chunk], _biasPartials[chunk], n, Math.Min(perCall, end - n));
            }
        });
        for (int chunk = 0; chunk < chunks; chunk++)
        {
            if (winogradWeights is not null) { if (chunk > 0) Elementwise.Add(_weightPartials[0], _weightPartials[chunk], _weightPartials[0]); }
            else if (!weightDiff.IsEmpty) Elementwise.Add(weightDiff, _weightPartials[chunk], weightDiff);
            if (!biasDiff.IsEmpty) Elementwise.Add(biasDiff, _biasPartials[chunk], biasDiff);
        }
        if (winogradWeights is { } shape) Winograd.AddWeightGradient(shape, _weightPartials[0], weightDiff);
    }

    private void EnsureColumns(int parts, int length)
    {
        if (_columns.Length < parts) Array.Resize(ref _columns, parts);
        for (int part = 0; part < parts; part++)
            if (_columns[part] is null || _columns[part].Length < length) _columns[part] = new float[length];
    }

    /// <summary>
    /// Runs <paramref name="body"/>(columns, firstRow, rowCount) over the output rows of one image,
    /// split among threads. Each thread builds and multiplies its own columns, so no data crosses cores.
    /// </summary>
    private void ForEachRowBlock(ConvolutionShape s, int scratch, int rowsPerUnit, Action<float[], int, int> body)
    {
        // Blocks are whole units of rows (a pooling's stride), so no pooling window straddles two threads.
        int rows = s.ColumnGeometry.OutputHeight, units = (rows + rowsPerUnit - 1) / rowsPerUnit;
        long workPerUnit = WorkPerImage(s) / Math.Max(1, rows) * rowsPerUnit;
        EnsureColumns(ParallelWork.PartsFor(units, workPerUnit), scratch);
        ParallelWork.For(units, workPerUnit, (part, first, last) =>
        {
            int firstRow = first * rowsPerUnit, endRow = Math.Min(rows, last * rowsPerUnit);
            body(_columns[part], firstRow, endRow - firstRow);
        });
    }

    /// <summary>
    /// output(M x S) = W(M x K) * columns(K x S) per group, for output rows [firstRow, firstRow + rowCount)
    /// of one image. With <paramref name="offsets"/> the columns are read from the (padded) image as
    /// GEMM packs them; otherwise they are written out by im2col first.
    /// </summary>
    private static unsafe void ForwardRows(in ConvolutionShape s, ReadOnlySpan<float> input, ReadOnlySpan<float> weights, Span<float> output,
        int inChannels, int outChannels, Span<float> scratch, int firstRow, int rowCount, ImplicitColumns.Offsets? offsets)
    {
        var g = s.ColumnGeometry;
        int k = inChannels / s.Group * g.KernelH * g.KernelW;
        int m = outChannels / s.Group, spatial = g.OutputHeight * g.OutputWidth;
        int first = firstRow * g.OutputWidth, width = rowCount * g.OutputWidth;
        if (offsets is not null)
        {
            int groupChannels = inChannels / s.Group, paddedPlane = ImplicitColumns.PaddedPlane(g);
            fixed (float* x = input, buffer = scratch, w = weights, y = output)
            {
                float* image = ImplicitColumns.Pad(x, inChannels, g, buffer);
                for (int group = 0; group < s.Group; group++)
                    Gemm.ComputeOnImage(Transpose.No, m, width, k, w + (long)group * m * k, k, offsets.Over(image + (long)group * groupChannels * paddedPlane).FromColumn(first),
                        0f, y + (long)group * m * spatial + first, spatial);
            }
            return;
        }
        Im2Col.Forward(input, inChannels, g, scratch, firstRow, rowCount);
        for (int group = 0; group < s.Group; group++)
            Gemm.Compute(Transpose.No, Transpose.No, m, width, k, 1f, weights.Slice(group * m * k, m * k), k, scratch.Slice(group * k * width, k * width), width,
                0f, output.Slice(group * m * spatial + first, (m - 1) * spatial + width), spatial);
    }

    /// <summary>
    /// Output rows [firstRow, firstRow + rowCount) of one image by <see cref="DirectConvolution"/>, with the
    /// bias (null for none) and the ReLU applied as they are stored; the image padded into <paramref name="scratch"/> first.
    /// </summary>
    private static unsafe void DirectRows(in ConvolutionShape s, float* input, float* weights, float* bias, bool rectify, Span<float> output,
        Span<float> scratch, int firstRow, int rowCount)
    {
        var g = s.ColumnGeometry;
        int groupChannels = s.BottomChannels / s.Group, m = s.TopChannels / s.Group, taps = groupChannels * g.KernelH * g.KernelW;
        int paddedPlane = ImplicitColumns.PaddedPlane(g), spatial = g.OutputHeight * g.OutputWidth;
        fixed (float* buffer = scratch, y = output)
        {
            float* image = ImplicitColumns.Pad(input, s.BottomChannels, g, buffer);
            for (int group = 0; group < s.Group; group++)
                DirectConvolution.Forward(g, groupChannels, m, image + (long)group * groupChannels * paddedPlane, weights + (long)group * m * taps,
                    bias == null ? null : bias + group * m, rectify, y + (long)group * m * spatial, firstRow, rowCount);
        }
    }

    private static unsafe void WinogradWeights(in ConvolutionShape s, float* input, float* outputDiff, float[] sums, float[] scratch, int images)
    {
        fixed (float* u = sums, buffer = scratch)
            Winograd.AccumulateWeightGradient(s, input, outputDiff, u, buffer, images);
    }

    private static unsafe void WinogradRows(in ConvolutionShape s, float* input, float[] filters, Span<float> output, float[] scratch, int firstRow, int rowCount, int images = 1)
    {
        fixed (float* u = filters, y = output, buffer = scratch)
            Winograd.Forward(s, input, u, y, buffer, firstRow, rowCount, images);
    }

    /// <summary>
    /// The offset tables that let GEMM read this shape's columns from the image, or null where
    /// im2col suits the geometry better. Built before the threads start, and kept while the shape stays.
    /// </summary>
    private ImplicitColumns.Offsets? OffsetsFor(in ConvolutionShape s, int inChannels) =>
        ImplicitColumns.Suits(s.ColumnGeometry) ? OffsetsFor(ref _offsets, inChannels / s.Group, s.ColumnGeometry) : null;

    private static ImplicitColumns.Offsets OffsetsFor(ref ImplicitColumns.Offsets? cached, int groupChannels, in ConvolutionGeometry g)
    {
        if (cached is null || cached.Channels != groupChannels || cached.Geometry != g) cached = new ImplicitColumns.Offsets(groupChannels, g);
        return cached;
    }

    /// <summary>Floats of scratch a thread needs for <see cref="ForwardRows"/>: the padded image, or the columns.</summary>
    private static int ForwardScratch(in ConvolutionShape s, int inChannels, ImplicitColumns.Offsets? offsets) =>
        offsets is not null ? ImplicitColumns.PaddedLength(inChannels, s.ColumnGeometry) : ColumnLength(s);

    /// <summary>input gradient = col2im(W^T * output gradient) for one image: the convolution backward-data product.</summary>
    private static void BackwardData(in ConvolutionShape s, ReadOnlySpan<float> outputDiff, ReadOnlySpan<float> weights, Span<float> inputDiff,
        int inChannels, int outChannels, Span<float> columns)
    {
        var g = s.ColumnGeometry;
        int k = inChannels / s.Group * g.KernelH * g.KernelW;
        int m = outChannels / s.Group, spatial = g.OutputHeight * g.OutputWidth;
        for (int group = 0; group < s.Group; group++)
            Gemm.Compute(Transpose.Yes, Transpose.No, k, spatial, m, 1f, weights.Slice(group * m * k, m * k), outputDiff.Slice(group * m * spatial, m * spatial),
                0f, columns.Slice(group * k * spatial, k * spatial));
        Im2Col.Backward(columns, inChannels, g, inputDiff);
    }

    /// <summary>dW += output gradient * columns(input)^T for one image, the columns read from the image where <paramref name="offsets"/> allows.</summary>
    private static unsafe void WeightGemm(in ConvolutionShape s, ReadOnlySpan<float> input, ReadOnlySpan<float> outputDiff, Span<float> weightDiff,
        int inChannels, int outChannels, Span<float> scratch, ImplicitColumns.Offsets? offsets)
    {
        var g = s.ColumnGeometry;
        int k = inChannels / s.Group * g.KernelH * g.KernelW;
        int m = outChannels / s.Group, spatial = g.OutputHeight * g.OutputWidth;
        if (offsets is not null)
        {
            int groupChannels = inChannels / s.Group, paddedPlane = ImplicitColumns.PaddedPlane(g);
            fixed (float* x = input, buffer = scratch, dy = outputDiff, dw = weightDiff)
            {
                float* image = ImplicitColumns.Pad(x, inChannels, g, buffer);
                for (int group = 0; group < s.Group; group++)
                    Gemm.ComputeOnImage(Transpose.Yes, m, k, spatial, dy + (long)group * m * spatial, spatial,
                        offsets.Over(image + (long)group * groupChannels * paddedPlane), 1f, dw + (long)group * m * k, k);
            }
            return;
        }
        Im2Col.Forward(input, inChannels, g, scratch);
        for (int group = 0; group < s.Group; group++)
            Gemm.Compute(Transpose.No, Transpose.Yes, m, k, spatial, 1f, outputDiff.Slice(group * m * spatial, m * spatial), scratch.Slice(group * k * spatial, k * spatial),
                1f, weightDiff.Slice(group * m * k, m * k));
    }

    /// <summary>weightDiff += the weight gradient of one image by <see cref="DirectConvolution"/>, the image padded into <paramref name="scratch"/> first.</summary>
    private static unsafe void DirectWeights(in ConvolutionShape s, ReadOnlySpan<float> input, ReadOnlySpan<float> outputDiff, Span<float> weightDiff, Span<float> scratch)
    {
        var g = s.ColumnGeometry;
        int groupChannels = s.BottomChannels / s.Group, m = s.TopChannels / s.Group, taps = groupChannels * g.KernelH * g.KernelW;
        int paddedPlane = ImplicitColumns.PaddedPlane(g), spatial = g.OutputHeight * g.OutputWidth;
        fixed (float* x = input, buffer = scratch, dy = outputDiff, dw = weightDiff)
        {
            float* image = ImplicitColumns.Pad(x, s.BottomChannels, g, buffer);
            for (int group = 0; group < s.Group; group++)
                DirectConvolution.AccumulateWeightGradient(g, groupChannels, m, image + (long)group * groupChannels * paddedPlane,
                    dy + (long)group * m * spatial, dw + (long)group * m * taps);
        }
    }

    /// <summary>output(o, s) += b(o) for one image, for s in [first, first + count) (all of it by default).</summary>
    private static void AddBias(Span<float> output, ReadOnlySpan<float> bias, int spatial, int first = 0, int count = -1)
    {
        if (count < 0) count = spatial - first;
        for (int o = 0; o < bias.Length; o++)
        {
            var run = output.Slice(o * spatial + first, count);
            Elementwise.AddScalar(run, bias[o], run);
        }
    }

    /// <summary>
    /// output(o, s) = max(0, output(o, s)) for one image, for s in [first, first + count), on the
    /// thread that just wrote those values: a ReLU layer afterwards reads them from memory again,
    /// and at batch 1 on two threads half of them from the other core's cache.
    /// </summary>
    private static unsafe void Rectify(Span<float> output, int channels, int spatial, int first = 0, int count = -1)
    {
        if (count < 0) count = spatial - first;
        fixed (float* y = output)
            for (int o = 0; o < channels; o++)
            {
                float* run = y + (long)o * spatial + first;
                Rectifier.ForwardRange(run, run, count, 0f);
            }
    }

    /// <summary>db(o) += sum_s dy(o, s) for one image.</summary>
    private static void BiasGradient(ReadOnlySpan<float> outputDiff, int spatial, Span<float> biasDiff)
    {
        for (int o = 0; o < biasDiff.Length; o++) biasDiff[o] += System.Numerics.Tensors.TensorPrimitives.Sum(outputDiff.Slice(o * spatial, spatial));
    }
}
