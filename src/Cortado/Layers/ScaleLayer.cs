using Cortado.Compute;
using Cortado.Fillers;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// y = x * s (+ b), with s broadcast over the bottom from <c>axis</c>: a second bottom, or a
/// learned blob (filler default 1) covering num_axes axes; bias_term adds a learned b (default 0).
/// </summary>
[LayerType("Scale")]
public sealed class ScaleLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "Scale";
    public override bool AllowsInPlace => true;
    public override int MinBottomBlobs => 1;
    public override int MaxBottomBlobs => 2;
    public override int ExactNumTopBlobs => 1;
    private ChannelLayout _layout;
    private int _biasIndex = -1;
    private readonly Blob _input = new();

    private ScaleParameter P => Param.ScaleParam ?? new ScaleParameter();

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = P;
        if (bottom.Count == 1)
        {
            var scale = AddParameter("scale", ChannelBroadcast.ParameterShape(bottom[0], p.Axis, p.NumAxes, Error));
            Filler.Fill(p.Filler ?? new FillerParameter { Type = "constant", Value = 1f }, scale, Context.Random);
        }
        if (p.BiasTerm)
        {
            _biasIndex = Blobs.Count;
            var shape = bottom.Count == 1 ? Blobs[0].Shape.ToArray() : bottom[1].Shape.ToArray();
            Filler.Fill(p.BiasFiller, AddParameter("bias", shape), Context.Random);
        }
    }

    private Blob ScaleBlob(IReadOnlyList<Blob> bottom) => bottom.Count > 1 ? bottom[1] : Blobs[0];

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        _layout = ChannelBroadcast.Of(bottom[0], ScaleBlob(bottom).Shape, P.Axis, Error);
        top[0].ReshapeLike(bottom[0]);
        if (ReferenceEquals(bottom[0], top[0])) _input.ReshapeLike(bottom[0]);
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (ReferenceEquals(bottom[0], top[0])) Backend.Copy(ReadData(bottom[0]), WriteData(_input));
        var y = WriteData(top[0]);
        Backend.MapChannels(new MulOp(), ReadData(bottom[0]), ReadData(ScaleBlob(bottom)), _layout, y);
        if (_biasIndex >= 0) Backend.MapChannels(new AddOp(), y, ReadData(Blobs[_biasIndex]), _layout, y);
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        var dy = ReadDiff(top[0]);
        var x = ReferenceEquals(bottom[0], top[0]) ? ReadData(_input) : ReadData(bottom[0]);
        bool scaleIsBottom = bottom.Count > 1;
        if (scaleIsBottom ? propagateDown[1] : ParamPropagateDown[0])
            Backend.ChannelSums(dy, x, _layout, WriteDiff(ScaleBlob(bottom)), accumulate: !scaleIsBottom);
        if (_biasIndex >= 0 && ParamPropagateDown[_biasIndex])
            Backend.ChannelSums(dy, default, _layout, WriteDiff(Blobs[_biasIndex]), accumulate: true);
        if (propagateDown[0])
            Backend.MapChannels(new MulOp(), dy, ReadData(ScaleBlob(bottom)), _layout, WriteDiff(bottom[0]));
    }
}
