using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// At train time each input is kept with probability 1 - ratio and scaled by 1 / (1 - ratio)
/// (inverted dropout, so the test-time net is the identity); the same mask routes the gradient.
/// The mask is a counter-based hash of one key per forward pass, so it is not stored: forward and
/// backward each multiply by it in one pass (<see cref="ICompute.MultiplyBernoulli"/>), where a
/// stored mask took a pass to write and one more to read.
/// </summary>
[LayerType("Dropout")]
public sealed class DropoutLayer(LayerParameter param, LayerContext context) : NeuronLayer(param, context)
{
    public override string Type => "Dropout";
    private float _ratio, _scale;
    // The last forward pass's mask: its key, and where this shard's part of the batch's mask starts.
    private ulong _key;
    private long _offset;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        _ratio = Param.DropoutParam?.DropoutRatio ?? 0.5f;
        if (!(_ratio >= 0f && _ratio < 1f)) throw Error($"dropout_ratio must be in [0, 1), got {_ratio}"); // NaN fails both comparisons
        _scale = 1f / (1f - _ratio);
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (Phase != Phase.Train) { if (!ReferenceEquals(bottom[0], top[0])) Backend.Copy(ReadData(bottom[0]), WriteData(top[0])); return; }
        // A shard draws its samples' part of the whole batch's mask, so N ranks drop what one process would.
        _key = Context.Random.NextKey();
        _offset = (long)Context.Shard.Rank * bottom[0].Count;
        Backend.MultiplyBernoulli(ReadData(bottom[0]), 1.0 - _ratio, _scale, _key, _offset, WriteData(top[0]));
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        if (Phase != Phase.Train) { if (!ReferenceEquals(bottom[0], top[0])) Backend.Copy(ReadDiff(top[0]), WriteDiff(bottom[0])); return; }
        Backend.MultiplyBernoulli(ReadDiff(top[0]), 1.0 - _ratio, _scale, _key, _offset, WriteDiff(bottom[0]));
    }
}
