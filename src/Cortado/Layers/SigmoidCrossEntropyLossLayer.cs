using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;
using Mode = Cortado.Proto.LossParameter.Types.NormalizationMode;

namespace Cortado.Layers;

/// <summary>
/// Cross-entropy of sigmoid(x) against targets t in [0, 1], computed stably:
/// L = -sum [x (t - [x &gt;= 0]) - log(1 + exp(x - 2 x [x &gt;= 0]))] / normaliser
/// (BATCH_SIZE by default, for historical reasons, as in Caffe); dx = sigmoid(x) - t.
/// </summary>
[LayerType("SigmoidCrossEntropyLoss")]
public sealed class SigmoidCrossEntropyLossLayer(LayerParameter param, LayerContext context) : LossLayer(param, context)
{
    public override string Type => "SigmoidCrossEntropyLoss";
    public override int MaxTopBlobs => 1;
    private int _validCount;
    private int? _ignore;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) =>
        _ignore = Param.LossParam is { HasIgnoreLabel: true } p ? p.IgnoreLabel : null;

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        base.Reshape(bottom, top);
        if (bottom[0].Count != bottom[1].Count) throw Error($"needs one target per input, got {bottom[0].ShapeString} and {bottom[1].ShapeString}");
    }

    private float Normalizer(int num, int count) =>
        LossLayer.Normalizer(NormalizationMode(Mode.BatchSize), num, count / num, _ignore.HasValue ? _validCount : -1);

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var x = ReadData(bottom[0]);
        var t = ReadData(bottom[1]);
        double loss = Backend.MapSum(new SigmoidCrossEntropyOp(_ignore), x, t);
        _validCount = _ignore.HasValue ? (int)Backend.MapSum(new CountedLabelOp(_ignore), x, t) : x.Length;
        Backend.Fill(WriteData(top[0]), (float)(loss / Normalizer(bottom[0].Shape[0], x.Length)));
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (propagateDown[1]) throw Error("cannot backpropagate to the target input");
        if (!propagateDown[0]) return;
        float scale = Backend.Scalar(ReadDiff(top[0])) / Normalizer(bottom[0].Shape[0], bottom[0].Count);
        Backend.Map(new SigmoidCrossEntropyGradientOp(_ignore, scale), ReadData(bottom[0]), ReadData(bottom[1]), WriteDiff(bottom[0]));
    }
}
