using Cortado.Fillers;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// Parametric ReLU: y = max(0, x) + a_c min(0, x), with a learned slope per channel (or one
/// shared), initialised to 0.25 unless a filler is given.
/// </summary>
[LayerType("PReLU")]
public sealed class PReLULayer(LayerParameter param, LayerContext context) : NeuronLayer(param, context)
{
    public override string Type => "PReLU";
    private bool _shared;
    private float[] _input = [];

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (bottom[0].NumAxes < 2) throw Error($"needs a bottom with at least 2 axes, got {bottom[0].ShapeString}");
        var p = Param.PreluParam ?? new PReLUParameter();
        _shared = p.ChannelShared;
        var slopes = _shared ? AddParameter("slope") : AddParameter("slope", bottom[0].Shape[1]);
        Filler.Fill(p.Filler ?? new FillerParameter { Type = "constant", Value = 0.25f }, slopes, Context.Random);
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        base.Reshape(bottom, top);
        // In place, the input is gone after forward; keep a copy for backward.
        if (ReferenceEquals(bottom[0], top[0]) && _input.Length < bottom[0].Count) _input = new float[bottom[0].Count];
    }

    private int Channel(int index, int dim, int channels) => _shared ? 0 : index / dim % channels;

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var x = bottom[0].Data;
        if (ReferenceEquals(bottom[0], top[0])) x.CopyTo(_input);
        var y = top[0].Data;
        var slope = Blobs[0].Data;
        int channels = bottom[0].Shape[1], dim = bottom[0].CountFrom(2);
        for (int i = 0; i < x.Length; i++)
            y[i] = x[i] > 0f ? x[i] : slope[Channel(i, dim, channels)] * x[i];
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        ReadOnlySpan<float> x = ReferenceEquals(bottom[0], top[0]) ? _input.AsSpan(0, bottom[0].Count) : bottom[0].Data;
        var dy = top[0].Diff;
        var slope = Blobs[0].Data;
        int channels = bottom[0].Shape[1], dim = bottom[0].CountFrom(2);
        if (ParamPropagateDown[0])
        {
            var dSlope = Blobs[0].Diff;
            for (int i = 0; i < x.Length; i++)
                if (x[i] <= 0f) dSlope[Channel(i, dim, channels)] += dy[i] * x[i];
        }
        if (propagateDown[0])
        {
            var dx = bottom[0].Diff;
            for (int i = 0; i < x.Length; i++) dx[i] = x[i] > 0f ? dy[i] : slope[Channel(i, dim, channels)] * dy[i];
        }
    }
}
