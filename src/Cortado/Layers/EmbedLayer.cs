using Cortado.Compute;
using Cortado.Fillers;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// A lookup table: each integer in the bottom selects a row of W (input_dim x num_output),
/// plus a bias; the top gains a last axis of num_output. Inputs are indices, so there is no
/// gradient for them.
/// </summary>
[LayerType("Embed")]
public sealed class EmbedLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "Embed";
    public override int ExactNumBottomBlobs => 1;
    public override int ExactNumTopBlobs => 1;
    private int _inputDim, _numOutput;
    private bool _bias;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.EmbedParam ?? throw Error("needs embed_param with input_dim and num_output");
        (_inputDim, _numOutput, _bias) = ((int)p.InputDim, (int)p.NumOutput, p.BiasTerm);
        if (_inputDim <= 0 || _numOutput <= 0) throw Error("embed_param.input_dim and num_output must be positive");
        Filler.Fill(p.WeightFiller, AddParameter("weights", _inputDim, _numOutput), Context.Random);
        if (_bias) Filler.Fill(p.BiasFiller, AddParameter("bias", _numOutput), Context.Random);
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) =>
        top[0].Reshape(bottom[0].Shape.Append(_numOutput).ToArray());

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var y = WriteData(top[0]);
        float bad = Backend.Gather(ReadData(Blobs[0]), _inputDim, ReadData(bottom[0]), _numOutput, y);
        if (!float.IsNaN(bad)) throw Error($"index {bad} is outside 0..{_inputDim - 1} (input_dim {_inputDim})");
        if (_bias) Backend.MapChannels(new AddOp(), y, ReadData(Blobs[1]), new ChannelLayout(bottom[0].Count, _numOutput, 1), y);
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (propagateDown[0]) throw Error("cannot backpropagate to its index input");
        var dy = ReadDiff(top[0]);
        if (ParamPropagateDown[0]) Backend.ScatterAdd(dy, ReadData(bottom[0]), _numOutput, WriteDiff(Blobs[0]));
        if (_bias && ParamPropagateDown[1]) Backend.ChannelSums(dy, default, new ChannelLayout(bottom[0].Count, _numOutput, 1), WriteDiff(Blobs[1]), accumulate: true);
    }
}
