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

    private int Index(float value)
    {
        int index = (int)value;
        if (index != value || index < 0 || index >= _inputDim) throw Error($"index {value} is outside 0..{_inputDim - 1} (input_dim {_inputDim})");
        return index;
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var weights = Blobs[0].Data;
        var y = top[0].Data;
        var x = bottom[0].Data;
        for (int i = 0; i < x.Length; i++)
        {
            var row = y.Slice(i * _numOutput, _numOutput);
            weights.Slice(Index(x[i]) * _numOutput, _numOutput).CopyTo(row);
            if (_bias) Backend.Axpy(1f, Blobs[1].Data, row);
        }
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (propagateDown[0]) throw Error("cannot backpropagate to its index input");
        var x = bottom[0].Data;
        var dy = top[0].Diff;
        if (ParamPropagateDown[0])
            for (int i = 0; i < x.Length; i++) Backend.Axpy(1f, dy.Slice(i * _numOutput, _numOutput), Blobs[0].Diff.Slice(Index(x[i]) * _numOutput, _numOutput));
        if (_bias && ParamPropagateDown[1]) Backend.Gemv(Transpose.Yes, x.Length, _numOutput, 1f, dy, Ones(x.Length), 1f, Blobs[1].Diff);
    }

    private static float[] Ones(int n) { var ones = new float[n]; ones.AsSpan().Fill(1f); return ones; }
}
