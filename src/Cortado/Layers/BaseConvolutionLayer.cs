using Cortado.Compute;
using Cortado.Fillers;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// Shared machinery of Convolution and Deconvolution over N x C x H x W blobs: weights of shape
/// (out, in / group, KH, KW), optional bias per output channel, and the per-image
/// products (a group is a block of channels with its own slice of the weights), computed by the
/// backend's <see cref="IConvolution"/>, which also owns their scheduling and scratch space.
/// "Input side" and "output side" are swapped by Deconvolution, which is convolution's adjoint.
/// Other layouts (1-D or 3-D kernels, a channel <c>axis</c> other than 1, force_nd_im2col) take
/// Caffe's N-D path (<see cref="NdConvolution"/>), with weights (out, in / group, K1, ..., Kn).
/// </summary>
public abstract class BaseConvolutionLayer(LayerParameter param, LayerContext context) : Layer(param, context), IRectifiesInputGradient
{
    public override int MinBottomBlobs => 1;
    public override bool EqualNumBottomTopBlobs => true;

    protected (int KernelH, int KernelW, int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW) Kernel;
    protected int Channels, NumOutput, Group;
    protected bool BiasTerm;
    /// <summary>Geometry of the im2col side: the input for Convolution, the output for Deconvolution.</summary>
    protected ConvolutionGeometry ColumnGeometry;

    /// <summary>Deconvolution runs im2col on its output side.</summary>
    protected abstract bool Reversed { get; }

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.ConvolutionParam ?? throw Error("needs convolution_param with num_output and kernel_size");
        _channelAxis = ConvolutionParams.ChannelAxis(p, bottom[0], Error);
        if (!p.HasNumOutput || p.NumOutput == 0) throw Error("convolution_param.num_output must be set and positive");
        NumOutput = (int)p.NumOutput;
        Group = (int)p.Group;
        Channels = bottom[0].Shape[_channelAxis];
        if (Group <= 0 || Channels % Group != 0 || NumOutput % Group != 0)
            throw Error($"group {Group} must divide both the {Channels} input channels and the {NumOutput} outputs");
        BiasTerm = p.BiasTerm;
        int[] leading = Reversed ? [Channels, NumOutput / Group] : [NumOutput, Channels / Group];
        int[] kernel;
        // N x C x H x W with channels on axis 1 takes the backend's tuned 2-D convolution; any other layout Caffe's N-D path.
        if (_channelAxis == 1 && bottom[0].NumAxes == 4 && !p.ForceNdIm2Col)
        {
            Kernel = ConvolutionParams.Read(p, Error);
            kernel = [Kernel.KernelH, Kernel.KernelW];
        }
        else
        {
            _nd = new NdConvolution(Backend, Channels, NumOutput, Group, Reversed, ConvolutionParams.ReadNd(p, bottom[0].NumAxes - _channelAxis - 1, Error));
            kernel = _nd.Window.Kernel;
        }
        Filler.Fill(p.WeightFiller, AddParameter("weights", [.. leading, .. kernel]), Context.Random);
        if (BiasTerm) Filler.Fill(p.BiasFiller, AddParameter("bias", NumOutput), Context.Random);
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (_nd != null) { ReshapeNd(bottom, top); return; }
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
    }

    private int _channelAxis;
    private NdConvolution? _nd;
    private int _images;

    private void ReshapeNd(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var first = bottom[0];
        if (first.NumAxes != _channelAxis + 1 + _nd!.Window.Kernel.Length || first.Shape[_channelAxis] != Channels)
            throw Error($"bottom shape {first.ShapeString} does not match the {Channels} channels on axis {_channelAxis} and {_nd.Window.Kernel.Length} spatial axes the layer was set up with");
        for (int i = 1; i < bottom.Count; i++)
            if (!bottom[i].ShapeEquals(first)) throw Error($"all bottoms must have the same shape; bottom {i} is {bottom[i].ShapeString}, bottom 0 is {first.ShapeString}");
        var spatial = first.Shape.ToArray()[(_channelAxis + 1)..];
        var output = _nd.Reshape(spatial)
            ?? throw Error($"a {string.Join("x", _nd.Window.Kernel)} kernel (dilation {string.Join("x", _nd.Window.Dilation)}, padding {string.Join("x", _nd.Window.Pad)}) leaves no output for the spatial shape {string.Join("x", spatial)}");
        _images = first.CountRange(0, _channelAxis);
        int[] shape = [.. first.Shape.ToArray()[.._channelAxis], NumOutput, .. output];
        foreach (var t in top) t.Reshape(shape);
    }

    private IConvolution? _convolution;

    /// <summary>The products as the backend computes them, with its own scratch space.</summary>
    private IConvolution Convolution => _convolution ??= Backend.CreateConvolution();

    private ConvolutionShape ShapeOf(Blob bottom) => new(bottom.Shape[0], Channels, NumOutput, Group, ColumnGeometry, Reversed);

    /// <summary>
    /// Set by the net for one forward pass when the next layer is an in-place ReLU it then skips:
    /// the output is rectified here, on the threads that computed it, while it is still in cache.
    /// </summary>
    internal bool RectifyOutput { get; set; }

    /// <summary>
    /// Set by the net for one forward pass when a MAX pooling reads only this layer's output (after
    /// the fused ReLU, if any): the convolution may pool it too, on the threads that wrote it.
    /// </summary>
    internal (PoolingLayer Layer, Blob Top)? PoolOutput { get; set; }

    /// <summary>Whether the last forward pass did the pooling of <see cref="PoolOutput"/> too.</summary>
    internal bool Pooled { get; private set; }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var bias = BiasTerm ? ReadData(Blobs[1]) : default;
        Pooled = false;
        if (PoolOutput is { } pooling && _nd == null && bottom.Count == 1)
        {
            var (geometry, pooled, argmax) = pooling.Layer.PoolingTargets(top[0], pooling.Top);
            Pooled = Convolution.ForwardPooled(ShapeOf(bottom[0]), ReadData(bottom[0]), ReadData(Blobs[0]), bias, WriteData(top[0]), RectifyOutput, geometry, pooled, argmax);
            if (Pooled) return;
        }
        for (int i = 0; i < bottom.Count; i++)
        {
            if (_nd != null)
            {
                _nd.Forward(_images, ReadData(bottom[i]), ReadData(Blobs[0]), bias, WriteData(top[i]));
                if (RectifyOutput) Backend.ReluForward(ReadData(top[i]), 0f, WriteData(top[i]));
            }
            else Convolution.Forward(ShapeOf(bottom[i]), ReadData(bottom[i]), ReadData(Blobs[0]), bias, WriteData(top[i]), RectifyOutput);
        }
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        var weightDiff = ParamPropagateDown[0] ? WriteDiff(Blobs[0]) : default;
        var biasDiff = BiasTerm && ParamPropagateDown[1] ? WriteDiff(Blobs[1]) : default;
        for (int i = 0; i < top.Count; i++)
        {
            bool rectify = _rectifyInputGradient && i == 0 && propagateDown[i];
            if (_nd != null)
            {
                _nd.Backward(_images, ReadData(bottom[i]), ReadDiff(top[i]), ReadData(Blobs[0]), propagateDown[i] ? WriteDiff(bottom[i]) : default, weightDiff, biasDiff);
                if (rectify) Backend.ReluBackward(ReadData(bottom[i]), ReadDiff(bottom[i]), 0f, WriteDiff(bottom[i]));
            }
            else Convolution.Backward(ShapeOf(bottom[i]), ReadData(bottom[i]), ReadDiff(top[i]), ReadData(Blobs[0]),
                propagateDown[i] ? WriteDiff(bottom[i]) : default, weightDiff, biasDiff, rectify);
        }
    }

    /// <summary>
    /// Set by the net for one backward pass when the layer before is an in-place ReLU feeding the
    /// first bottom, which the net then skips: the bottom diff is rectified per image as it is written.
    /// </summary>
    private bool _rectifyInputGradient;
    bool IRectifiesInputGradient.RectifyInputGradient { get => _rectifyInputGradient; set => _rectifyInputGradient = value; }
}
