using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// Spatial pyramid pooling (He et al.), as Caffe builds it: for each level l &lt; pyramid_height, MAX or
/// AVE pooling into 2^l x 2^l bins (kernel ceil(H / bins), padding half the remainder, stride the
/// kernel), each level flattened and all concatenated: N x C (1 + 4 + 16 + ...). A fixed-length
/// output from any image size.
/// </summary>
[LayerType("SPP")]
public sealed class SPPLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "SPP";
    public override int ExactNumBottomBlobs => 1;
    public override int ExactNumTopBlobs => 1;
    private PoolingGeometry[] _levels = [];
    private readonly List<Blob> _pooled = [];
    private readonly List<SyncedMemory<int>> _argmax = [];
    private readonly Blob _levelDiff = new();
    private int _num, _channels, _perSample;

    private SPPParameter P => Param.SppParam ?? new SPPParameter();
    private bool Max => P.Pool == SPPParameter.Types.PoolMethod.Max;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (P.Pool == SPPParameter.Types.PoolMethod.Stochastic) throw Error("STOCHASTIC pooling is not supported in SPP (its levels are padded, and Caffe's stochastic windows ignore padding); use MAX or AVE");
        if (!P.HasPyramidHeight || P.PyramidHeight < 1) throw Error("spp_param.pyramid_height must be at least 1");
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var x = bottom[0];
        if (x.NumAxes != 4) throw Error($"needs a 4-D bottom (N x C x H x W), got {x.ShapeString}");
        (_num, _channels) = (x.Shape[0], x.Shape[1]);
        int height = x.Shape[2], width = x.Shape[3], levels = (int)P.PyramidHeight;
        _levels = new PoolingGeometry[levels];
        _perSample = 0;
        for (int l = 0; l < levels; l++)
        {
            int bins = 1 << l;
            int kh = (height + bins - 1) / bins, kw = (width + bins - 1) / bins;
            int ph = (kh * bins - height + 1) / 2, pw = (kw * bins - width + 1) / 2;
            var geometry = _levels[l] = new PoolingGeometry(height, width, kh, kw, ph, pw, kh, kw);
            if (ph >= kh || pw >= kw || geometry.PooledHeight != bins || geometry.PooledWidth != bins)
                throw Error($"a {height}x{width} input cannot be pooled into {bins}x{bins} bins (pyramid level {l}); use a larger input or a lower pyramid_height");
            if (_pooled.Count <= l) { _pooled.Add(new Blob()); _argmax.Add(new SyncedMemory<int>(0)); }
            _pooled[l].Reshape(_num, _channels, bins, bins);
            if (Max && _argmax[l].Capacity < _pooled[l].Count) _argmax[l] = new SyncedMemory<int>(_pooled[l].Count);
            _perSample += _channels * bins * bins;
        }
        top[0].Reshape(_num, _perSample);
        _levelDiff.ReshapeLike(x);
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var y = WriteData(top[0]);
        int offset = 0, planes = _num * _channels;
        for (int l = 0; l < _levels.Length; l++)
        {
            var pooled = WriteData(_pooled[l]);
            if (Max) Backend.MaxPoolForward(ReadData(bottom[0]), planes, _levels[l], pooled, _argmax[l].WriteDevice(Backend, _pooled[l].Count));
            else Backend.AveragePoolForward(ReadData(bottom[0]), planes, _levels[l], pooled);
            int length = _pooled[l].Count / _num;
            Backend.CopyRows(ReadData(_pooled[l]), length, y.Slice(offset), _perSample, _num, length);
            offset += length;
        }
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        var dy = ReadDiff(top[0]);
        var dx = WriteDiff(bottom[0]);
        Backend.Fill(dx, 0f);
        int offset = 0, planes = _num * _channels;
        for (int l = 0; l < _levels.Length; l++)
        {
            int length = _pooled[l].Count / _num;
            Backend.CopyRows(dy.Slice(offset), _perSample, WriteDiff(_pooled[l]), length, _num, length);
            offset += length;
            var levelDiff = WriteDiff(_levelDiff);
            if (Max) Backend.MaxPoolBackward(ReadDiff(_pooled[l]), _argmax[l].ReadDevice(Backend, _pooled[l].Count), planes, _levels[l], levelDiff);
            else Backend.AveragePoolBackward(ReadDiff(_pooled[l]), planes, _levels[l], levelDiff);
            Backend.Add(dx, ReadDiff(_levelDiff), dx);
        }
    }
}
