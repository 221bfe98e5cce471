using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// Fraction of samples whose label is among the top_k scores, skipping ignore_label; a second
/// top gives the accuracy per class. Counts as Caffe does: a sample is right when fewer than
/// top_k classes score at least as high as its label, so NaN scores count as right (no
/// comparison with NaN holds) — the reason a diverged Caffe net can report accuracy 1.
/// </summary>
[LayerType("Accuracy")]
public sealed class AccuracyLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "Accuracy";
    /// <summary>Host by nature: a tally of top-k hits, read on the host.</summary>
    public override bool RunsOnHost => true;
    public override int ExactNumBottomBlobs => 2;
    public override int MinTopBlobs => 1;
    public override int MaxTopBlobs => 2;
    private int _outer, _classes, _inner, _topK;
    private int? _ignore;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.AccuracyParam ?? new AccuracyParameter();
        _topK = (int)p.TopK;
        _ignore = p.HasIgnoreLabel ? p.IgnoreLabel : null;
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        int axis = bottom[0].CanonicalAxis(Param.AccuracyParam?.Axis ?? 1);
        (_outer, _classes, _inner) = (bottom[0].CountRange(0, axis), bottom[0].Shape[axis], bottom[0].CountFrom(axis + 1));
        if (_topK > _classes) throw Error($"top_k {_topK} is larger than the {_classes} classes");
        if (_outer * _inner != bottom[1].Count)
            throw Error($"expects {_outer * _inner} labels (prediction {bottom[0].ShapeString}) but the label blob has {bottom[1].Count}");
        top[0].Reshape(Array.Empty<int>());
        if (top.Count > 1) top[1].Reshape(_classes);
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var scores = bottom[0].Data;
        var labels = bottom[1].Data;
        var perClassRight = new int[_classes];
        var perClassCount = new int[_classes];
        int right = 0, count = 0;
        for (int o = 0; o < _outer; o++)
        {
            for (int i = 0; i < _inner; i++)
            {
                int label = (int)labels[o * _inner + i];
                if (label == _ignore) continue;
                if (label < 0 || label >= _classes) throw Error($"label {labels[o * _inner + i]} is outside the {_classes} classes (0..{_classes - 1})");
                count++;
                perClassCount[label]++;
                float truth = scores[(o * _classes + label) * _inner + i];
                int better = -1; // the true class itself is counted below
                for (int c = 0; c < _classes && better < _topK; c++)
                    if (scores[(o * _classes + c) * _inner + i] >= truth) better++;
                if (better < _topK) { right++; perClassRight[label]++; }
            }
        }
        top[0].Data[0] = count == 0 ? 0f : (float)right / count;
        if (top.Count > 1)
            for (int c = 0; c < _classes; c++) top[1].Data[c] = perClassCount[c] == 0 ? 0f : (float)perClassRight[c] / perClassCount[c];
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (propagateDown.Any(p => p)) throw Error("has no gradient");
    }
}
