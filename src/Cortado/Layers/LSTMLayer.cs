using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// Caffe's LSTM (the "Learning to Execute" form, without peepholes): per step the gate
/// pre-activations W_x x_t + b + W_h (cont_t h_{t-1}) [+ W_static x_static] feed an LSTM unit
/// (<see cref="LSTMUnitLayer"/>), whose c_t and h_t go to the next step. Top: h (T x N x H), and
/// with <c>expose_hidden</c> h_T and c_T; the initial states are bottoms h_0 and c_0 then.
/// Parameters, in Caffe's order: W_xc (4H x D), b_c (4H), [W_xc_static], W_hc (4H x H).
/// </summary>
[LayerType("LSTM")]
public sealed class LSTMLayer(LayerParameter param, LayerContext context) : RecurrentLayer(param, context)
{
    public override string Type => "LSTM";
    protected override int StateCount => 2;
    protected override int GatesPerUnit => 4;
    private readonly Blob _cells = new(), _cellCarry = new();

    protected override Blob States(int state) => state == 0 ? HiddenStates : _cells;

    protected override void ReshapeStates(bool resized)
    {
        _cellCarry.Reshape(Streams, Hidden);
        if (!resized) return;
        _cells.Reshape(Steps + 1, Streams, Hidden);
        Backend.Fill(WriteData(_cells), 0f);
    }

    protected override void ReshapeOutput(IReadOnlyList<Blob> bottom, Blob output) => output.Reshape(Steps, Streams, Hidden);

    protected override void Cell(int step, DeviceSpan<float> pre, DeviceSpan<float> cont)
    {
        int slot = Streams * Hidden;
        var cells = WriteData(_cells);
        Backend.LstmCellForward(Streams, Hidden, Step(cells, step, slot), pre, cont, Step(cells, step + 1, slot), Step(WriteData(HiddenStates), step + 1, slot));
    }

    protected override void WriteOutput(Blob output) =>
        Backend.Copy(ReadData(HiddenStates).Slice(Streams * Hidden), WriteData(output));

    protected override DeviceSpan<float>? OutputToHidden(Blob output) => null;

    protected override void StartBackward() => Backend.Fill(WriteData(_cellCarry), 0f);

    protected override void CellBackward(int step, DeviceSpan<float> dh, DeviceSpan<float> cont, DeviceSpan<float> dpre)
    {
        int slot = Streams * Hidden;
        var cells = ReadData(_cells);
        var carry = WriteData(_cellCarry);
        Backend.LstmCellBackward(Streams, Hidden, Step(cells, step, slot), Step(ReadData(PreActivation), step, Streams * Gates), cont,
            Step(cells, step + 1, slot), carry, dh, carry, dpre);
    }
}
