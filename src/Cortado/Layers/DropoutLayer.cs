using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// At train time each input is kept with probability 1 - ratio and scaled by 1 / (1 - ratio)
/// (inverted dropout, so the test-time net is the identity); the same mask routes the gradient.
/// </summary>
[LayerType("Dropout")]
public sealed class DropoutLayer(LayerParameter param, LayerContext context) : NeuronLayer(param, context)
{
    public override string Type => "Dropout";
    // Per element: 1 / (1 - ratio) where kept, 0 where dropped.
    private readonly Blob _mask = new();
    private float _ratio, _scale;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        _ratio = Param.DropoutParam?.DropoutRatio ?? 0.5f;
        if (!(_ratio >= 0f && _ratio < 1f)) throw Error($"dropout_ratio must be in [0, 1), got {_ratio}"); // NaN fails both comparisons
        _scale = 1f / (1f - _ratio);
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        base.Reshape(bottom, top);
        // Only training draws masks; a test net does not carry one.
        if (Phase == Phase.Train) _mask.ReshapeLike(bottom[0]);
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (Phase != Phase.Train) { if (!ReferenceEquals(bottom[0], top[0])) Backend.Copy(ReadData(bottom[0]), WriteData(top[0])); return; }
        var mask = WriteData(_mask);
        // A shard draws its samples' part of the whole batch's mask, so N ranks drop what one process would.
        Backend.Bernoulli(mask, 1.0 - _ratio, _scale, Context.Random.NextKey(), (long)Context.Shard.Rank * _mask.Count);
        Backend.Mul(ReadData(bottom[0]), mask, WriteData(top[0]));
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        if (Phase != Phase.Train) { if (!ReferenceEquals(bottom[0], top[0])) Backend.Copy(ReadDiff(top[0]), WriteDiff(bottom[0])); return; }
        Backend.Mul(ReadDiff(top[0]), ReadData(_mask), WriteDiff(bottom[0]));
    }
}
