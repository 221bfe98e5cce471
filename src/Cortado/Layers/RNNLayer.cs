using Cortado.Compute;
using Cortado.Fillers;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// Caffe's RNN (an Elman network): h_t = tanh(W_xh x_t + b_h + W_hh (cont_t h_{t-1})
/// [+ W_xh_static x_static]) and the output o_t = tanh(W_ho h_t + b_o). Top: o (T x N x H), and
/// with <c>expose_hidden</c> h_T; the initial state is bottom h_0 then. Parameters, in Caffe's
/// order: W_xh (H x D), b_h (H), [W_xh_static], W_hh (H x H), W_ho (H x H), b_o (H).
/// </summary>
[LayerType("RNN")]
public sealed class RNNLayer(LayerParameter param, LayerContext context) : RecurrentLayer(param, context)
{
    public override string Type => "RNN";
    protected override int StateCount => 1;
    protected override int GatesPerUnit => 1;
    private readonly Blob _hiddenDiff = new(), _outputPre = new();
    private Blob OutputWeights => Blobs[FirstOwnParameter];
    private Blob OutputBias => Blobs[FirstOwnParameter + 1];

    protected override void AddOwnParameters()
    {
        Filler.Fill(P.WeightFiller, AddParameter("W_ho", Hidden, Hidden), Context.Random);
        Filler.Fill(P.BiasFiller, AddParameter("b_o", Hidden), Context.Random);
    }

    protected override void ReshapeOutput(IReadOnlyList<Blob> bottom, Blob output)
    {
        output.Reshape(Steps, Streams, Hidden);
        _hiddenDiff.Reshape(Steps, Streams, Hidden);
        _outputPre.Reshape(Steps, Streams, Hidden);
    }

    protected override void Cell(int step, DeviceSpan<float> pre, DeviceSpan<float> cont) =>
        Backend.Map(new TanhOp(), pre, Step(WriteData(HiddenStates), step + 1, Streams * Hidden));

    protected override void WriteOutput(Blob output)
    {
        int rows = Steps * Streams;
        var o = WriteData(output);
        Backend.Gemm(Transpose.No, Transpose.Yes, rows, Hidden, Hidden, 1f, ReadData(HiddenStates).Slice(Streams * Hidden), ReadData(OutputWeights), 0f, o);
        Backend.Gemm(Transpose.No, Transpose.No, rows, Hidden, 1, 1f, ReadData(RowOnes), ReadData(OutputBias), 1f, o);
        Backend.Map(new TanhOp(), o, o);
    }

    protected override DeviceSpan<float>? OutputToHidden(Blob output)
    {
        // Through o = tanh(W_ho h + b_o), to the pre-activation first (the top's diff stays as it is: it may be a loss weight).
        int rows = Steps * Streams;
        var dOutputPre = WriteDiff(_outputPre);
        Backend.Map(new TanhGradientOp(), ReadData(output), ReadDiff(output), dOutputPre);
        var states = ReadData(HiddenStates).Slice(Streams * Hidden);
        if (ParamPropagateDown[FirstOwnParameter])
            Backend.Gemm(Transpose.Yes, Transpose.No, Hidden, Hidden, rows, 1f, dOutputPre, states, 1f, WriteDiff(OutputWeights));
        if (ParamPropagateDown[FirstOwnParameter + 1])
            Backend.Gemv(Transpose.Yes, rows, Hidden, 1f, dOutputPre, ReadData(RowOnes), 1f, WriteDiff(OutputBias));
        var hiddenDiff = WriteData(_hiddenDiff);
        Backend.Gemm(Transpose.No, Transpose.No, rows, Hidden, Hidden, 1f, dOutputPre, ReadData(OutputWeights), 0f, hiddenDiff);
        return hiddenDiff;
    }

    protected override void CellBackward(int step, DeviceSpan<float> dh, DeviceSpan<float> cont, DeviceSpan<float> dpre) =>
        Backend.Map(new TanhGradientOp(), Step(ReadData(HiddenStates), step + 1, Streams * Hidden), dh, dpre);
}
