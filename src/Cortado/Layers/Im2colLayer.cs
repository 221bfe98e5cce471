using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// Caffe's Im2col: the columns a convolution with this convolution_param would multiply, as a blob.
/// For a bottom (..., C, S1, ..., Sn) with channels on <c>axis</c> the top is
/// (..., C x K1 x ... x Kn, O1, ..., On): at each output position, every channel's kernel window,
/// zero in the padding. Backward sums the gradient back into the windows' inputs (col2im).
/// </summary>
[LayerType("Im2col")]
public sealed class Im2colLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "Im2col";
    public override int ExactNumBottomBlobs => 1;
    public override int ExactNumTopBlobs => 1;
    private int _channelAxis, _channels, _images;
    private (int[] Kernel, int[] Stride, int[] Pad, int[] Dilation) _window;
    private ConvolutionGeometryNd _geometry = null!;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.ConvolutionParam ?? throw Error("needs convolution_param with the kernel_size");
        _channelAxis = ConvolutionParams.ChannelAxis(p, bottom[0], Error);
        _window = ConvolutionParams.ReadNd(p, bottom[0].NumAxes - _channelAxis - 1, Error);
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var x = bottom[0];
        if (x.NumAxes != _channelAxis + 1 + _window.Kernel.Length)
            throw Error($"bottom {x.ShapeString} must keep the {_window.Kernel.Length} spatial axes after axis {_channelAxis} it was set up with");
        var shape = x.Shape.ToArray();
        _channels = shape[_channelAxis];
        _images = x.CountRange(0, _channelAxis);
        _geometry = new ConvolutionGeometryNd(shape[(_channelAxis + 1)..], _window.Kernel, _window.Pad, _window.Stride, _window.Dilation);
        if (_geometry.Output.Any(s => s <= 0))
            throw Error($"a {string.Join("x", _window.Kernel)} kernel leaves no output for the spatial shape {string.Join("x", _geometry.Input)} padded by {string.Join("x", _window.Pad)}");
        top[0].Reshape([.. shape[.._channelAxis], _channels * _geometry.KernelSize, .. _geometry.Output]);
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var x = ReadData(bottom[0]);
        var y = WriteData(top[0]);
        int image = _channels * _geometry.InputSize, columns = _channels * _geometry.KernelSize * _geometry.OutputSize;
        for (int n = 0; n < _images; n++) Backend.Im2ColNd(x.Slice(n * image, image), _channels, _geometry, y.Slice(n * columns, columns));
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        var dy = ReadDiff(top[0]);
        var dx = WriteDiff(bottom[0]);
        int image = _channels * _geometry.InputSize, columns = _channels * _geometry.KernelSize * _geometry.OutputSize;
        for (int n = 0; n < _images; n++) Backend.Col2ImNd(dy.Slice(n * columns, columns), _channels, _geometry, dx.Slice(n * image, image));
    }
}
