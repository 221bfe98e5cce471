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
    private float[] _columns = [], _ones = [];

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
        int columns = columnChannels * Kernel.KernelH * Kernel.KernelW * ColumnGeometry.OutputHeight * ColumnGeometry.OutputWidth;
        if (_columns.Length < columns) _columns = new float[columns];
        int spatial = outH * outW;
        if (BiasTerm && _ones.Length != spatial) { _ones = new float[spatial]; _ones.AsSpan().Fill(1f); }
    }

    /// <summary>output(M x S) = W(M x K) * columns(K x S) for one image, per group: the convolution forward product.</summary>
    protected void ForwardGemm(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, Span<float> output, int inChannels, int outChannels)
    {
        var columns = _columns.AsSpan();
        Backend.Im2Col(input, inChannels, ColumnGeometry, columns);
        int k = inChannels / Group * Kernel.KernelH * Kernel.KernelW;
        int m = outChannels / Group, s = ColumnGeometry.OutputHeight * ColumnGeometry.OutputWidth;
        for (int g = 0; g < Group; g++)
            Backend.Gemm(Transpose.No, Transpose.No, m, s, k, 1f, weights.Slice(g * m * k, m * k), columns.Slice(g * k * s, k * s), 0f, output.Slice(g * m * s, m * s));
    }

    /// <summary>input gradient = col2im(W^T * output gradient) for one image: the convolution backward-data product.</summary>
    protected void BackwardGemm(ReadOnlySpan<float> outputDiff, ReadOnlySpan<float> weights, Span<float> inputDiff, int inChannels, int outChannels)
    {
        var columns = _columns.AsSpan();
        int k = inChannels / Group * Kernel.KernelH * Kernel.KernelW;
        int m = outChannels / Group, s = ColumnGeometry.OutputHeight * ColumnGeometry.OutputWidth;
        for (int g = 0; g < Group; g++)
            Backend.Gemm(Transpose.Yes, Transpose.No, k, s, m, 1f, weights.Slice(g * m * k, m * k), outputDiff.Slice(g * m * s, m * s), 0f, columns.Slice(g * k * s, k * s));
        Backend.Col2Im(columns, inChannels, ColumnGeometry, inputDiff);
    }

    /// <summary>dW += output gradient * columns(input)^T for one image.</summary>
    protected void WeightGemm(ReadOnlySpan<float> input, ReadOnlySpan<float> outputDiff, Span<float> weightDiff, int inChannels, int outChannels)
    {
        var columns = _columns.AsSpan();
        Backend.Im2Col(input, inChannels, ColumnGeometry, columns);
        int k = inChannels / Group * Kernel.KernelH * Kernel.KernelW;
        int m = outChannels / Group, s = ColumnGeometry.OutputHeight * ColumnGeometry.OutputWidth;
        for (int g = 0; g < Group; g++)
            Backend.Gemm(Transpose.No, Transpose.Yes, m, k, s, 1f, outputDiff.Slice(g * m * s, m * s), columns.Slice(g * k * s, k * s), 1f, weightDiff.Slice(g * m * k, m * k));
    }

    protected void AddBias(Span<float> output, int spatial) =>
        Backend.Gemm(Transpose.No, Transpose.No, NumOutput, spatial, 1, 1f, Blobs[1].Data, _ones.AsSpan(0, spatial), 1f, output);

    protected void BiasGradient(ReadOnlySpan<float> outputDiff, int spatial) =>
        Backend.Gemv(Transpose.No, NumOutput, spatial, 1f, outputDiff, _ones.AsSpan(0, spatial), 1f, Blobs[1].Diff);
}
