using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// Caffe's contrastive loss over pairs (a_i, b_i) with similarity labels y_i (Hadsell et al.):
/// L = 1/(2N) sum [y d^2 + (1 - y) max(margin - d, 0)^2], d = ||a_i - b_i||; the legacy version uses
/// max(margin - d^2, 0). Bottoms: a and b (N x C...), y (N). dL/da = -dL/db.
/// </summary>
[LayerType("ContrastiveLoss")]
public sealed class ContrastiveLossLayer(LayerParameter param, LayerContext context) : LossLayer(param, context)
{
    public override string Type => "ContrastiveLoss";
    public override int ExactNumBottomBlobs => 3;
    public override int MaxTopBlobs => 1;
    public override bool AllowForceBackward(int bottomIndex) => bottomIndex != 2;
    private readonly Blob _difference = new(), _squares = new(), _distances = new(), _factors = new(), _ones = new();
    private int _num, _channels;

    private ContrastiveLossParameter P => Param.ContrastiveLossParam ?? new ContrastiveLossParameter();

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        base.Reshape(bottom, top);
        if (!bottom[0].ShapeEquals(bottom[1])) throw Error($"the two inputs of each pair must have one shape, got {bottom[0].ShapeString} and {bottom[1].ShapeString}");
        (_num, _channels) = (bottom[0].Shape[0], bottom[0].CountFrom(1));
        if (bottom[2].Count != _num) throw Error($"expects one similarity label per pair ({_num}), got {bottom[2].ShapeString}");
        _difference.ReshapeLike(bottom[0]);
        _squares.ReshapeLike(bottom[0]);
        foreach (var perPair in new[] { _distances, _factors }) perPair.Reshape(_num);
        KeepConstant(_ones, _channels, 1f);
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var difference = WriteData(_difference);
        Backend.Sub(ReadData(bottom[0]), ReadData(bottom[1]), difference);
        Backend.Map(new SquareOp(), difference, WriteData(_squares));
        Backend.Gemv(Transpose.No, _num, _channels, 1f, ReadData(_squares), ReadData(_ones), 0f, WriteData(_distances));
        double sum = Backend.MapSum(new ContrastiveTermOp(P.Margin, P.LegacyVersion), ReadData(_distances), ReadData(bottom[2]));
        Backend.Fill(WriteData(top[0]), (float)(sum / _num / 2));
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (propagateDown[2]) throw Error("cannot backpropagate to the similarity labels");
        for (int i = 0; i < 2; i++)
        {
            if (!propagateDown[i]) continue;
            float alpha = (i == 0 ? 1f : -1f) * Backend.Scalar(ReadDiff(top[0])) / _num;
            Backend.Map(new ContrastiveFactorOp(P.Margin, P.LegacyVersion, alpha), ReadData(_distances), ReadData(bottom[2]), WriteData(_factors));
            Backend.MapChannels(new MulOp(), ReadData(_difference), ReadData(_factors), new ChannelLayout(1, _num, _channels), WriteDiff(bottom[i]));
        }
    }
}
