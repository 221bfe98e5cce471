using Cortado.Compute;
using Cortado.Fillers;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// Fully connected: y = x W^T + b, with x the bottom flattened from <c>axis</c> on (M x K),
/// W of shape (N x K), or (K x N) when <c>transpose</c> is set, and b of length N.
/// </summary>
[LayerType("InnerProduct")]
public sealed class InnerProductLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "InnerProduct";
    public override int ExactNumBottomBlobs => 1;
    public override int ExactNumTopBlobs => 1;
    private int _m, _n, _k;
    private bool _bias, _transpose;
    private readonly Blob _ones = new();

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.InnerProductParam ?? throw Error("needs inner_product_param with num_output");
        if (!p.HasNumOutput || p.NumOutput == 0) throw Error("inner_product_param.num_output must be set and positive");
        _n = (int)p.NumOutput;
        _bias = p.BiasTerm;
        _transpose = p.Transpose;
        _k = bottom[0].CountFrom(bottom[0].CanonicalAxis(p.Axis));
        var weights = _transpose ? AddParameter("weights", _k, _n) : AddParameter("weights", _n, _k);
        Filler.Fill(p.WeightFiller, weights, Context.Random);
        if (_bias) Filler.Fill(p.BiasFiller, AddParameter("bias", _n), Context.Random);
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        int axis = bottom[0].CanonicalAxis(Param.InnerProductParam.Axis);
        int k = bottom[0].CountFrom(axis);
        if (k != _k)
            throw Error($"input has {k} features per sample ({bottom[0].ShapeString} flattened from axis {axis}) but the weights expect {_k}; did the input size change?");
        _m = bottom[0].CountRange(0, axis);
        var shape = bottom[0].Shape.Take(axis).Append(_n).ToArray();
        top[0].Reshape(shape);
        if (_bias) KeepConstant(_ones, _m, 1f);
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var y = WriteData(top[0]);
        Backend.Gemm(Transpose.No, _transpose ? Transpose.No : Transpose.Yes, _m, _n, _k, 1f, ReadData(bottom[0]), ReadData(Blobs[0]), 0f, y);
        if (_bias) Backend.Gemm(Transpose.No, Transpose.No, _m, _n, 1, 1f, ReadData(_ones), ReadData(Blobs[1]), 1f, y);
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        var dy = ReadDiff(top[0]);
        if (ParamPropagateDown[0])
        {
            // dW += dY^T X (N x K), or X^T dY (K x N) when transposed.
            if (_transpose) Backend.Gemm(Transpose.Yes, Transpose.No, _k, _n, _m, 1f, ReadData(bottom[0]), dy, 1f, WriteDiff(Blobs[0]));
            else Backend.Gemm(Transpose.Yes, Transpose.No, _n, _k, _m, 1f, dy, ReadData(bottom[0]), 1f, WriteDiff(Blobs[0]));
        }
        if (_bias && ParamPropagateDown[1]) Backend.Gemv(Transpose.Yes, _m, _n, 1f, dy, ReadData(_ones), 1f, WriteDiff(Blobs[1]));
        if (propagateDown[0])
            Backend.Gemm(Transpose.No, _transpose ? Transpose.Yes : Transpose.No, _m, _k, _n, 1f, dy, ReadData(Blobs[0]), 0f, WriteDiff(bottom[0]));
    }
}
