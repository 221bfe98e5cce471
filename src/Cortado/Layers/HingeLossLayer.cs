using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// One-vs-all hinge loss: with t = +1 for the label's class and -1 otherwise,
/// L1: L = sum max(0, 1 - t x) / N; L2: L = sum max(0, 1 - t x)^2 / N.
/// </summary>
[LayerType("HingeLoss")]
public sealed class HingeLossLayer(LayerParameter param, LayerContext context) : LossLayer(param, context)
{
    public override string Type => "HingeLoss";
    public override int MaxTopBlobs => 1;
    private readonly Blob _margins = new();

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        int num = bottom[0].Shape[0], dim = bottom[0].Count / num;
        _margins.ReshapeLike(bottom[0]);
        var margins = WriteData(_margins);
        float bad = Backend.HingeMargins(ReadData(bottom[0]), ReadData(bottom[1]), num, dim, margins);
        if (!float.IsNaN(bad)) throw Error($"label {bad} is outside the {dim} classes");
        bool l2 = Param.HingeLossParam?.Norm == HingeLossParameter.Types.Norm.L2;
        Backend.Fill(WriteData(top[0]), (l2 ? Backend.SumSquares(margins) : Backend.Asum(margins)) / num);
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (propagateDown[1]) throw Error("cannot backpropagate to the label input");
        if (!propagateDown[0]) return;
        int num = bottom[0].Shape[0], dim = bottom[0].Count / num;
        bool l2 = Param.HingeLossParam?.Norm == HingeLossParameter.Types.Norm.L2;
        float scale = Backend.Scalar(ReadDiff(top[0])) / num;
        Backend.HingeGradient(ReadData(_margins), ReadData(bottom[1]), num, dim, scale, l2, WriteDiff(bottom[0]));
    }
}
