using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// One LSTM step, the unit Caffe's LSTM layer unrolls over time. Bottoms: the previous cell
/// c_prev (1 x N x H), the gate inputs (1 x N x 4H: i', f', o', g' in that order) and the
/// sequence continuation flags cont (1 x N). Tops: the cell c and the hidden state h (1 x N x H),
/// with i, f, o = sigmoid, g = tanh, c = cont f c_prev + i g, h = o tanh(c). No gradient reaches cont.
/// </summary>
[LayerType("LSTMUnit")]
public sealed class LSTMUnitLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "LSTMUnit";
    public override int ExactNumBottomBlobs => 3;
    public override int ExactNumTopBlobs => 2;
    public override bool AllowForceBackward(int bottomIndex) => bottomIndex != 2;
    private int _num, _hidden;

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var (cPrev, gates, cont) = (bottom[0], bottom[1], bottom[2]);
        if (cPrev.NumAxes != 3 || cPrev.Shape[0] != 1)
            throw Error($"the previous cell (bottom 0) must be 1 x N x H, got {cPrev.ShapeString}");
        (_num, _hidden) = (cPrev.Shape[1], cPrev.Shape[2]);
        if (gates.NumAxes != 3 || gates.Shape[0] != 1 || gates.Shape[1] != _num || gates.Shape[2] != 4 * _hidden)
            throw Error($"the gate inputs (bottom 1) must be 1 x {_num} x {4 * _hidden} (four gates of the cell's {_hidden}), got {gates.ShapeString}");
        if (cont.NumAxes != 2 || cont.Shape[0] != 1 || cont.Shape[1] != _num)
            throw Error($"the continuation flags (bottom 2) must be 1 x {_num}, got {cont.ShapeString}");
        top[0].ReshapeLike(cPrev);
        top[1].ReshapeLike(cPrev);
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) =>
        Backend.LstmCellForward(_num, _hidden, ReadData(bottom[0]), ReadData(bottom[1]), ReadData(bottom[2]), WriteData(top[0]), WriteData(top[1]));

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (propagateDown[2]) throw Error("cannot backpropagate to the sequence continuation flags (bottom 2)");
        if (!propagateDown[0] && !propagateDown[1]) return;
        Backend.LstmCellBackward(_num, _hidden, ReadData(bottom[0]), ReadData(bottom[1]), ReadData(bottom[2]), ReadData(top[0]),
            ReadDiff(top[0]), ReadDiff(top[1]), WriteDiff(bottom[0]), WriteDiff(bottom[1]));
    }
}
