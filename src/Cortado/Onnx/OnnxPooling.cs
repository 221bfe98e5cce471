using Cortado.Compute;
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

    /// <summary>
    /// The Caffe pooling that computes what an ONNX MaxPool/AveragePool computes, checked window by
    /// window: the output size under either of Caffe's roundings, and for averages each window's divisor.
    /// <paramref name="prepad"/> is a zero Pad node's padding taken into the pooling.
    /// </summary>
    public static PoolingParameter Import(Func<string, Exception> refuse, bool max, int height, int width, long[] kernel, long[] strides,
        long[] pads, bool ceilMode, bool countIncludePad, (int H, int W) prepad, out int outH, out int outW)
    {
        if (kernel.Length != 2 || strides.Length != 2 || pads.Length != 4) throw refuse("is not a 2-D pooling");
        bool padNode = prepad != (0, 0);
        if (padNode && (max || countIncludePad || pads[0] != 0 || pads[1] != 0))
            throw refuse("follows a Pad node; that is read only for an average pooling with count_include_pad 0 and no start padding of its own");
        int[] sizes = [height, width], caffePad = padNode ? [prepad.H, prepad.W] : [(int)pads[0], (int)pads[1]];
        var onnxOut = new int[2];
        for (int a = 0; a < 2; a++)
        {
            long size = sizes[a] + 2L * (padNode ? caffePad[a] : 0), span = size + pads[a] + pads[a + 2] - kernel[a];
            if (span < 0) throw refuse($"its {kernel[a]}-wide window does not fit its input");
            long o = (ceilMode ? (span + strides[a] - 1) / strides[a] : span / strides[a]) + 1;
            if (ceilMode && (o - 1) * strides[a] >= size + pads[a]) o--; // a window may not start in the end padding
            onnxOut[a] = (int)o;
        }
        bool? ceil = null;
        foreach (bool candidate in new[] { true, false })
            if (ceil == null && Enumerable.Range(0, 2).All(a => Pooling.OutputSize(sizes[a], (int)kernel[a], caffePad[a], (int)strides[a], candidate) == onnxOut[a]))
                ceil = candidate;
        if (ceil == null)
            throw refuse($"gives {onnxOut[0]}x{onnxOut[1]} from {height}x{width}, which Caffe's pooling (pad {caffePad[0]}x{caffePad[1]}) gives under neither rounding");
        if (!max)
            for (int a = 0; a < 2; a++)
            {
                long size = sizes[a] + 2L * (padNode ? caffePad[a] : 0);
                for (int i = 0; i < onnxOut[a]; i++)
                {
                    long caffeStart = (long)i * strides[a] - caffePad[a];
                    long caffeCount = Math.Min(caffeStart + kernel[a], sizes[a] + caffePad[a]) - caffeStart;
                    long start = (long)i * strides[a] - pads[a];
                    long onnxCount = countIncludePad ? Math.Min(start + kernel[a], size + pads[a + 2]) - start
                        : Math.Min(start + kernel[a], size) - Math.Max(start, 0);
                    if (caffeCount != onnxCount)
                        throw refuse($"divides window {i} of axis {a + 2} by {onnxCount} cells where Caffe's average pooling divides by {caffeCount} (count_include_pad {(countIncludePad ? 1 : 0)})");
                }
            }
        (outH, outW) = (onnxOut[0], onnxOut[1]);
        var p = new PoolingParameter { Pool = max ? PoolingParameter.Types.PoolMethod.Max : PoolingParameter.Types.PoolMethod.Ave };
        if (kernel[0] == kernel[1]) p.KernelSize = (uint)kernel[0]; else (p.KernelH, p.KernelW) = ((uint)kernel[0], (uint)kernel[1]);
        if (strides[0] == strides[1]) p.Stride = (uint)strides[0]; else (p.StrideH, p.StrideW) = ((uint)strides[0], (uint)strides[1]);
        if (caffePad[0] == caffePad[1]) { if (caffePad[0] != 0) p.Pad = (uint)caffePad[0]; }
        else (p.PadH, p.PadW) = ((uint)caffePad[0], (uint)caffePad[1]);
        if (ceil == false) p.RoundMode = PoolingParameter.Types.RoundMode.Floor;
        return p;
    }
}
