using Cortado.Layers;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Onnx;

/// <summary>
/// Caffe pooling as ONNX pooling, exactly. Caffe rounds the output size up; ONNX (ceil_mode 0)
/// rounds down, so the extra windows are written as extra end padding, which MAX ignores.
/// Caffe's average divides by the window clipped to the padded input (the padding counts, the
/// overhang past it does not):
/// <list type="bullet">
/// <item>no overhang: count_include_pad 1 over Caffe's own padding;</item>
/// <item>overhang and no padding: count_include_pad 0, so only the input's pixels count;</item>
/// <item>overhang and padding: an explicit zero Pad node, then count_include_pad 0 over the overhang only.</item>
/// </list>
/// </summary>
internal static class OnnxPooling
{
    public static string Export(OnnxGraphBuilder graph, Layer layer, string x, Blob bottom, Blob top)
    {
        var p = layer.Param.PoolingParam ?? new PoolingParameter();
        bool max = p.Pool == PoolingParameter.Types.PoolMethod.Max;
        if (p.Pool == PoolingParameter.Types.PoolMethod.Stochastic)
            throw OnnxExporter.Refuse(layer, "STOCHASTIC pooling has no ONNX operator");
        if (p.GlobalPooling) return graph.Op(max ? "GlobalMaxPool" : "GlobalAveragePool", layer.Name, x);

        int height = bottom.Shape[2], width = bottom.Shape[3];
        var w = PoolingWindow.Of(p, height, width);
        int extraH = Overhang(height, w.KernelH, w.PadH, w.StrideH, top.Shape[2]);
        int extraW = Overhang(width, w.KernelW, w.PadW, w.StrideW, top.Shape[3]);
        if (w.PadH + extraH >= w.KernelH || w.PadW + extraW >= w.KernelW)
            throw OnnxExporter.Refuse(layer, $"its last window starts past the input ({height}x{width}, kernel {w.KernelH}x{w.KernelW}, stride {w.StrideH}x{w.StrideW}), which ONNX pooling does not allow");
        Action<Onnx.Proto.NodeProto> window(long padH, long padW, long endH, long endW, long countPad) => n =>
        {
            n.Ints("kernel_shape", w.KernelH, w.KernelW).Ints("strides", w.StrideH, w.StrideW).Ints("pads", padH, padW, endH, endW);
            if (!max) n.Int("count_include_pad", countPad);
        };

        if (max) return graph.Op("MaxPool", layer.Name, window(w.PadH, w.PadW, w.PadH + extraH, w.PadW + extraW, 0), x);
        if (extraH == 0 && extraW == 0)
            return graph.Op("AveragePool", layer.Name, window(w.PadH, w.PadW, w.PadH, w.PadW, 1), x);
        if (w.PadH == 0 && w.PadW == 0)
            return graph.Op("AveragePool", layer.Name, window(0, 0, extraH, extraW, 0), x);
        string pads = graph.Int64Tensor(layer.Name + "/pads", 0, 0, w.PadH, w.PadW, 0, 0, w.PadH, w.PadW);
        string padded = graph.Op("Pad", layer.Name + "/pad", n => n.String("mode", "constant"), x, pads);
        return graph.Op("AveragePool", layer.Name, window(0, 0, extraH, extraW, 0), padded);
    }

    /// <summary>The end padding beyond Caffe's own that makes the rounded-down size equal Caffe's <paramref name="pooled"/>.</summary>
    internal static int Overhang(int size, int kernel, int pad, int stride, int pooled)
    {
        int extra = Math.Max(0, (pooled - 1) * stride + kernel - size - 2 * pad);
        if ((size + 2 * pad + extra - kernel) / stride + 1 != pooled)
            throw new InvalidOperationException($"pooling {size} by {kernel}/{stride} pad {pad} gives {pooled}, which no end padding reproduces");
        return extra;
    }
}
