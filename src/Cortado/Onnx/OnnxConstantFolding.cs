using Cortado.Onnx.Proto;

namespace Cortado.Onnx;

/// <summary>
/// Evaluates the small integer subgraphs exporters write to compute shapes (PyTorch's
/// <c>x.view(x.size(0), -1)</c> is Shape, Gather, Unsqueeze, Concat, then Reshape), so the
/// Reshape gets a constant target, as a Caffe Reshape layer needs.
/// </summary>
internal static class OnnxConstantFolding
{
    private static readonly HashSet<string> Folded = ["Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Cast", "Mul", "Add", "Sub", "Div", "Identity"];

    /// <summary>The node's output as a constant INT64 tensor, when every input is an integer constant (or a Shape of a known shape).</summary>
    public static TensorProto? TryFold(NodeProto node, long opset, Func<string, TensorProto?> constant, Func<string, int[]?> shape, string where)
    {
        if (!Folded.Contains(node.OpType) || node.Output.Count != 1) return null;
        if (node.OpType == "Shape")
        {
            if (shape(node.Input[0]) is not { } dims) return null;
            long start = Attribute(node, "start") ?? 0, end = Attribute(node, "end") ?? dims.Length;
            if (start < 0) start += dims.Length;
            if (end < 0) end += dims.Length;
            start = Math.Clamp(start, 0, dims.Length);
            end = Math.Clamp(end, start, dims.Length);
            return Tensor(node.Output[0], [end - start], dims[(int)start..(int)end].Select(d => (long)d).ToArray());
        }
        var inputs = new List<(long[] Dims, long[] Values)>();
        foreach (var name in node.Input)
        {
            if (name.Length == 0) { inputs.Add(([], [])); continue; }
            if (constant(name) is not { } tensor || !IsInteger(tensor)) return null;
            inputs.Add(([.. tensor.Dims], OnnxTensors.Int64s(tensor, where)));
        }
        if (inputs.Count == 0) return null;
        var (dims0, values0) = inputs[0];
        switch (node.OpType)
        {
            case "Identity":
                return Tensor(node.Output[0], dims0, values0);
            case "Cast":
                return Attribute(node, "to") == (long)TensorProto.Types.DataType.Int64 ? Tensor(node.Output[0], dims0, values0) : null;
            case "Gather":
                if ((Attribute(node, "axis") ?? 0) != 0 || dims0.Length != 1) return null;
                var (indexDims, indices) = inputs[1];
                var gathered = indices.Select(i => values0[i < 0 ? i + values0.Length : i]).ToArray();
                return Tensor(node.Output[0], indexDims, gathered);
            case "Unsqueeze" or "Squeeze":
                long[] axes = opset >= 13 ? (inputs.Count > 1 ? inputs[1].Values : []) : Attributes(node, "axes");
                int rank = dims0.Length + (node.OpType == "Unsqueeze" ? axes.Length : -axes.Length);
                var normalised = axes.Select(a => a < 0 ? a + (node.OpType == "Unsqueeze" ? rank : dims0.Length) : a).ToHashSet();
                long[] newDims = node.OpType == "Unsqueeze"
                    ? new long[rank]
                    : [.. dims0.Where((d, i) => !(normalised.Count == 0 ? d == 1 : normalised.Contains(i)))];
                if (node.OpType == "Unsqueeze")
                {
                    var source = new Queue<long>(dims0);
                    for (int i = 0; i < rank; i++) newDims[i] = normalised.Contains(i) ? 1 : source.Dequeue();
                }
                return Tensor(node.Output[0], newDims, values0);
            case "Concat":
                if (inputs.Any(i => i.Dims.Length != 1)) return null;
                return Tensor(node.Output[0], [inputs.Sum(i => i.Values.Length)], [.. inputs.SelectMany(i => i.Values)]);
            default:
                var (_, right) = inputs[1];
                if (values0.Length != right.Length && right.Length != 1 && values0.Length != 1) return null;
                int count = Math.Max(values0.Length, right.Length);
                long At(long[] v, int i) => v.Length == 1 ? v[0] : v[i];
                var result = new long[count];
                for (int i = 0; i < count; i++)
                    result[i] = node.OpType switch
                    {
                        "Mul" => At(values0, i) * At(right, i),
                        "Add" => At(values0, i) + At(right, i),
                        "Sub" => At(values0, i) - At(right, i),
                        _ => At(right, i) == 0 ? 0 : At(values0, i) / At(right, i),
                    };
                return Tensor(node.Output[0], values0.Length >= right.Length ? dims0 : inputs[1].Dims, result);
        }
    }

    private static bool IsInteger(TensorProto t) => t.DataType is (int)TensorProto.Types.DataType.Int64 or (int)TensorProto.Types.DataType.Int32;

    private static long? Attribute(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name)?.I;

    private static long[] Attributes(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? [.. a.Ints] : [];

    private static TensorProto Tensor(string name, IEnumerable<long> dims, long[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.AddRange(dims);
        tensor.Int64Data.AddRange(values);
        return tensor;
    }
}
