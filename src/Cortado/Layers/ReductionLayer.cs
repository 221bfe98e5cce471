using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;
using Op = Cortado.Proto.ReductionParameter.Types.ReductionOp;

namespace Cortado.Layers;

/// <summary>
/// Reduces the axes from <c>axis</c> on to one value per leading index: SUM, ASUM (sum of |x|),
/// SUMSQ (sum of x^2) or MEAN, times coeff. The top has the shape of the leading axes (a scalar for axis 0).
/// </summary>
[LayerType("Reduction")]
public sealed class ReductionLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "Reduction";
    public override int ExactNumBottomBlobs => 1;
    public override int ExactNumTopBlobs => 1;
    private readonly Blob _ones = new(), _work = new();
    private int _rows, _dim;

    private ReductionParameter P => Param.ReductionParam ?? new ReductionParameter();
    private float Scale => P.Coeff * (P.Operation == Op.Mean ? 1f / _dim : 1f);

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        int axis = bottom[0].CanonicalAxis(P.Axis);
        top[0].Reshape(bottom[0].Shape.Take(axis).ToArray());
        (_rows, _dim) = (bottom[0].CountRange(0, axis), bottom[0].CountFrom(axis));
        _work.ReshapeLike(bottom[0]);
        KeepConstant(_ones, _dim, 1f);
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var x = ReadData(bottom[0]);
        if (P.Operation is Op.Asum or Op.Sumsq)
        {
            if (P.Operation == Op.Asum) Backend.Map(new AbsOp(), x, WriteData(_work));
            else Backend.Map(new SquareOp(), x, WriteData(_work));
            x = ReadData(_work);
        }
        Backend.Gemv(Transpose.No, _rows, _dim, Scale, x, ReadData(_ones), 0f, WriteData(top[0]));
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        var rows = new ChannelLayout(1, _rows, _dim);
        var x = ReadData(bottom[0]);
        var dy = ReadDiff(top[0]);
        var dx = WriteDiff(bottom[0]);
        switch (P.Operation)
        {
            case Op.Asum:
                Backend.Map(new SignOp(), x, dx);
                Backend.MapChannels(new MulOp(), dx, dy, rows, dx);
                Backend.Scal(Scale, dx);
                break;
            case Op.Sumsq:
                Backend.MapChannels(new MulOp(), x, dy, rows, dx);
                Backend.Scal(2f * Scale, dx);
                break;
            default:
                Backend.MapChannels(new ScaledSecondOp(Scale), x, dy, rows, dx);
                break;
        }
    }
}
