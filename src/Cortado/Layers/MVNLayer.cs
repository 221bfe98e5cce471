using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// Mean-variance normalisation of each sample's channel (or, across_channels, of each whole sample):
/// y = x - mean, then, with normalize_variance, divided by sqrt(E[x^2] - mean^2) + eps, as Caffe
/// computes it. Backward (normalised): dx = (dy - (y sum(dy y) + sum(dy)) / dim) / (std + eps).
/// </summary>
[LayerType("MVN")]
public sealed class MVNLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "MVN";
    public override int ExactNumBottomBlobs => 1;
    public override int ExactNumTopBlobs => 1;
    private readonly Blob _mean = new(), _std = new(), _sums = new(), _ones = new(), _work = new();
    private int _rows, _dim;

    private MVNParameter P => Param.MvnParam ?? new MVNParameter();
    private ChannelLayout Rows => new(1, _rows, _dim);

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var x = bottom[0];
        if (x.NumAxes < 2) throw Error($"needs N x C (x ...) input, got {x.ShapeString}");
        top[0].ReshapeLike(x);
        _rows = P.AcrossChannels ? x.Shape[0] : x.Shape[0] * x.Shape[1];
        _dim = x.Count / _rows;
        foreach (var perRow in new[] { _mean, _std, _sums }) perRow.Reshape(_rows);
        _work.ReshapeLike(x);
        KeepConstant(_ones, _dim, 1f);
    }

    private void RowSums(DeviceSpan<float> x, float scale, Blob target) =>
        Backend.Gemv(Transpose.No, _rows, _dim, scale, x, ReadData(_ones), 0f, WriteData(target));

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var x = ReadData(bottom[0]);
        RowSums(x, 1f / _dim, _mean);
        if (P.NormalizeVariance)
        {
            Backend.Map(new SquareOp(), x, WriteData(_work));
            RowSums(ReadData(_work), 1f / _dim, _std);
            Backend.Map(new SubtractSquareOp(), ReadData(_std), ReadData(_mean), WriteData(_std));
            Backend.Map(new SqrtOp(0f), ReadData(_std), WriteData(_std));
            Backend.Map(new AffineOp(1f, P.Eps), ReadData(_std), WriteData(_std));
        }
        var y = WriteData(top[0]);
        Backend.MapChannels(new SubOp(), x, ReadData(_mean), Rows, y);
        if (P.NormalizeVariance) Backend.MapChannels(new DivOp(), y, ReadData(_std), Rows, y);
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        var dy = ReadDiff(top[0]);
        var dx = WriteDiff(bottom[0]);
        if (!P.NormalizeVariance)
        {
            RowSums(dy, 1f / _dim, _sums);
            Backend.MapChannels(new SubOp(), dy, ReadData(_sums), Rows, dx);
            return;
        }
        var y = ReadData(top[0]);
        Backend.Mul(y, dy, WriteData(_work));
        RowSums(ReadData(_work), 1f, _sums);
        Backend.MapChannels(new MulOp(), y, ReadData(_sums), Rows, dx);
        RowSums(dy, 1f, _sums);
        Backend.MapChannels(new AddOp(), dx, ReadData(_sums), Rows, dx);
        Backend.Axpby(1f, dy, -1f / _dim, dx);
        Backend.MapChannels(new DivOp(), dx, ReadData(_std), Rows, dx);
    }
}
