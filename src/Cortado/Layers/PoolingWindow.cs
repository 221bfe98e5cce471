using Cortado.Proto;

namespace Cortado.Layers;

/// <summary>A pooling window as Caffe reads it from a PoolingParameter: global pooling covers the whole plane with stride 1.</summary>
internal readonly record struct PoolingWindow(int KernelH, int KernelW, int PadH, int PadW, int StrideH, int StrideW)
{
    public static PoolingWindow Of(PoolingParameter p, int height, int width) => new(
        p.GlobalPooling ? height : (int)(p.HasKernelH ? p.KernelH : p.KernelSize),
        p.GlobalPooling ? width : (int)(p.HasKernelW ? p.KernelW : p.KernelSize),
        (int)(p.HasPadH ? p.PadH : p.Pad),
        (int)(p.HasPadW ? p.PadW : p.Pad),
        p.GlobalPooling ? 1 : (int)(p.HasStrideH ? p.StrideH : p.Stride),
        p.GlobalPooling ? 1 : (int)(p.HasStrideW ? p.StrideW : p.Stride));
}
