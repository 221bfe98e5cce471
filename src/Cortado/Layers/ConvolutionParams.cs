using Cortado.Compute;
using Cortado.Errors;
using Cortado.Proto;

namespace Cortado.Layers;

/// <summary>Reads a kernel, stride, padding and dilation from a ConvolutionParameter in any of Caffe's spellings: 2-D, or per spatial axis of an N-D convolution.</summary>
internal static class ConvolutionParams
{
    public static (int KernelH, int KernelW, int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW) Read(ConvolutionParameter p, Func<string, LayerException> error)
    {
        int kh, kw;
        if (p.HasKernelH || p.HasKernelW)
        {
            if (!p.HasKernelH || !p.HasKernelW || p.KernelSize.Count > 0) throw error("give either kernel_size or both kernel_h and kernel_w");
            (kh, kw) = ((int)p.KernelH, (int)p.KernelW);
        }
        else
        {
            if (p.KernelSize.Count is 0 or > 2) throw error($"kernel_size must be given once or twice for 2-D convolution, got {p.KernelSize.Count} values");
            (kh, kw) = ((int)p.KernelSize[0], (int)p.KernelSize[^1]);
        }
        if (kh <= 0 || kw <= 0) throw error($"kernel size must be positive, got {kh}x{kw}");
        var (sh, sw) = Pair(p.HasStrideH || p.HasStrideW, (int)p.StrideH, (int)p.StrideW, p.Stride, 1, "stride", error);
        var (ph, pw) = Pair(p.HasPadH || p.HasPadW, (int)p.PadH, (int)p.PadW, p.Pad, 0, "pad", error);
        var (dh, dw) = Pair(false, 0, 0, p.Dilation, 1, "dilation", error);
        if (sh <= 0 || sw <= 0) throw error($"stride must be positive, got {sh}x{sw}");
        return (kh, kw, sh, sw, ph, pw, dh, dw);
    }

    private static (int, int) Pair(bool explicitHw, int h, int w, IList<uint> values, int fallback, string name, Func<string, LayerException> error)
    {
        if (explicitHw)
        {
            if (values.Count > 0) throw error($"give either {name} or {name}_h/{name}_w, not both");
            return (h, w);
        }
        return values.Count switch
        {
            0 => (fallback, fallback),
            1 => ((int)values[0], (int)values[0]),
            2 => ((int)values[0], (int)values[1]),
            _ => throw error($"{name} must be given once or twice for 2-D convolution, got {values.Count} values"),
        };
    }

    public static ConvolutionGeometry Geometry(int height, int width, (int KernelH, int KernelW, int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW) k) =>
        new(height, width, k.KernelH, k.KernelW, k.PadH, k.PadW, k.StrideH, k.StrideW, k.DilationH, k.DilationW);

    /// <summary>
    /// The window of an N-D convolution over <paramref name="axes"/> spatial axes, as Caffe's
    /// BaseConvolution reads it: kernel_size once or once per axis (kernel_h/kernel_w only for 2-D),
    /// and stride, pad and dilation absent (1, 0, 1), once, or once per axis.
    /// </summary>
    public static (int[] Kernel, int[] Stride, int[] Pad, int[] Dilation) ReadNd(ConvolutionParameter p, int axes, Func<string, LayerException> error)
    {
        if (axes < 1) throw error("needs at least one spatial axis after the channel axis");
        int[] kernel;
        if (p.HasKernelH || p.HasKernelW)
        {
            if (axes != 2) throw error($"kernel_h and kernel_w are for 2 spatial axes; this input has {axes}, so give kernel_size once or {axes} times");
            var (kh, kw, _, _, _, _, _, _) = Read(p, error);
            kernel = [kh, kw];
        }
        else kernel = PerAxis(p.KernelSize, axes, null, "kernel_size", error);
        if (kernel.Any(k => k <= 0)) throw error($"kernel size must be positive, got {string.Join("x", kernel)}");
        int[] stride = HwOrPerAxis(p.HasStrideH || p.HasStrideW, (int)p.StrideH, (int)p.StrideW, p.Stride, axes, 1, "stride", error);
        int[] pad = HwOrPerAxis(p.HasPadH || p.HasPadW, (int)p.PadH, (int)p.PadW, p.Pad, axes, 0, "pad", error);
        int[] dilation = PerAxis(p.Dilation, axes, 1, "dilation", error);
        if (stride.Any(v => v <= 0)) throw error($"stride must be positive, got {string.Join("x", stride)}");
        if (dilation.Any(v => v <= 0)) throw error($"dilation must be positive, got {string.Join("x", dilation)}");
        return (kernel, stride, pad, dilation);
    }

    private static int[] HwOrPerAxis(bool explicitHw, int h, int w, IList<uint> values, int axes, int fallback, string name, Func<string, LayerException> error)
    {
        if (!explicitHw) return PerAxis(values, axes, fallback, name, error);
        if (axes != 2) throw error($"{name}_h and {name}_w are for 2 spatial axes; this input has {axes}");
        if (values.Count > 0) throw error($"give either {name} or {name}_h/{name}_w, not both");
        return [h, w];
    }

    private static int[] PerAxis(IList<uint> values, int axes, int? fallback, string name, Func<string, LayerException> error) => values.Count switch
    {
        0 when fallback is int value => Enumerable.Repeat(value, axes).ToArray(),
        1 => Enumerable.Repeat((int)values[0], axes).ToArray(),
        _ when values.Count == axes => values.Select(v => (int)v).ToArray(),
        _ => throw error($"{name} must be given {(fallback is null ? "" : "not at all, ")}once, or once per spatial axis ({axes}); got {values.Count} values"),
    };

    /// <summary>The channel axis a convolution_param's <c>axis</c> names on <paramref name="bottom"/>, counted from the end when negative.</summary>
    public static int ChannelAxis(ConvolutionParameter p, Tensors.Blob bottom, Func<string, LayerException> error) =>
        p.Axis >= -bottom.NumAxes && p.Axis < bottom.NumAxes ? bottom.CanonicalAxis(p.Axis)
            : throw error($"axis {p.Axis} is not an axis of the {bottom.NumAxes}-axis bottom {bottom.ShapeString}");
}
