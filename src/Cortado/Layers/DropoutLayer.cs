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
    private float[] _mask = [];
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
        if (Phase == Phase.Train && _mask.Length < bottom[0].Count) _mask = new float[bottom[0].Count];
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var x = bottom[0].Data;
        var y = top[0].Data;
        if (Phase != Phase.Train) { if (!ReferenceEquals(bottom[0], top[0])) x.CopyTo(y); return; }
        var mask = _mask.AsSpan(0, x.Length);
        Context.Random.Bernoulli(mask, 1.0 - _ratio, _scale);
        Backend.Mul(x, mask, y);
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        var dy = top[0].Diff;
        var dx = bottom[0].Diff;
        if (Phase != Phase.Train) { if (!ReferenceEquals(bottom[0], top[0])) dy.CopyTo(dx); return; }
        Backend.Mul(dy, _mask.AsSpan(0, dy.Length), dx);
    }
}
