using Cortado.Compute;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// MAX or AVE pooling over each channel of N x C x H x W, with Caffe's output size (rounded up
/// unless round_mode is FLOOR) and its border rules; global_pooling covers the whole plane.
/// MAX keeps the winner's index for backward (and emits it as a second top when asked).
/// STOCHASTIC samples one input per window in training and weights the window by its values at
/// test time (<see cref="StochasticPooling"/>); as in Caffe's kernels its windows take no padding.
/// </summary>
[LayerType("Pooling")]
public sealed class PoolingLayer(LayerParameter param, LayerContext context) : Layer(param, context), IRectifiesInputGradient
{
    public override string Type => "Pooling";
    public override int ExactNumBottomBlobs => 1;
    public override int MinTopBlobs => 1;
    public override int MaxTopBlobs => Param.PoolingParam?.Pool == PoolingParameter.Types.PoolMethod.Max ? 2 : 1;

    private PoolingGeometry _geometry;
    private SyncedMemory<int> _argmax = new(0);
    private readonly Blob _uniform = new();

    private PoolingParameter P => Param.PoolingParam ?? new PoolingParameter();
    private bool Stochastic => P.Pool == PoolingParameter.Types.PoolMethod.Stochastic;
    // Backward routes the gradient to the chosen input, as for MAX, only where training sampled one.
    private bool RoutesToPick => P.Pool == PoolingParameter.Types.PoolMethod.Max || (Stochastic && Phase == Phase.Train);

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = P;
        if (bottom[0].NumAxes != 4) throw Error($"needs a 4-D bottom (N x C x H x W), got {bottom[0].ShapeString}");
        if (!p.GlobalPooling)
        {
            bool hasSize = p.HasKernelSize, hasHw = p.HasKernelH || p.HasKernelW;
            if (hasSize == hasHw) throw Error("give either kernel_size or both kernel_h and kernel_w");
            if (hasHw && !(p.HasKernelH && p.HasKernelW)) throw Error("kernel_h and kernel_w must both be given");
        }
        else if (p.HasKernelSize || p.HasKernelH || p.HasKernelW) throw Error("global_pooling takes the whole plane; do not give a kernel size");
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = P;
        if (bottom[0].NumAxes != 4) throw Error($"needs a 4-D bottom (N x C x H x W), got {bottom[0].ShapeString}");
        int height = bottom[0].Shape[2], width = bottom[0].Shape[3];
        var (kh, kw, ph, pw, sh, sw) = PoolingWindow.Of(p, height, width);
        if (kh <= 0 || kw <= 0 || sh <= 0 || sw <= 0) throw Error($"kernel {kh}x{kw} and stride {sh}x{sw} must be positive");
        if (Stochastic && (ph > 0 || pw > 0)) throw Error($"STOCHASTIC pooling takes no padding (Caffe's kernels ignore it), got pad {ph}x{pw}");
        if (ph >= kh || pw >= kw) throw Error($"padding {ph}x{pw} must be smaller than the kernel {kh}x{kw}");
        if (kh > height + 2 * ph || kw > width + 2 * pw)
            throw Error($"a {kh}x{kw} window does not fit the {height}x{width} input padded by {ph}x{pw}");
        _geometry = new PoolingGeometry(height, width, kh, kw, ph, pw, sh, sw, p.RoundMode == PoolingParameter.Types.RoundMode.Ceil);
        int[] shape = [bottom[0].Shape[0], bottom[0].Shape[1], _geometry.PooledHeight, _geometry.PooledWidth];
        foreach (var t in top) t.Reshape(shape);
        if (p.Pool != PoolingParameter.Types.PoolMethod.Ave && _argmax.Capacity < top[0].Count) _argmax = new SyncedMemory<int>(top[0].Count);
        if (Stochastic) _uniform.ReshapeLike(top[0]);
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        int planes = bottom[0].Shape[0] * bottom[0].Shape[1];
        if (P.Pool == PoolingParameter.Types.PoolMethod.Max)
        {
            var argmax = _argmax.WriteDevice(Backend, top[0].Count);
            Backend.MaxPoolForward(ReadData(bottom[0]), planes, _geometry, WriteData(top[0]), argmax);
            if (top.Count > 1) Backend.IndicesToFloat(argmax, WriteData(top[1]));
        }
        else if (Stochastic && Phase == Phase.Train)
        {
            var uniform = WriteData(_uniform);
            Backend.Uniform(uniform, 0f, 1f, Context.Random.NextKey());
            Backend.StochasticPoolForward(ReadData(bottom[0]), planes, _geometry, uniform, WriteData(top[0]), _argmax.WriteDevice(Backend, top[0].Count));
        }
        else if (Stochastic) Backend.StochasticPoolTest(ReadData(bottom[0]), planes, _geometry, WriteData(top[0]));
        else Backend.AveragePoolForward(ReadData(bottom[0]), planes, _geometry, WriteData(top[0]));
    }

    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        int planes = bottom[0].Shape[0] * bottom[0].Shape[1];
        // At test time nothing was sampled, so no input was chosen (Caffe would route through a stale pick).
        // The fill's zeros are the ReLU's too.
        if (Stochastic && Phase != Phase.Train) Backend.Fill(WriteDiff(bottom[0]), 0f);
        else if (RoutesToPick)
            Backend.MaxPoolBackward(ReadDiff(top[0]), _argmax.ReadDevice(Backend, top[0].Count), planes, _geometry, WriteDiff(bottom[0]), RectifiedBy(bottom[0]));
        else Backend.AveragePoolBackward(ReadDiff(top[0]), planes, _geometry, WriteDiff(bottom[0]), RectifiedBy(bottom[0]));
    }

    /// <summary>Whether this is MAX pooling, which a convolution before it can do as it writes its output.</summary>
    internal bool IsMax => P.Pool == PoolingParameter.Types.PoolMethod.Max;

    /// <summary>
    /// Where a convolution that pools for this layer writes, sized for its output as this layer's
    /// forward pass would: the windows, the top for writing, and the winners for backward.
    /// </summary>
    internal (PoolingGeometry Geometry, DeviceSpan<float> Top, DeviceSpan<int> Argmax) PoolingTargets(Blob bottom, Blob top)
    {
        Reshape([bottom], [top]);
        return (_geometry, WriteData(top), _argmax.WriteDevice(Backend, top.Count));
    }

    private bool _rectifyInputGradient;
    bool IRectifiesInputGradient.RectifyInputGradient { get => _rectifyInputGradient; set => _rectifyInputGradient = value; }

    private DeviceSpan<float> RectifiedBy(Blob bottom) => _rectifyInputGradient ? ReadData(bottom) : default;
}
