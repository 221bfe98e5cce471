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
    private int[] _winner = [];

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
        if (_op == Op.Max && _winner.Length < top[0].Count) _winner = new int[top[0].Count];
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var y = top[0].Data;
        switch (_op)
        {
            case Op.Prod:
                Backend.Mul(bottom[0].Data, bottom[1].Data, y);
                for (int i = 2; i < bottom.Count; i++) Backend.Mul(y, bottom[i].Data, y);
                break;
            case Op.Sum:
                y.Clear();
                for (int i = 0; i < bottom.Count; i++) Backend.Axpy(_coefficients[i], bottom[i].Data, y);
                break;
            case Op.Max:
                bottom[0].Data.CopyTo(y);
                _winner.AsSpan(0, y.Length).Clear();
                for (int i = 1; i < bottom.Count; i++)
                {
                    var x = bottom[i].Data;
                    for (int j = 0; j < y.Length; j++)
                        if (x[j] > y[j]) { y[j] = x[j]; _winner[j] = i; }
                }
                break;
        }
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        var dy = top[0].Diff;
        for (int i = 0; i < bottom.Count; i++)
        {
            if (!propagateDown[i]) continue;
            var dx = bottom[i].Diff;
            switch (_op)
            {
                case Op.Prod:
                    // Product of the other bottoms (computed directly: stable when some input is 0).
                    dy.CopyTo(dx);
                    for (int j = 0; j < bottom.Count; j++) if (j != i) Backend.Mul(dx, bottom[j].Data, dx);
                    break;
                case Op.Sum:
                    Backend.Scal(0f, dx);
                    Backend.Axpy(_coefficients[i], dy, dx);
                    break;
                case Op.Max:
                    for (int j = 0; j < dx.Length; j++) dx[j] = _winner[j] == i ? dy[j] : 0f;
                    break;
            }
        }
    }
}
