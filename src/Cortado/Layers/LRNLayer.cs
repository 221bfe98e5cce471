using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// Local response normalisation. ACROSS_CHANNELS: y = x (k + alpha/n sum_{n neighbouring channels} x^2)^-beta.
/// WITHIN_CHANNEL: y = x (1 + alpha avg_{n x n window} x^2)^-beta, the average counting the
/// zero padding as Caffe's average pooling does.
/// </summary>
[LayerType("LRN")]
public sealed class LRNLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "LRN";
    public override bool AllowsInPlace => false;
    public override int ExactNumBottomBlobs => 1;
    public override int ExactNumTopBlobs => 1;
    private int _size, _pre;
    private float _alpha, _beta, _k;
    private bool _across;
    private float[] _scale = [], _squares = [], _work = [], _windowSum = [];

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.LrnParam ?? new LRNParameter();
        _size = (int)p.LocalSize;
        if (_size % 2 == 0) throw Error($"local_size must be odd, got {_size}");
        _pre = (_size - 1) / 2;
        (_alpha, _beta, _k) = (p.Alpha, p.Beta, p.K);
        _across = p.NormRegion == LRNParameter.Types.NormRegion.AcrossChannels;
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (bottom[0].NumAxes != 4) throw Error($"needs a 4-D bottom (N x C x H x W), got {bottom[0].ShapeString}");
        top[0].ReshapeLike(bottom[0]);
        if (_scale.Length != bottom[0].Count) { _scale = new float[bottom[0].Count]; _squares = new float[bottom[0].Count]; _work = new float[bottom[0].Count]; }
        if (_windowSum.Length != bottom[0].CountFrom(2)) _windowSum = new float[bottom[0].CountFrom(2)];
    }

    private PoolingGeometry Window(Blob bottom) => new(bottom.Shape[2], bottom.Shape[3], _size, _size, _pre, _pre, 1, 1);

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var x = bottom[0].Data;
        var y = top[0].Data;
        int num = bottom[0].Shape[0], channels = bottom[0].Shape[1], spatial = bottom[0].CountFrom(2);
        Backend.Mul(x, x, _squares);
        if (_across)
        {
            for (int n = 0; n < num; n++)
                for (int c = 0; c < channels; c++)
                {
                    int lo = Math.Max(0, c - _pre), hi = Math.Min(channels - 1, c + _pre);
                    var scale = _scale.AsSpan((n * channels + c) * spatial, spatial);
                    scale.Clear();
                    for (int j = lo; j <= hi; j++) Backend.Axpy(1f, _squares.AsSpan((n * channels + j) * spatial, spatial), scale);
                    for (int s = 0; s < spatial; s++) scale[s] = _k + _alpha / _size * scale[s];
                }
        }
        else
        {
            Backend.AveragePoolForward(_squares, num * channels, Window(bottom[0]), _scale);
            for (int i = 0; i < _scale.Length; i++) _scale[i] = 1f + _alpha * _scale[i];
        }
        for (int i = 0; i < x.Length; i++) y[i] = x[i] * MathF.Pow(_scale[i], -_beta);
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        var x = bottom[0].Data;
        var y = top[0].Data;
        var dy = top[0].Diff;
        var dx = bottom[0].Diff;
        int num = bottom[0].Shape[0], channels = bottom[0].Shape[1], spatial = bottom[0].CountFrom(2);
        // ratio = dy * y / scale, the common factor of the gradient through the scale.
        for (int i = 0; i < x.Length; i++) _work[i] = dy[i] * y[i] / _scale[i];
        if (_across)
        {
            float factor = 2f * _alpha * _beta / _size;
            var sum = _windowSum;
            for (int n = 0; n < num; n++)
                for (int c = 0; c < channels; c++)
                {
                    // Channel c is in the window of channels c - post .. c + pre.
                    Array.Clear(sum);
                    for (int j = Math.Max(0, c - _pre); j <= Math.Min(channels - 1, c + _pre); j++)
                        Backend.Axpy(1f, _work.AsSpan((n * channels + j) * spatial, spatial), sum);
                    int start = (n * channels + c) * spatial;
                    for (int s = 0; s < spatial; s++)
                        dx[start + s] = dy[start + s] * MathF.Pow(_scale[start + s], -_beta) - factor * x[start + s] * sum[s];
                }
        }
        else
        {
            // Through the averaged squares: d/dx = 2 x avg^T(-beta alpha ratio).
            for (int i = 0; i < _work.Length; i++) _work[i] *= -_beta * _alpha;
            // The squares are forward's alone; backward reuses their buffer for the spread gradient.
            var spread = _squares;
            Backend.AveragePoolBackward(_work, num * channels, Window(bottom[0]), spread);
            for (int i = 0; i < x.Length; i++) dx[i] = dy[i] * MathF.Pow(_scale[i], -_beta) + 2f * x[i] * spread[i];
        }
    }
}
