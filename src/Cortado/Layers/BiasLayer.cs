using Cortado.Compute;
using Cortado.Fillers;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>y = x + b, with b broadcast over the bottom from <c>axis</c>: a second bottom, or a learned blob (default 0).</summary>
[LayerType("Bias")]
public sealed class BiasLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "Bias";
    public override bool AllowsInPlace => true;
    public override int MinBottomBlobs => 1;
    public override int MaxBottomBlobs => 2;
    public override int ExactNumTopBlobs => 1;
    private ChannelLayout _layout;

    private BiasParameter P => Param.BiasParam ?? new BiasParameter();

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (bottom.Count == 1)
            Filler.Fill(P.Filler, AddParameter("bias", ChannelBroadcast.ParameterShape(bottom[0], P.Axis, P.NumAxes, Error)), Context.Random);
    }

    private Blob BiasBlob(IReadOnlyList<Blob> bottom) => bottom.Count > 1 ? bottom[1] : Blobs[0];

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        _layout = ChannelBroadcast.Of(bottom[0], BiasBlob(bottom).Shape, P.Axis, Error);
        top[0].ReshapeLike(bottom[0]);
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) =>
        Backend.MapChannels(new AddOp(), ReadData(bottom[0]), ReadData(BiasBlob(bottom)), _layout, WriteData(top[0]));

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        var dy = ReadDiff(top[0]);
        bool biasIsBottom = bottom.Count > 1;
        if (biasIsBottom ? propagateDown[1] : ParamPropagateDown[0])
            Backend.ChannelSums(dy, default, _layout, WriteDiff(BiasBlob(bottom)), accumulate: !biasIsBottom);
        if (propagateDown[0] && !ReferenceEquals(bottom[0], top[0])) Backend.Copy(dy, WriteDiff(bottom[0]));
    }
}
