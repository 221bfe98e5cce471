using Cortado.Compute;
using Cortado.Fillers;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// Parametric ReLU: y = max(0, x) + a_c min(0, x), with a learned slope per channel (or one
/// shared), initialised to 0.25 unless a filler is given.
/// </summary>
[LayerType("PReLU")]
public sealed class PReLULayer(LayerParameter param, LayerContext context) : NeuronLayer(param, context)
{
    public override string Type => "PReLU";
    private bool _shared;
    private readonly Blob _input = new(), _scratch = new();

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (bottom[0].NumAxes < 2) throw Error($"needs a bottom with at least 2 axes, got {bottom[0].ShapeString}");
        var p = Param.PreluParam ?? new PReLUParameter();
        _shared = p.ChannelShared;
        var slopes = _shared ? AddParameter("slope") : AddParameter("slope", bottom[0].Shape[1]);
        Filler.Fill(p.Filler ?? new FillerParameter { Type = "constant", Value = 0.25f }, slopes, Context.Random);
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        base.Reshape(bottom, top);
        // In place, the input is gone after forward; keep a copy for backward.
        if (ReferenceEquals(bottom[0], top[0])) _input.ReshapeLike(bottom[0]);
        _scratch.ReshapeLike(bottom[0]);
    }

    private ChannelLayout Layout(Blob bottom) =>
        _shared ? new ChannelLayout(bottom.Count, 1, 1) : new ChannelLayout(bottom.Shape[0], bottom.Shape[1], bottom.CountFrom(2));

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (ReferenceEquals(bottom[0], top[0])) Backend.Copy(ReadData(bottom[0]), WriteData(_input));
        Backend.MapChannels(new LeakyOp(), ReadData(bottom[0]), ReadData(Blobs[0]), Layout(bottom[0]), WriteData(top[0]));
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        var x = ReferenceEquals(bottom[0], top[0]) ? ReadData(_input) : ReadData(bottom[0]);
        var dy = ReadDiff(top[0]);
        var scratch = WriteData(_scratch);
        var layout = Layout(bottom[0]);
        if (ParamPropagateDown[0])
        {
            // d slope = sum of dy x where x <= 0.
            Backend.Map(new NegativePartOp(), x, scratch);
            Backend.ChannelSums(dy, scratch, layout, WriteDiff(Blobs[0]), accumulate: true);
        }
        if (propagateDown[0])
        {
            // In place, dx is dy's memory: the factor goes to scratch first.
            Backend.MapChannels(new LeakyFactorOp(), x, ReadData(Blobs[0]), layout, scratch);
            Backend.Mul(scratch, dy, WriteDiff(bottom[0]));
        }
    }
}
