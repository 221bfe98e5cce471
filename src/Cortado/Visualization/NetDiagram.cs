using System.Diagnostics;
using System.Globalization;
using System.Text;
using Cortado.Errors;
using Cortado.Nets;
using Cortado.Proto;

namespace Cortado.Visualization;

/// <summary>
/// A net as a Graphviz graph, as Caffe's draw_net.py draws it: one box per layer with its type and
/// geometry (kernel, stride, pad, outputs), coloured by kind; blobs as the edges between layers,
/// labelled with their shapes when the net can be built; in-place layers (ReLU on its input, ...)
/// folded into the box of the layer whose output they change.
/// </summary>
public static class NetDiagram
{
    public static string ToDot(NetParameter net, string rankdir = "LR", IReadOnlyDictionary<string, IReadOnlyList<int>>? shapes = null)
    {
        if (rankdir is not ("LR" or "TB" or "RL" or "BT")) throw new CortadoException($"rankdir must be LR, TB, RL or BT, got '{rankdir}'");
        var labels = new List<StringBuilder>();
        var colours = new List<string>();
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        var edges = new List<(int From, int To, string Blob)>();
        foreach (var layer in net.Layer)
        {
            bool inPlace = layer.Top.Count > 0 && layer.Top.Count == layer.Bottom.Count && layer.Top.Zip(layer.Bottom).All(p => p.First == p.Second)
                && producer.ContainsKey(layer.Top[0]);
            if (inPlace)
            {
                labels[producer[layer.Top[0]]].Append($"\n+ {layer.Type} ({layer.Name}){Details(layer, " ")}");
                continue;
            }
            int node = labels.Count;
            labels.Add(new StringBuilder($"{layer.Name}\n({layer.Type}){Details(layer, "\n")}"));
            colours.Add(Colour(layer.Type));
            foreach (var bottom in layer.Bottom)
                if (producer.TryGetValue(bottom, out int from)) edges.Add((from, node, bottom));
            foreach (var top in layer.Top) producer[top] = node;
        }
        var dot = new StringBuilder();
        dot.AppendLine($"digraph \"{Escape(net.Name.Length > 0 ? net.Name : "net")}\" {{");
        dot.AppendLine($"  rankdir={rankdir};");
        dot.AppendLine("  node [shape=box, style=\"filled,rounded\", fontname=\"Helvetica\", fontsize=10];");
        dot.AppendLine("  edge [fontname=\"Helvetica\", fontsize=9];");
        for (int i = 0; i < labels.Count; i++) dot.AppendLine($"  n{i} [label=\"{Escape(labels[i].ToString())}\", fillcolor=\"{colours[i]}\"];");
        foreach (var (from, to, blob) in edges)
        {
            string shape = shapes != null && shapes.TryGetValue(blob, out var s) ? "\n" + string.Join("x", s) : "";
            dot.AppendLine($"  n{from} -> n{to} [label=\"{Escape(blob + shape)}\"];");
        }
        dot.AppendLine("}");
        return dot.ToString();
    }

    /// <summary>Every blob's shape, when the net builds (its data present); null when it does not.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<int>>? TryShapes(NetParameter net, NetState state)
    {
        try
        {
            using var built = new Net(net, state);
            return built.Blobs.ToDictionary(b => b.Name, b => b.Shape, StringComparer.Ordinal);
        }
        catch (CortadoException) { return null; }
    }

    /// <summary>Writes the graph as DOT text (.dot) or has Graphviz's dot draw it (.svg, .png, .pdf).</summary>
    public static void Render(string dot, string output)
    {
        string format = Path.GetExtension(output).TrimStart('.').ToLowerInvariant();
        if (format == "dot") { IO.AtomicFile.WriteAllText(output, dot); return; }
        if (format is not ("svg" or "png" or "pdf")) throw new CortadoException($"{output}: draw as .svg, .png, .pdf or .dot");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        RunDot(dot, format, output, $"Graphviz's dot failed on {output}");
    }

    /// <summary>The graph drawn by Graphviz's dot as SVG text.</summary>
    public static string ToSvg(string dot) => RunDot(dot, "svg", null, "Graphviz's dot failed to draw the net");

    /// <summary>Runs dot on the graph: to a file when given one, else to the text returned.</summary>
    private static string RunDot(string dot, string format, string? output, string failure)
    {
        var start = new ProcessStartInfo("dot") { RedirectStandardInput = true, RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add($"-T{format}");
        if (output != null) { start.ArgumentList.Add("-o"); start.ArgumentList.Add(Path.GetFullPath(output)); }
        Process process;
        try { process = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new CortadoException("Graphviz's dot was not found: install Debian's graphviz (sudo apt-get install graphviz), or draw to OUT.dot");
        }
        using (process)
        {
            var error = process.StandardError.ReadToEndAsync();
            var text = process.StandardOutput.ReadToEndAsync();
            process.StandardInput.Write(dot);
            process.StandardInput.Close();
            process.WaitForExit();
            if (process.ExitCode != 0) throw new CortadoException($"{failure}: {error.Result.Trim()}");
            return text.Result;
        }
    }

    private static string Details(LayerParameter layer, string separator)
    {
        var parts = new List<string>();
        if (layer.ConvolutionParam is { } c && layer.Type is "Convolution" or "Deconvolution")
        {
            uint kh = c.HasKernelH ? c.KernelH : c.KernelSize.FirstOrDefault(), kw = c.HasKernelW ? c.KernelW : c.KernelSize.LastOrDefault();
            uint stride = c.HasStrideH ? c.StrideH : c.Stride.FirstOrDefault(1u), pad = c.HasPadH ? c.PadH : c.Pad.FirstOrDefault();
            parts.Add($"kernel {kh}x{kw}, stride {stride}, pad {pad}");
            parts.Add($"{c.NumOutput} outputs{(c.Group > 1 ? $", group {c.Group}" : "")}{(c.Dilation.FirstOrDefault(1u) > 1 ? $", dilation {c.Dilation[0]}" : "")}");
        }
        if (layer.PoolingParam is { } p && layer.Type == "Pooling")
            parts.Add(p.GlobalPooling ? $"global {Method(p)}" : $"{Method(p)} {(p.HasKernelH ? p.KernelH : p.KernelSize)}x{(p.HasKernelW ? p.KernelW : p.KernelSize)}, stride {(p.HasStrideH ? p.StrideH : p.Stride)}{(p.Pad > 0 ? $", pad {p.Pad}" : "")}");
        if (layer.InnerProductParam is { } ip && layer.Type == "InnerProduct") parts.Add($"{ip.NumOutput} outputs");
        if (layer.LrnParam is { } lrn && layer.Type == "LRN") parts.Add($"size {lrn.LocalSize}");
        if (layer.DropoutParam is { } d && layer.Type == "Dropout") parts.Add(string.Create(CultureInfo.InvariantCulture, $"ratio {d.DropoutRatio}"));
        return parts.Count == 0 ? "" : separator + string.Join(separator, parts);
    }

    /// <summary>The method as the prototxt spells it (MAX, AVE, STOCHASTIC).</summary>
    private static string Method(PoolingParameter p) => p.Pool.ToString().ToUpperInvariant();

    /// <summary>draw_net.py's colours: convolution red, pooling orange, inner product purple, the rest blue.</summary>
    private static string Colour(string type) => type switch
    {
        "Convolution" or "Deconvolution" => "#FF5050",
        "Pooling" => "#FF9900",
        "InnerProduct" => "#CC33FF",
        _ => "#6495ED",
    };

    private static string Escape(string text) => text.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
}
