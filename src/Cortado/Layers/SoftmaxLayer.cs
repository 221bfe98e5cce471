using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// y = exp(x - max) / sum exp(x - max) along <c>axis</c> (channels), independently for every
/// other position; dx = (dy - sum(dy y)) y.
/// </summary>
[LayerType("Softmax")]
public sealed class SoftmaxLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "Softmax";
    public override int ExactNumBottomBlobs => 1;
    public override int ExactNumTopBlobs => 1;
    private int _outer, _channels, _inner;

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        int axis = bottom[0].CanonicalAxis(Param.SoftmaxParam?.Axis ?? 1);
        (_outer, _channels, _inner) = (bottom[0].CountRange(0, axis), bottom[0].Shape[axis], bottom[0].CountFrom(axis + 1));
        top[0].ReshapeLike(bottom[0]);
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) =>
        Compute(bottom[0].Data, top[0].Data, _outer, _channels, _inner);

    /// <summary>Softmax over the middle axis of an (outer, channels, inner) array; shared with SoftmaxWithLoss.</summary>
    internal static void Compute(ReadOnlySpan<float> x, Span<float> y, int outer, int channels, int inner)
    {
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int start = o * channels * inner + i;
                float max = float.NegativeInfinity;
                for (int c = 0; c < channels; c++) max = MathF.Max(max, x[start + c * inner]);
                float sum = 0f;
                for (int c = 0; c < channels; c++) sum += y[start + c * inner] = MathF.Exp(x[start + c * inner] - max);
                for (int c = 0; c < channels; c++) y[start + c * inner] /= sum;
            }
        }
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        var y = top[0].Data;
        var dy = top[0].Diff;
        var dx = bottom[0].Diff;
        for (int o = 0; o < _outer; o++)
        {
            for (int i = 0; i < _inner; i++)
            {
                int start = o * _channels * _inner + i;
                float dot = 0f;
                for (int c = 0; c < _channels; c++) dot += dy[start + c * _inner] * y[start + c * _inner];
                for (int c = 0; c < _channels; c++) dx[start + c * _inner] = (dy[start + c * _inner] - dot) * y[start + c * _inner];
            }
        }
    }
}
