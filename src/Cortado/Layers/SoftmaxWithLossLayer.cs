using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;
using Mode = Cortado.Proto.LossParameter.Types.NormalizationMode;

namespace Cortado.Layers;

/// <summary>
/// Softmax then multinomial logistic loss: L = -sum log(max(p[label], FLT_MIN)) / normaliser,
/// skipping ignore_label. Probabilities are clamped at FLT_MIN as in Caffe, so a saturated
/// wrong prediction costs -ln(FLT_MIN) = 87.3365 per sample. dx = (p - onehot) * weight / normaliser.
/// A label outside [0, channels) is an error naming the label and the layer.
/// </summary>
[LayerType("SoftmaxWithLoss")]
public sealed class SoftmaxWithLossLayer(LayerParameter param, LayerContext context) : LossLayer(param, context)
{
    public override string Type => "SoftmaxWithLoss";
    public override int MaxTopBlobs => 2;
    private readonly Blob _prob = new();
    private int _outer, _channels, _inner, _validCount;
    private int? _ignore;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        _ignore = Param.LossParam is { HasIgnoreLabel: true } p ? p.IgnoreLabel : null;
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        base.Reshape(bottom, top);
        int axis = bottom[0].CanonicalAxis(Param.SoftmaxParam?.Axis ?? 1);
        (_outer, _channels, _inner) = (bottom[0].CountRange(0, axis), bottom[0].Shape[axis], bottom[0].CountFrom(axis + 1));
        if (_outer * _inner != bottom[1].Count)
            throw Error($"expects {_outer * _inner} labels (prediction {bottom[0].ShapeString}, classes on axis {axis}) but the label blob has {bottom[1].Count} ({bottom[1].ShapeString})");
        _prob.ReshapeLike(bottom[0]);
        if (top.Count > 1) top[1].ReshapeLike(bottom[0]);
    }

    private ChannelLayout Layout => new(_outer, _channels, _inner);

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var prob = WriteData(_prob);
        Backend.Softmax(ReadData(bottom[0]), prob, Layout);
        var tally = Backend.SoftmaxLoss(prob, ReadData(bottom[1]), Layout, _ignore);
        if (!float.IsNaN(tally.InvalidLabel))
            throw Error($"label {tally.InvalidLabel} is outside the {_channels} classes (0..{_channels - 1}); check num_output of the layer feeding this loss and the labels in the data");
        _validCount = tally.Counted;
        float loss = (float)(tally.Sum / Normalizer(NormalizationMode(Mode.Valid), _outer, _inner, _ignore.HasValue ? _validCount : -1));
        Backend.Fill(WriteData(top[0]), loss);
        if (top.Count > 1) Backend.Copy(prob, WriteData(top[1]));
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (propagateDown[1]) throw Error("cannot backpropagate to the label input");
        if (!propagateDown[0]) return;
        float scale = Backend.Scalar(ReadDiff(top[0])) / Normalizer(NormalizationMode(Mode.Valid), _outer, _inner, _ignore.HasValue ? _validCount : -1);
        Backend.SoftmaxLossGradient(ReadData(_prob), ReadData(bottom[1]), Layout, _ignore, scale, WriteDiff(bottom[0]));
    }
}
