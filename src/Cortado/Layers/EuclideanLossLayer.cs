using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>L = sum (a - b)^2 / (2 N); da = (a - b) / N, db = -(a - b) / N, times the loss weight.</summary>
[LayerType("EuclideanLoss")]
public sealed class EuclideanLossLayer(LayerParameter param, LayerContext context) : LossLayer(param, context)
{
    public override string Type => "EuclideanLoss";
    public override int MaxTopBlobs => 1;
    public override bool AllowForceBackward(int bottomIndex) => true;
    private float[] _difference = [];

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        base.Reshape(bottom, top);
        if (bottom[0].CountFrom(1) != bottom[1].CountFrom(1))
            throw Error($"the two inputs must have the same size per sample, got {bottom[0].ShapeString} and {bottom[1].ShapeString}");
        if (_difference.Length != bottom[0].Count) _difference = new float[bottom[0].Count];
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        Backend.Sub(bottom[0].Data, bottom[1].Data, _difference);
        top[0].Data[0] = Backend.Dot(_difference, _difference) / bottom[0].Shape[0] / 2f;
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        for (int i = 0; i < 2; i++)
        {
            if (!propagateDown[i]) continue;
            float alpha = (i == 0 ? 1f : -1f) * top[0].Diff[0] / bottom[i].Shape[0];
            Backend.Axpby(alpha, _difference, 0f, bottom[i].Diff);
        }
    }
}
