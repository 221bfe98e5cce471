using System.Globalization;
using Cortado.Proto;

namespace Cortado.Cli;

/// <summary>A one-line account of the settings that matter most for a layer, for tables in the CLI.</summary>
public static class LayerSummary
{
    public static string Describe(LayerParameter layer)
    {
        var parts = new List<string>();
        if (layer.Include.Count > 0 && layer.Include[0].HasPhase) parts.Add($"{ProtoEnum.Name(layer.Include[0].Phase)} only");
        if (layer.DataParam is { } data)
        {
            parts.Add($"batch {data.BatchSize}, {ProtoEnum.Name(data.Backend)}");
            parts.Add(layer.TransformParam is { HasScale: true } t ? $"scale {F(t.Scale)}" : "no scaling (raw pixels)");
        }
        if (layer.ConvolutionParam is { } conv)
        {
            parts.Add($"{conv.NumOutput} filters {Square(conv.KernelSize, conv.KernelH, conv.KernelW)}, stride {(conv.Stride.Count > 0 ? Join(conv.Stride) : "1")}");
            parts.Add($"weights {conv.WeightFiller?.Type ?? "constant 0 (no filler!)"}");
        }
        if (layer.PoolingParam is { } pool)
            parts.Add($"{ProtoEnum.Name(pool.Pool)} {pool.KernelSize}x{pool.KernelSize}, stride {pool.Stride}");
        if (layer.InnerProductParam is { } ip)
            parts.Add($"{ip.NumOutput} outputs, weights {ip.WeightFiller?.Type ?? "constant 0 (no filler!)"}");
        if (layer.DropoutParam is { } drop) parts.Add($"ratio {F(drop.DropoutRatio)}");
        return string.Join("; ", parts);
    }

    private static string Square(IList<uint> sizes, uint h, uint w) =>
        sizes.Count == 1 ? $"{sizes[0]}x{sizes[0]}" : sizes.Count > 1 ? Join(sizes) : $"{h}x{w}";

    private static string Join(IEnumerable<uint> values) => string.Join("x", values);
    private static string F(float value) => value.ToString("G", CultureInfo.InvariantCulture);
}
