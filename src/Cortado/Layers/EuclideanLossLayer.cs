using Cortado.Compute;
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
    private readonly Blob _difference = new();

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        base.Reshape(bottom, top);
        if (bottom[0].CountFrom(1) != bottom[1].CountFrom(1))
            throw Error($"the two inputs must have the same size per sample, got {bottom[0].ShapeString} and {bottom[1].ShapeString}");
        _difference.ReshapeLike(bottom[0]);
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var difference = WriteData(_difference);
        Backend.Sub(ReadData(bottom[0]), ReadData(bottom[1]), difference);
        Backend.Fill(WriteData(top[0]), Backend.SumSquares(difference) / bottom[0].Shape[0] / 2f);
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        for (int i = 0; i < 2; i++)
        {
            if (!propagateDown[i]) continue;
            float alpha = (i == 0 ? 1f : -1f) * Backend.Scalar(ReadDiff(top[0])) / bottom[i].Shape[0];
            Backend.Axpby(alpha, ReadData(_difference), 0f, WriteDiff(bottom[i]));
        }
    }
}
