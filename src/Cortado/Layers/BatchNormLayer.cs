using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// Caffe's batch normalisation (no scale or shift: a Scale layer follows): y = (x - mean) /
/// sqrt(var + eps) per channel. Training uses the batch's statistics and folds them into three
/// stored blobs (running sums of mean and variance, and their weight) with moving_average_fraction;
/// testing, or use_global_stats, uses the stored ones. The blobs are never learned (lr_mult 0).
/// </summary>
[LayerType("BatchNorm")]
public sealed class BatchNormLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "BatchNorm";
    public override bool AllowsInPlace => true;
    public override int ExactNumBottomBlobs => 1;
    public override int ExactNumTopBlobs => 1;
    private bool _global;
    private float _fraction, _eps;
    private int _channels;
    // Per-channel statistics and full-size scratch, sized at set-up and reshape.
    private readonly Blob _mean = new(), _std = new(), _meanDy = new(), _meanDyY = new(), _normalized = new(), _scratch = new();

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.BatchNormParam ?? new BatchNormParameter();
        _global = p.HasUseGlobalStats ? p.UseGlobalStats : Phase == Phase.Test;
        _fraction = p.MovingAverageFraction;
        _eps = p.Eps;
        if (bottom[0].NumAxes < 2) throw Error($"needs a bottom with a channel axis, got {bottom[0].ShapeString}");
        _channels = bottom[0].Shape[1];
        AddParameter("mean", _channels);
        AddParameter("variance", _channels);
        AddParameter("factor", 1);
        // The statistics are not learned: fix their learning rate at 0, as Caffe does.
        for (int i = 0; i < 3; i++)
        {
            if (i == Param.Param.Count) Param.Param.Add(new ParamSpec { LrMult = 0f });
            else if (Param.Param[i].LrMult != 0f) throw Error("its statistics cannot be learned parameters; give lr_mult: 0 or no param entries");
            ParamPropagateDown[i] = false;
        }
        foreach (var channel in new[] { _mean, _std, _meanDy, _meanDyY }) channel.Reshape(_channels);
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (bottom[0].NumAxes < 2 || bottom[0].Shape[1] != _channels) throw Error($"bottom {bottom[0].ShapeString} does not have the {_channels} channels the layer was set up with");
        top[0].ReshapeLike(bottom[0]);
        _normalized.ReshapeLike(bottom[0]);
        _scratch.ReshapeLike(bottom[0]);
    }

    private ChannelLayout Layout(Blob bottom) => new(bottom.Shape[0], _channels, bottom.CountFrom(2));

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var x = ReadData(bottom[0]);
        var layout = Layout(bottom[0]);
        int perChannel = layout.Outer * layout.Inner;
        var mean = WriteData(_mean);
        // _std holds each channel's variance until the square root below.
        var std = WriteData(_std);
        var normalized = WriteData(_normalized);
        if (_global)
        {
            float stored = Backend.Scalar(ReadData(Blobs[2]));
            float factor = stored == 0f ? 0f : 1f / stored;
            Backend.Axpby(factor, ReadData(Blobs[0]), 0f, mean);
            Backend.Axpby(factor, ReadData(Blobs[1]), 0f, std);
        }
        else
        {
            Backend.ChannelSums(x, default, layout, mean, accumulate: false);
            Backend.Scal(1f / perChannel, mean);
            Backend.MapChannels(new SubOp(), x, mean, layout, normalized);
            Backend.ChannelSums(normalized, normalized, layout, std, accumulate: false);
            Backend.Scal(1f / perChannel, std);
            // Running sums, weighted as Caffe keeps them (divided by blob 2 when used).
            float correction = perChannel > 1 ? (float)perChannel / (perChannel - 1) : 1f;
            var count = WriteData(Blobs[2]);
            Backend.Map(new AffineOp(_fraction, 1f), count, count);
            Backend.Axpby(1f, mean, _fraction, WriteData(Blobs[0]));
            Backend.Axpby(correction, std, _fraction, WriteData(Blobs[1]));
        }
        Backend.Map(new SqrtOp(_eps), std, std);
        if (_global) Backend.MapChannels(new SubOp(), x, mean, layout, normalized);
        Backend.MapChannels(new DivOp(), normalized, std, layout, normalized);
        Backend.Copy(normalized, WriteData(top[0]));
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        var dy = ReadDiff(top[0]);
        var dx = WriteDiff(bottom[0]);
        var layout = Layout(bottom[0]);
        var std = ReadData(_std);
        if (_global)
        {
            // With stored statistics the normalisation is affine: dx = dy / std.
            Backend.MapChannels(new DivOp(), dy, std, layout, dx);
            return;
        }
        // dx = (dy - mean(dy) - y mean(dy y)) / std, per channel.
        float perChannel = layout.Outer * layout.Inner;
        var normalized = ReadData(_normalized);
        var meanDy = WriteData(_meanDy);
        var meanDyY = WriteData(_meanDyY);
        Backend.ChannelSums(dy, default, layout, meanDy, accumulate: false);
        Backend.Scal(1f / perChannel, meanDy);
        Backend.ChannelSums(dy, normalized, layout, meanDyY, accumulate: false);
        Backend.Scal(1f / perChannel, meanDyY);
        // In place, dx is dy's memory: the correction is built in scratch first.
        var scratch = WriteData(_scratch);
        Backend.MapChannels(new MulOp(), normalized, meanDyY, layout, scratch);
        Backend.Sub(dy, scratch, scratch);
        Backend.MapChannels(new SubOp(), scratch, meanDy, layout, scratch);
        Backend.MapChannels(new DivOp(), scratch, std, layout, dx);
    }
}
