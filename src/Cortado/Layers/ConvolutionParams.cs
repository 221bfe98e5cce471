using Cortado.Compute;
using Cortado.Errors;
using Cortado.Proto;

namespace Cortado.Layers;

/// <summary>Reads a 2-D kernel, stride, padding and dilation from a ConvolutionParameter in any of Caffe's spellings.</summary>
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
}
