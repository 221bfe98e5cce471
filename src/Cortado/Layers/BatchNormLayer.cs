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
    private float[] _mean = [], _std = [], _normalized = [];

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
        _mean = new float[_channels];
        _std = new float[_channels];
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (bottom[0].NumAxes < 2 || bottom[0].Shape[1] != _channels) throw Error($"bottom {bottom[0].ShapeString} does not have the {_channels} channels the layer was set up with");
        top[0].ReshapeLike(bottom[0]);
        if (_normalized.Length != bottom[0].Count) _normalized = new float[bottom[0].Count];
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var x = bottom[0].Data;
        var y = top[0].Data;
        int num = bottom[0].Shape[0], spatial = bottom[0].CountFrom(2), perChannel = num * spatial;
        // _std holds each channel's variance until the square root below: no scratch array per forward.
        if (_global)
        {
            float factor = Blobs[2].Data[0] == 0f ? 0f : 1f / Blobs[2].Data[0];
            for (int c = 0; c < _channels; c++) { _mean[c] = Blobs[0].Data[c] * factor; _std[c] = Blobs[1].Data[c] * factor; }
        }
        else
        {
            for (int c = 0; c < _channels; c++)
            {
                double sum = 0, squares = 0;
                for (int n = 0; n < num; n++)
                    foreach (float v in x.Slice((n * _channels + c) * spatial, spatial)) sum += v;
                _mean[c] = (float)(sum / perChannel);
                for (int n = 0; n < num; n++)
                    foreach (float v in x.Slice((n * _channels + c) * spatial, spatial)) squares += (v - _mean[c]) * (double)(v - _mean[c]);
                _std[c] = (float)(squares / perChannel);
            }
            // Running sums, weighted as Caffe keeps them (divided by blob 2 when used).
            float correction = perChannel > 1 ? (float)perChannel / (perChannel - 1) : 1f;
            Blobs[2].Data[0] = Blobs[2].Data[0] * _fraction + 1f;
            for (int c = 0; c < _channels; c++)
            {
                Blobs[0].Data[c] = Blobs[0].Data[c] * _fraction + _mean[c];
                Blobs[1].Data[c] = Blobs[1].Data[c] * _fraction + correction * _std[c];
            }
        }
        for (int c = 0; c < _channels; c++) _std[c] = MathF.Sqrt(_std[c] + _eps);
        for (int n = 0; n < num; n++)
            for (int c = 0; c < _channels; c++)
            {
                int start = (n * _channels + c) * spatial;
                for (int s = 0; s < spatial; s++) y[start + s] = _normalized[start + s] = (x[start + s] - _mean[c]) / _std[c];
            }
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        var dy = top[0].Diff;
        var dx = bottom[0].Diff;
        int num = bottom[0].Shape[0], spatial = bottom[0].CountFrom(2), perChannel = num * spatial;
        for (int c = 0; c < _channels; c++)
        {
            double meanDy = 0, meanDyY = 0;
            if (!_global)
            {
                for (int n = 0; n < num; n++)
                {
                    int start = (n * _channels + c) * spatial;
                    for (int s = 0; s < spatial; s++) { meanDy += dy[start + s]; meanDyY += dy[start + s] * (double)_normalized[start + s]; }
                }
                meanDy /= perChannel;
                meanDyY /= perChannel;
            }
            // dx = (dy - mean(dy) - y mean(dy y)) / std; with stored statistics only dy / std.
            for (int n = 0; n < num; n++)
            {
                int start = (n * _channels + c) * spatial;
                for (int s = 0; s < spatial; s++)
                    dx[start + s] = (float)((dy[start + s] - meanDy - _normalized[start + s] * meanDyY) / _std[c]);
            }
        }
    }
}
