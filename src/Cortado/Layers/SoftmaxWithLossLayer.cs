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

    /// <summary>FLT_MIN, the smallest normal float: Caffe's clamp for log(0).</summary>
    private const float FloatMin = 1.17549435e-38f;

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

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        SoftmaxLayer.Compute(bottom[0].Data, _prob.Data, _outer, _channels, _inner);
        var prob = _prob.Data;
        var labels = bottom[1].Data;
        double loss = 0;
        _validCount = 0;
        for (int o = 0; o < _outer; o++)
        {
            for (int i = 0; i < _inner; i++)
            {
                int label = Label(labels[o * _inner + i]);
                if (label == _ignore) continue;
                loss -= MathF.Log(MathF.Max(prob[(o * _channels + label) * _inner + i], FloatMin));
                _validCount++;
            }
        }
        top[0].Data[0] = (float)(loss / Normalizer(NormalizationMode(Mode.Valid), _outer, _inner, _ignore.HasValue ? _validCount : -1));
        if (top.Count > 1) prob.CopyTo(top[1].Data);
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (propagateDown[1]) throw Error("cannot backpropagate to the label input");
        if (!propagateDown[0]) return;
        var dx = bottom[0].Diff;
        _prob.Data.CopyTo(dx);
        var labels = bottom[1].Data;
        for (int o = 0; o < _outer; o++)
        {
            for (int i = 0; i < _inner; i++)
            {
                int label = Label(labels[o * _inner + i]);
                if (label == _ignore)
                {
                    for (int c = 0; c < _channels; c++) dx[(o * _channels + c) * _inner + i] = 0f;
                    continue;
                }
                dx[(o * _channels + label) * _inner + i] -= 1f;
            }
        }
        float scale = top[0].Diff[0] / Normalizer(NormalizationMode(Mode.Valid), _outer, _inner, _ignore.HasValue ? _validCount : -1);
        Backend.Scal(scale, dx);
    }

    private int Label(float value)
    {
        int label = (int)value;
        if (label == _ignore) return label;
        if (label < 0 || label >= _channels || label != value)
            throw Error($"label {value} is outside the {_channels} classes (0..{_channels - 1}); check num_output of the layer feeding this loss and the labels in the data");
        return label;
    }
}
