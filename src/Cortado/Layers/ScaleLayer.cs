using Cortado.Fillers;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// y = x * s (+ b), with s broadcast over the bottom from <c>axis</c>: a second bottom, or a
/// learned blob (filler default 1) covering num_axes axes; bias_term adds a learned b (default 0).
/// </summary>
[LayerType("Scale")]
public sealed class ScaleLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "Scale";
    public override bool AllowsInPlace => true;
    public override int MinBottomBlobs => 1;
    public override int MaxBottomBlobs => 2;
    public override int ExactNumTopBlobs => 1;
    private ChannelBroadcast _view;
    private int _biasIndex = -1;
    private float[] _input = [];

    private ScaleParameter P => Param.ScaleParam ?? new ScaleParameter();

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = P;
        if (bottom.Count == 1)
        {
            var scale = AddParameter("scale", ChannelBroadcast.ParameterShape(bottom[0], p.Axis, p.NumAxes, Error));
            Filler.Fill(p.Filler ?? new FillerParameter { Type = "constant", Value = 1f }, scale, Context.Random);
        }
        if (p.BiasTerm)
        {
            _biasIndex = Blobs.Count;
            var shape = bottom.Count == 1 ? Blobs[0].Shape.ToArray() : bottom[1].Shape.ToArray();
            Filler.Fill(p.BiasFiller, AddParameter("bias", shape), Context.Random);
        }
    }

    private Blob ScaleBlob(IReadOnlyList<Blob> bottom) => bottom.Count > 1 ? bottom[1] : Blobs[0];

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        _view = ChannelBroadcast.Of(bottom[0], ScaleBlob(bottom).Shape, P.Axis, Error);
        top[0].ReshapeLike(bottom[0]);
        if (ReferenceEquals(bottom[0], top[0]) && _input.Length < bottom[0].Count) _input = new float[bottom[0].Count];
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (ReferenceEquals(bottom[0], top[0])) bottom[0].Data.CopyTo(_input);
        var x = bottom[0].Data;
        var y = top[0].Data;
        var s = ScaleBlob(bottom).Data;
        var (outer, dim, inner) = _view;
        for (int o = 0; o < outer; o++)
            for (int d = 0; d < dim; d++)
            {
                int start = (o * dim + d) * inner;
                float bias = _biasIndex >= 0 ? Blobs[_biasIndex].Data[d] : 0f;
                for (int i = 0; i < inner; i++) y[start + i] = x[start + i] * s[d] + bias;
            }
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        var dy = top[0].Diff;
        ReadOnlySpan<float> x = ReferenceEquals(bottom[0], top[0]) ? _input.AsSpan(0, bottom[0].Count) : bottom[0].Data;
        var (outer, dim, inner) = _view;
        bool scaleIsBottom = bottom.Count > 1;
        if (scaleIsBottom ? propagateDown[1] : ParamPropagateDown[0])
        {
            var ds = ScaleBlob(bottom).Diff;
            if (scaleIsBottom) ds.Clear();
            _view.AccumulateSums(dy, x, ds);
        }
        if (_biasIndex >= 0 && ParamPropagateDown[_biasIndex])
        {
            _view.AccumulateSums(dy, ReadOnlySpan<float>.Empty, Blobs[_biasIndex].Diff);
        }
        if (propagateDown[0])
        {
            var dx = bottom[0].Diff;
            var s = ScaleBlob(bottom).Data;
            for (int o = 0; o < outer; o++)
                for (int d = 0; d < dim; d++)
                {
                    int start = (o * dim + d) * inner;
                    for (int i = 0; i < inner; i++) dx[start + i] = dy[start + i] * s[d];
                }
        }
    }
}
