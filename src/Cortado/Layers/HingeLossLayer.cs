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
    private float[] _margins = [];

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        int num = bottom[0].Shape[0], dim = bottom[0].Count / num;
        if (_margins.Length != bottom[0].Count) _margins = new float[bottom[0].Count];
        var x = bottom[0].Data;
        for (int n = 0; n < num; n++)
        {
            int label = (int)bottom[1].Data[n];
            if (label < 0 || label >= dim) throw Error($"label {bottom[1].Data[n]} is outside the {dim} classes");
            for (int c = 0; c < dim; c++)
            {
                float t = c == label ? 1f : -1f;
                _margins[n * dim + c] = MathF.Max(0f, 1f - t * x[n * dim + c]);
            }
        }
        bool l2 = Param.HingeLossParam?.Norm == HingeLossParameter.Types.Norm.L2;
        top[0].Data[0] = (l2 ? Backend.Dot(_margins, _margins) : Backend.Asum(_margins)) / num;
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (propagateDown[1]) throw Error("cannot backpropagate to the label input");
        if (!propagateDown[0]) return;
        int num = bottom[0].Shape[0], dim = bottom[0].Count / num;
        bool l2 = Param.HingeLossParam?.Norm == HingeLossParameter.Types.Norm.L2;
        float scale = top[0].Diff[0] / num;
        var dx = bottom[0].Diff;
        for (int n = 0; n < num; n++)
        {
            int label = (int)bottom[1].Data[n];
            for (int c = 0; c < dim; c++)
            {
                float t = c == label ? 1f : -1f, margin = _margins[n * dim + c];
                dx[n * dim + c] = margin > 0f ? -t * scale * (l2 ? 2f * margin : 1f) : 0f;
            }
        }
    }
}
