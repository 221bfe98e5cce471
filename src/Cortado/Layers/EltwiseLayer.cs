using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;
using Op = Cortado.Proto.EltwiseParameter.Types.EltwiseOp;

namespace Cortado.Layers;

/// <summary>Elementwise PROD, SUM (with a coefficient per bottom) or MAX of equally shaped bottoms.</summary>
[LayerType("Eltwise")]
public sealed class EltwiseLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "Eltwise";
    public override int MinBottomBlobs => 2;
    public override int ExactNumTopBlobs => 1;
    private Op _op;
    private float[] _coefficients = [];
    private SyncedMemory<int> _winner = new(0);

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.EltwiseParam ?? new EltwiseParameter();
        _op = p.Operation;
        if (p.Coeff.Count > 0 && (_op != Op.Sum || p.Coeff.Count != bottom.Count))
            throw Error(_op != Op.Sum ? "coeff applies to SUM only" : $"{p.Coeff.Count} coefficients for {bottom.Count} bottoms; give one per bottom");
        _coefficients = p.Coeff.Count > 0 ? p.Coeff.ToArray() : Enumerable.Repeat(1f, bottom.Count).ToArray();
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        for (int i = 1; i < bottom.Count; i++)
            if (!bottom[i].ShapeEquals(bottom[0])) throw Error($"bottom {i} has shape {bottom[i].ShapeString}, bottom 0 has {bottom[0].ShapeString}; they must match");
        top[0].ReshapeLike(bottom[0]);
        if (_op == Op.Max && _winner.Capacity < top[0].Count) _winner = new SyncedMemory<int>(top[0].Count);
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var y = WriteData(top[0]);
        switch (_op)
        {
            case Op.Prod:
                Backend.Mul(ReadData(bottom[0]), ReadData(bottom[1]), y);
                for (int i = 2; i < bottom.Count; i++) Backend.Mul(y, ReadData(bottom[i]), y);
                break;
            case Op.Sum:
                Backend.Fill(y, 0f);
                for (int i = 0; i < bottom.Count; i++) Backend.Axpy(_coefficients[i], ReadData(bottom[i]), y);
                break;
            case Op.Max:
                var winner = _winner.WriteDevice(Backend, top[0].Count);
                Backend.Copy(ReadData(bottom[0]), y);
                Backend.Fill(winner, 0);
                for (int i = 1; i < bottom.Count; i++) Backend.MaxWithWinner(ReadData(bottom[i]), i, y, winner);
                break;
        }
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        var dy = ReadDiff(top[0]);
        for (int i = 0; i < bottom.Count; i++)
        {
            if (!propagateDown[i]) continue;
            var dx = WriteDiff(bottom[i]);
            switch (_op)
            {
                case Op.Prod:
                    // Product of the other bottoms (computed directly: stable when some input is 0).
                    Backend.Copy(dy, dx);
                    for (int j = 0; j < bottom.Count; j++) if (j != i) Backend.Mul(dx, ReadData(bottom[j]), dx);
                    break;
                case Op.Sum:
                    Backend.Scal(0f, dx);
                    Backend.Axpy(_coefficients[i], dy, dx);
                    break;
                case Op.Max:
                    Backend.RouteToWinner(dy, _winner.ReadDevice(Backend, top[0].Count), i, dx);
                    break;
            }
        }
    }
}
