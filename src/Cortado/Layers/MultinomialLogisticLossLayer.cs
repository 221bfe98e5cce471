using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// L = -1/N sum log(max(p_{i, label_i}, 1e-20)) over probabilities p (N x K, e.g. a Softmax's output);
/// dL/dp_{i, label_i} = -1 / (N max(p, 1e-20)), 0 elsewhere. Caffe's threshold, not the softmax loss's FLT_MIN.
/// </summary>
[LayerType("MultinomialLogisticLoss")]
public sealed class MultinomialLogisticLossLayer(LayerParameter param, LayerContext context) : LossLayer(param, context)
{
    private const float Threshold = 1e-20f;
    public override string Type => "MultinomialLogisticLoss";
    public override int MaxTopBlobs => 1;
    private readonly Blob _zeros = new(), _marks = new();
    private int _num, _classes;

    private ChannelLayout Layout => new(_num, _classes, 1);

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        base.Reshape(bottom, top);
        (_num, _classes) = (bottom[0].Shape[0], bottom[0].CountFrom(1));
        if (bottom[1].Count != _num) throw Error($"expects one label per sample ({_num}), got {bottom[1].ShapeString}");
        _marks.ReshapeLike(bottom[0]);
        KeepConstant(_zeros, bottom[0].Count, 0f);
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var labels = ReadData(bottom[1]);
        var tally = Backend.SoftmaxLoss(ReadData(bottom[0]), labels, Layout, null);
        if (!float.IsNaN(tally.InvalidLabel)) throw Error($"label {tally.InvalidLabel} is outside the {_classes} classes (0..{_classes - 1})");
        // The label's one-hot marks: the softmax-loss gradient of all-zero probabilities, scaled by -1.
        Backend.SoftmaxLossGradient(ReadData(_zeros), labels, Layout, null, -1f, WriteData(_marks));
        double sum = Backend.MapSum(new MarkedNegativeLogOp(Threshold), ReadData(_marks), ReadData(bottom[0]));
        Backend.Fill(WriteData(top[0]), (float)(sum / _num));
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (propagateDown[1]) throw Error("cannot backpropagate to the label input");
        if (!propagateDown[0]) return;
        float scale = Backend.Scalar(ReadDiff(top[0])) / _num;
        var dx = WriteDiff(bottom[0]);
        Backend.SoftmaxLossGradient(ReadData(_zeros), ReadData(bottom[1]), Layout, null, scale, dx); // -scale at the label
        Backend.Map(new DivideByClampedOp(Threshold), dx, ReadData(bottom[0]), dx);
    }
}
