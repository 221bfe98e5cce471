using Cortado.Compute;
using Cortado.Fillers;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// Shared machinery of Convolution and Deconvolution over N x C x H x W blobs: weights of shape
/// (out, in / group, KH, KW), optional bias per output channel, and the per-image
/// im2col + GEMM products (a group is a block of channels with its own slice of the weights).
/// "Input side" and "output side" are swapped by Deconvolution, which is convolution's adjoint.
/// The images of a batch are split among the compute threads, each with its own column buffer
/// and single-threaded GEMMs: a per-image product is small enough to stay in cache, and this
/// scales better than splitting each small GEMM. Parameter gradients are summed per fixed chunk
/// of images and the chunks added in order, so they do not depend on the thread count.
/// </summary>
public abstract class BaseConvolutionLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override int MinBottomBlobs => 1;
    public override bool EqualNumBottomTopBlobs => true;

    protected (int KernelH, int KernelW, int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW) Kernel;
    protected int Channels, NumOutput, Group;
    protected bool BiasTerm;
    /// <summary>Geometry of the im2col side: the input for Convolution, the output for Deconvolution.</summary>
    protected ConvolutionGeometry ColumnGeometry;
    /// <summary>Parameter-gradient chunks are capped at this many floats in all.</summary>
    private const long PartialBudget = 1 << 22;
    private const int MaxChunks = 8;
    private float[][] _columns = [];
    private float[][] _weightPartials = [], _biasPartials = [];
    private int _columnLength;

    /// <summary>Deconvolution runs im2col on its output side.</summary>
    protected abstract bool Reversed { get; }

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.ConvolutionParam ?? throw Error("needs convolution_param with num_output and kernel_size");
        if (p.Axis != 1) throw Error("only axis 1 (channels) is supported");
        if (bottom[0].NumAxes != 4) throw Error($"needs 4-D bottoms (N x C x H x W), got {bottom[0].ShapeString}");
        Kernel = ConvolutionParams.Read(p, Error);
        if (!p.HasNumOutput || p.NumOutput == 0) throw Error("convolution_param.num_output must be set and positive");
        NumOutput = (int)p.NumOutput;
        Group = (int)p.Group;
        Channels = bottom[0].Shape[1];
        if (Group <= 0 || Channels % Group != 0 || NumOutput % Group != 0)
            throw Error($"group {Group} must divide both the {Channels} input channels and the {NumOutput} outputs");
        BiasTerm = p.BiasTerm;
        var weights = Reversed
            ? AddParameter("weights", Channels, NumOutput / Group, Kernel.KernelH, Kernel.KernelW)
            : AddParameter("weights", NumOutput, Channels / Group, Kernel.KernelH, Kernel.KernelW);
        Filler.Fill(p.WeightFiller, weights, Context.Random);
        if (BiasTerm) Filler.Fill(p.BiasFiller, AddParameter("bias", NumOutput), Context.Random);
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var first = bottom[0];
        if (first.NumAxes != 4 || first.Shape[1] != Channels)
            throw Error($"bottom shape {first.ShapeString} does not match the {Channels} input channels the layer was set up with");
        for (int i = 1; i < bottom.Count; i++)
            if (!bottom[i].ShapeEquals(first)) throw Error($"all bottoms must have the same shape; bottom {i} is {bottom[i].ShapeString}, bottom 0 is {first.ShapeString}");
        int height = first.Shape[2], width = first.Shape[3];
        int outH, outW;
        if (!Reversed)
        {
            ColumnGeometry = ConvolutionParams.Geometry(height, width, Kernel);
            (outH, outW) = (ColumnGeometry.OutputHeight, ColumnGeometry.OutputWidth);
            if (outH <= 0 || outW <= 0)
                throw Error($"a {Kernel.KernelH}x{Kernel.KernelW} kernel (dilation {Kernel.DilationH}) does not fit the {height}x{width} input padded by {Kernel.PadH}x{Kernel.PadW}");
        }
        else
        {
            outH = Kernel.StrideH * (height - 1) + (Kernel.DilationH * (Kernel.KernelH - 1) + 1) - 2 * Kernel.PadH;
            outW = Kernel.StrideW * (width - 1) + (Kernel.DilationW * (Kernel.KernelW - 1) + 1) - 2 * Kernel.PadW;
            if (outH <= 0 || outW <= 0) throw Error($"the padding {Kernel.PadH}x{Kernel.PadW} leaves no output for a {height}x{width} input");
            ColumnGeometry = ConvolutionParams.Geometry(outH, outW, Kernel);
        }
        foreach (var t in top) t.Reshape(first.Shape[0], NumOutput, outH, outW);
        int columnChannels = Reversed ? NumOutput : Channels;
        _columnLength = columnChannels * Kernel.KernelH * Kernel.KernelW * ColumnGeometry.OutputHeight * ColumnGeometry.OutputWidth;
    }

    /// <summary>Multiply-adds of one image's products, to decide whether a batch is worth splitting.</summary>
    private long WorkPerImage => (long)_columnLength * (Reversed ? Channels : NumOutput) / Group;

    /// <summary>One image's forward product: output from input and weights, with a column buffer of its own.</summary>
    protected delegate void ImageForward(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, Span<float> output, Span<float> columns);

    /// <summary>
    /// One image's gradients: accumulate into <paramref name="weightDiff"/> and overwrite
    /// <paramref name="inputDiff"/>; each is empty when that gradient is not wanted.
    /// </summary>
    protected delegate void ImageBackward(ReadOnlySpan<float> input, ReadOnlySpan<float> outputDiff, ReadOnlySpan<float> weights,
        Span<float> inputDiff, Span<float> weightDiff, Span<float> columns);

    /// <summary>
    /// The forward pass over every bottom/top pair: <paramref name="product"/> per image, then the
    /// bias. Images are split among threads; a convolution given fewer images than threads
    /// (inference at batch 1) splits each image by output rows instead.
    /// </summary>
    protected unsafe void ForwardImages(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top, ImageForward product)
    {
        for (int i = 0; i < bottom.Count; i++)
        {
            int num = bottom[i].Shape[0], inDim = bottom[i].CountFrom(1), outDim = top[i].CountFrom(1), spatial = top[i].CountFrom(2);
            int weightCount = Blobs[0].Count;
            fixed (float* input = bottom[i].Data, output = top[i].Data, weights = Blobs[0].Data)
            {
                nint x = (nint)input, y = (nint)output, w = (nint)weights;
                // Convolution's product can be cut by output rows; deconvolution's (a col2im) cannot.
                if (!Reversed && num < ParallelWork.AvailableThreads && ColumnGeometry.OutputHeight > 1)
                {
                    for (int n = 0; n < num; n++)
                    {
                        int image = n;
                        ForEachRowBlock((columns, firstRow, rowCount) =>
                        {
                            var target = new Span<float>((float*)y + (long)image * outDim, outDim);
                            ForwardRows(new ReadOnlySpan<float>((float*)x + (long)image * inDim, inDim), new ReadOnlySpan<float>((float*)w, weightCount), target, Channels, NumOutput, columns, firstRow, rowCount);
                            int width = ColumnGeometry.OutputWidth;
                            if (BiasTerm) AddBias(target, spatial, firstRow * width, rowCount * width);
                        });
                    }
                    continue;
                }
                ForEachImage(num, (columns, n) =>
                {
                    var image = new Span<float>((float*)y + (long)n * outDim, outDim);
                    product(new ReadOnlySpan<float>((float*)x + (long)n * inDim, inDim), new ReadOnlySpan<float>((float*)w, weightCount), image, columns);
                    if (BiasTerm) AddBias(image, spatial);
                });
            }
        }
    }

    /// <summary>
    /// The backward pass over every bottom/top pair: the bias gradient, then
    /// <paramref name="gradients"/> per image, with parameter gradients summed per fixed chunk.
    /// </summary>
    protected unsafe void BackwardImages(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom, ImageBackward gradients)
    {
        for (int i = 0; i < top.Count; i++)
        {
            int num = bottom[i].Shape[0], inDim = bottom[i].CountFrom(1), outDim = top[i].CountFrom(1), spatial = top[i].CountFrom(2);
            bool weightGradient = ParamPropagateDown[0], biasGradient = BiasTerm && ParamPropagateDown[1], dataGradient = propagateDown[i];
            int weightCount = Blobs[0].Count;
            fixed (float* input = bottom[i].Data, inputDiff = dataGradient ? bottom[i].Diff : Span<float>.Empty, outputDiff = top[i].Diff, weights = Blobs[0].Data)
            {
                nint x = (nint)input, dx = (nint)inputDiff, dy = (nint)outputDiff, w = (nint)weights;
                ForEachImageAccumulating(num, (columns, weightDiff, biasDiff, n) =>
                {
                    var gradient = new ReadOnlySpan<float>((float*)dy + (long)n * outDim, outDim);
                    if (biasGradient) BiasGradient(gradient, spatial, biasDiff);
                    gradients(new ReadOnlySpan<float>((float*)x + (long)n * inDim, inDim), gradient, new ReadOnlySpan<float>((float*)w, weightCount),
                        dataGradient ? new Span<float>((float*)dx + (long)n * inDim, inDim) : Span<float>.Empty,
                        weightGradient ? weightDiff : Span<float>.Empty, columns);
                });
            }
        }
    }

    /// <summary>Runs <paramref name="body"/>(columns, n) for each image n, images split among threads.</summary>
    private void ForEachImage(int num, Action<float[], int> body)
    {
        EnsureColumns(ParallelWork.PartsFor(num, WorkPerImage));
        ParallelWork.For(num, WorkPerImage, (part, first, last) =>
        {
            for (int n = first; n < last; n++) body(_columns[part], n);
        });
    }

    /// <summary>
    /// Runs <paramref name="body"/>(columns, weightDiff, biasDiff, n) for each image n, where the two
    /// diffs are zeroed per-chunk partial sums; then adds the chunks, in order, to the parameter diffs.
    /// </summary>
    private void ForEachImageAccumulating(int num, Action<float[], float[], float[], int> body)
    {
        int weightCount = Blobs[0].Count, biasCount = BiasTerm ? Blobs[1].Count : 0;
        int chunks = (int)Math.Clamp(PartialBudget / Math.Max(1, weightCount), 1, Math.Min(num, MaxChunks));
        if (_weightPartials.Length < chunks || _weightPartials[0].Length != weightCount)
        {
            _weightPartials = Enumerable.Range(0, chunks).Select(_ => new float[weightCount]).ToArray();
            _biasPartials = Enumerable.Range(0, chunks).Select(_ => new float[biasCount]).ToArray();
        }
        long workPerChunk = WorkPerImage * num / chunks;
        EnsureColumns(ParallelWork.PartsFor(chunks, workPerChunk));
        ParallelWork.For(chunks, workPerChunk, (part, first, last) =>
        {
            for (int chunk = first; chunk < last; chunk++)
            {
                Array.Clear(_weightPartials[chunk]);
                Array.Clear(_biasPartials[chunk]);
                int start = (int)((long)num * chunk / chunks), end = (int)((long)num * (chunk + 1) / chunks);
                for (int n = start; n < end; n++) body(_columns[part], _weightPartials[chunk], _biasPartials[chunk], n);
            }
        });
        for (int chunk = 0; chunk < chunks; chunk++)
        {
            if (ParamPropagateDown[0]) Backend.Add(Blobs[0].Diff, _weightPartials[chunk], Blobs[0].Diff);
            if (BiasTerm && ParamPropagateDown[1]) Backend.Add(Blobs[1].Diff, _biasPartials[chunk], Blobs[1].Diff);
        }
    }

    private void EnsureColumns(int parts)
    {
        if (_columns.Length < parts) Array.Resize(ref _columns, parts);
        for (int part = 0; part < parts; part++)
            if (_columns[part] is null || _columns[part].Length < _columnLength) _columns[part] = new float[_columnLength];
    }

    /// <summary>output(M x S) = W(M x K) * columns(K x S) for one image, per group: the convolution forward product.</summary>
    protected void ForwardGemm(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, Span<float> output, int inChannels, int outChannels, Span<float> columns) =>
        ForwardRows(input, weights, output, inChannels, outChannels, columns, 0, ColumnGeometry.OutputHeight);

    /// <summary>The forward product for output rows [firstRow, firstRow + rowCount) of one image only.</summary>
    private void ForwardRows(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, Span<float> output, int inChannels, int outChannels, Span<float> columns, int firstRow, int rowCount)
    {
        Backend.Im2Col(input, inChannels, ColumnGeometry, columns, firstRow, rowCount);
        int k = inChannels / Group * Kernel.KernelH * Kernel.KernelW;
        int m = outChannels / Group, s = ColumnGeometry.OutputHeight * ColumnGeometry.OutputWidth;
        int first = firstRow * ColumnGeometry.OutputWidth, width = rowCount * ColumnGeometry.OutputWidth;
        for (int g = 0; g < Group; g++)
            Backend.Gemm(Transpose.No, Transpose.No, m, width, k, 1f, weights.Slice(g * m * k, m * k), k, columns.Slice(g * k * width, k * width), width,
                0f, output.Slice(g * m * s + first, (m - 1) * s + width), s);
    }

    /// <summary>
    /// Runs <paramref name="body"/>(columns, firstRow, rowCount) over the output rows of one image,
    /// split among threads: the forward pass of a batch smaller than the thread count (inference
    /// at batch 1). Each thread builds and multiplies its own columns, so no data crosses cores.
    /// </summary>
    private void ForEachRowBlock(Action<float[], int, int> body)
    {
        int rows = ColumnGeometry.OutputHeight;
        long workPerRow = WorkPerImage / Math.Max(1, rows);
        EnsureColumns(ParallelWork.PartsFor(rows, workPerRow));
        ParallelWork.For(rows, workPerRow, (part, first, last) => body(_columns[part], first, last - first));
    }

    /// <summary>input gradient = col2im(W^T * output gradient) for one image: the convolution backward-data product.</summary>
    protected void BackwardGemm(ReadOnlySpan<float> outputDiff, ReadOnlySpan<float> weights, Span<float> inputDiff, int inChannels, int outChannels, Span<float> columns)
    {
        int k = inChannels / Group * Kernel.KernelH * Kernel.KernelW;
        int m = outChannels / Group, s = ColumnGeometry.OutputHeight * ColumnGeometry.OutputWidth;
        for (int g = 0; g < Group; g++)
            Backend.Gemm(Transpose.Yes, Transpose.No, k, s, m, 1f, weights.Slice(g * m * k, m * k), outputDiff.Slice(g * m * s, m * s), 0f, columns.Slice(g * k * s, k * s));
        Backend.Col2Im(columns, inChannels, ColumnGeometry, inputDiff);
    }

    /// <summary>dW += output gradient * columns(input)^T for one image.</summary>
    protected void WeightGemm(ReadOnlySpan<float> input, ReadOnlySpan<float> outputDiff, Span<float> weightDiff, int inChannels, int outChannels, Span<float> columns)
    {
        Backend.Im2Col(input, inChannels, ColumnGeometry, columns);
        int k = inChannels / Group * Kernel.KernelH * Kernel.KernelW;
        int m = outChannels / Group, s = ColumnGeometry.OutputHeight * ColumnGeometry.OutputWidth;
        for (int g = 0; g < Group; g++)
            Backend.Gemm(Transpose.No, Transpose.Yes, m, k, s, 1f, outputDiff.Slice(g * m * s, m * s), columns.Slice(g * k * s, k * s), 1f, weightDiff.Slice(g * m * k, m * k));
    }

    /// <summary>output(o, s) += b(o) for one image, for s in [first, first + count) (all of it by default).</summary>
    private void AddBias(Span<float> output, int spatial, int first = 0, int count = -1)
    {
        if (count < 0) count = spatial - first;
        var bias = Blobs[1].Data;
        for (int o = 0; o < NumOutput; o++)
        {
            var run = output.Slice(o * spatial + first, count);
            Elementwise.AddScalar(run, bias[o], run);
        }
    }

    /// <summary>db(o) += sum_s dy(o, s) for one image.</summary>
    private static void BiasGradient(ReadOnlySpan<float> outputDiff, int spatial, Span<float> biasDiff)
    {
        for (int o = 0; o < biasDiff.Length; o++) biasDiff[o] += System.Numerics.Tensors.TensorPrimitives.Sum(outputDiff.Slice(o * spatial, spatial));
    }
}
