using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;
using Mode = Cortado.Proto.LossParameter.Types.NormalizationMode;

namespace Cortado.Layers;

/// <summary>
/// Caffe's infogain loss (its master form, with the softmax inside): with p = softmax(x) over
/// <c>axis</c> and an infogain matrix H (K x K, from infogain_loss_param.source or a third bottom),
/// L = -sum_{n,i} sum_k H[label, k] log(max(p_k, 1e-20)) / normalizer; dL/dx_k = (p_k sum_k' H[label, k'] - H[label, k]) / normalizer.
/// With H the identity it is the softmax loss.
/// </summary>
[LayerType("InfogainLoss")]
public sealed class InfogainLossLayer(LayerParameter param, LayerContext context) : LossLayer(param, context)
{
    private const float Threshold = 1e-20f;
    public override string Type => "InfogainLoss";
    public override int ExactNumBottomBlobs => -1;
    public override int MinBottomBlobs => 2;
    public override int MaxBottomBlobs => 3;
    public override int MaxTopBlobs => 2;
    private readonly Blob _infogain = new(), _prob = new(), _zeros = new(), _marks = new(), _rows = new(), _rowSums = new(), _spread = new(), _ones = new();
    private int _outer, _classes, _inner;

    private ChannelLayout Layout => new(_outer, _classes, _inner);
    private Blob H(IReadOnlyList<Blob> bottom) => bottom.Count > 2 ? bottom[2] : _infogain;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (Param.LossParam?.HasIgnoreLabel == true) throw Error("ignore_label is not supported by InfogainLoss (give the ignored class a zero row of H instead)");
        if (bottom.Count > 2) return;
        var p = Param.InfogainLossParam;
        if (p == null || !p.HasSource) throw Error("needs the infogain matrix: infogain_loss_param { source: \"H.binaryproto\" } or a third bottom");
        _infogain.FromProto(ProtoFiles.ReadBinary(p.Source, BlobProto.Parser));
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        base.Reshape(bottom, top);
        int axis = bottom[0].CanonicalAxis(Param.InfogainLossParam?.Axis ?? 1);
        (_outer, _classes, _inner) = (bottom[0].CountRange(0, axis), bottom[0].Shape[axis], bottom[0].CountFrom(axis + 1));
        if (bottom[1].Count != _outer * _inner) throw Error($"expects {_outer * _inner} labels (prediction {bottom[0].ShapeString}) but the label blob has {bottom[1].Count}");
        if (H(bottom).Count != _classes * _classes) throw Error($"the infogain matrix must be {_classes} x {_classes} for {_classes} classes, got {H(bottom).ShapeString}");
        foreach (var scratch in new[] { _prob, _marks, _rows, _spread }) scratch.ReshapeLike(bottom[0]);
        _rowSums.Reshape(_outer, _inner);
        KeepConstant(_zeros, bottom[0].Count, 0f);
        KeepConstant(_ones, _classes, 1f);
        if (top.Count > 1) top[1].ReshapeLike(bottom[0]);
    }

    private float Divisor => Normalizer(NormalizationMode(Mode.Valid), _outer, _inner, -1);

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var prob = WriteData(_prob);
        Backend.Softmax(ReadData(bottom[0]), prob, Layout);
        var tally = Backend.SoftmaxLoss(prob, ReadData(bottom[1]), Layout, null);
        if (!float.IsNaN(tally.InvalidLabel)) throw Error($"label {tally.InvalidLabel} is outside the {_classes} classes (0..{_classes - 1})");
        // Each position's label row of H, laid out like the prediction: rows[n, :, i] = H^T onehot[n, :, i].
        Backend.SoftmaxLossGradient(ReadData(_zeros), ReadData(bottom[1]), Layout, null, -1f, WriteData(_marks));
        int block = _classes * _inner;
        for (int n = 0; n < _outer; n++)
            Backend.Gemm(Transpose.Yes, Transpose.No, _classes, _inner, _classes, 1f, ReadData(H(bottom)),
                ReadData(_marks).Slice(n * block, block), 0f, WriteData(_rows).Slice(n * block, block));
        double sum = Backend.MapSum(new WeightedNegativeLogOp(Threshold), ReadData(_rows), ReadData(_prob));
        Backend.Fill(WriteData(top[0]), (float)(sum / Divisor));
        if (top.Count > 1) Backend.Copy(ReadData(_prob), WriteData(top[1]));
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (propagateDown[1]) throw Error("cannot backpropagate to the label input");
        if (bottom.Count > 2 && propagateDown[2]) throw Error("cannot backpropagate to the infogain matrix");
        if (!propagateDown[0]) return;
        int block = _classes * _inner;
        for (int n = 0; n < _outer; n++)
        {
            // s[n, i] = sum_k rows[n, k, i], spread back over the classes.
            var sums = WriteData(_rowSums).Slice(n * _inner, _inner);
            Backend.Gemv(Transpose.Yes, _classes, _inner, 1f, ReadData(_rows).Slice(n * block, block), ReadData(_ones), 0f, sums);
            Backend.Gemm(Transpose.No, Transpose.No, _classes, _inner, 1, 1f, ReadData(_ones), ReadData(_rowSums).Slice(n * _inner, _inner), 0f, WriteData(_spread).Slice(n * block, block));
        }
        var dx = WriteDiff(bottom[0]);
        Backend.Map(new InfogainGradientOp(), ReadData(_prob), ReadData(_spread), ReadData(_rows), dx);
        Backend.Scal(Backend.Scalar(ReadDiff(top[0])) / Divisor, dx);
    }
}
