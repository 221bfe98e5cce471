using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// Keras's SpatialDropout2D, which Caffe lacks: at train time each whole channel of each sample
/// (an N x C x ... blob's (n, c) plane) is kept with probability 1 - ratio and scaled by
/// 1 / (1 - ratio), so neighbouring pixels, which are strongly correlated, drop together; the
/// same mask routes the gradient, and the test-time net is the identity. dropout_param gives the ratio.
/// </summary>
[LayerType("SpatialDropout")]
public sealed class SpatialDropoutLayer(LayerParameter param, LayerContext context) : NeuronLayer(param, context)
{
    public override string Type => "SpatialDropout";
    // Per (sample, channel): 1 / (1 - ratio) where kept, 0 where dropped.
    private readonly Blob _mask = new();
    private float _ratio, _scale;
    private ChannelLayout _layout;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        _ratio = Param.DropoutParam?.DropoutRatio ?? 0.5f;
        if (!(_ratio >= 0f && _ratio < 1f)) throw Error($"dropout_ratio must be in [0, 1), got {_ratio}"); // NaN fails both comparisons
        if (bottom[0].NumAxes < 2) throw Error($"needs samples and channels (N x C x ...), got a blob of shape {bottom[0].ShapeString}");
        _scale = 1f / (1f - _ratio);
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        base.Reshape(bottom, top);
        var x = bottom[0];
        _layout = new ChannelLayout(1, x.Shape[0] * x.Shape[1], x.CountFrom(2));
        if (Phase == Phase.Train) _mask.Reshape(x.Shape[0], x.Shape[1]);
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (Phase != Phase.Train) { if (!ReferenceEquals(bottom[0], top[0])) Backend.Copy(ReadData(bottom[0]), WriteData(top[0])); return; }
        var mask = WriteData(_mask);
        // A shard draws its samples' part of the whole batch's mask, so N ranks drop what one process would.
        Backend.Bernoulli(mask, 1.0 - _ratio, _scale, Context.Random.NextKey(), (long)Context.Shard.Rank * _mask.Count);
        Backend.MapChannels(new MulOp(), ReadData(bottom[0]), ReadData(_mask), _layout, WriteData(top[0]));
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        if (Phase != Phase.Train) { if (!ReferenceEquals(bottom[0], top[0])) Backend.Copy(ReadDiff(top[0]), WriteDiff(bottom[0])); return; }
        Backend.MapChannels(new MulOp(), ReadDiff(top[0]), ReadData(_mask), _layout, WriteDiff(bottom[0]));
    }
}
