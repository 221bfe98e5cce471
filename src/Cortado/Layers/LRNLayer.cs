using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// Local response normalisation. ACROSS_CHANNELS: y = x (k + alpha/n sum_{n neighbouring channels} x^2)^-beta.
/// WITHIN_CHANNEL: y = x (1 + alpha avg_{n x n window} x^2)^-beta, the average counting the
/// zero padding as Caffe's average pooling does.
/// </summary>
[LayerType("LRN")]
public sealed class LRNLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "LRN";
    public override bool AllowsInPlace => false;
    public override int ExactNumBottomBlobs => 1;
    public override int ExactNumTopBlobs => 1;
    private int _size;
    private float _alpha, _beta, _k;
    private bool _across;
    // Scratch sized at reshape: the normalising scale (kept for backward), the squares, and backward's work.
    private readonly Blob _scale = new(), _squares = new(), _work = new();

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.LrnParam ?? new LRNParameter();
        _size = (int)p.LocalSize;
        if (_size % 2 == 0) throw Error($"local_size must be odd, got {_size}");
        (_alpha, _beta, _k) = (p.Alpha, p.Beta, p.K);
        _across = p.NormRegion == LRNParameter.Types.NormRegion.AcrossChannels;
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (bottom[0].NumAxes != 4) throw Error($"needs a 4-D bottom (N x C x H x W), got {bottom[0].ShapeString}");
        top[0].ReshapeLike(bottom[0]);
        foreach (var scratch in new[] { _scale, _squares, _work }) scratch.ReshapeLike(bottom[0]);
    }

    private LrnShape ShapeOf(Blob bottom) =>
        new(bottom.Shape[0], bottom.Shape[1], bottom.Shape[2], bottom.Shape[3], _size, _alpha, _beta, _k, _across);

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) =>
        Backend.LrnForward(ShapeOf(bottom[0]), ReadData(bottom[0]), WriteData(_scale), WriteData(_squares), WriteData(top[0]));

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        Backend.LrnBackward(ShapeOf(bottom[0]), ReadData(bottom[0]), ReadData(top[0]), ReadDiff(top[0]), ReadData(_scale), WriteData(_work), WriteData(_squares), WriteDiff(bottom[0]));
    }
}
