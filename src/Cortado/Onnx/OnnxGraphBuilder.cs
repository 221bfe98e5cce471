using System.Runtime.InteropServices;
using Cortado.Onnx.Proto;
using Google.Protobuf;

namespace Cortado.Onnx;

/// <summary>
/// Appends nodes, constant tensors and attributes to an ONNX graph, keeping every value name
/// unique (ONNX values are assigned once; Caffe's in-place layers are not).
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private readonly UniqueNames _values = new(), _nodes = new();

    public GraphProto Graph { get; } = new();

    /// <summary><paramref name="wanted"/>, or it with the first free numeric suffix, reserved from now on.</summary>
    public string Unique(string wanted) => _values.Take(wanted);

    /// <summary>A node name (nodes have their own namespace): the layer's name for the node that computes it.</summary>
    public string UniqueNode(string wanted) => _nodes.Take(wanted);

    /// <summary>Reserves a name that must appear as it is (a graph input), or fails if it is taken.</summary>
    public void Reserve(string name)
    {
        if (!_values.TryReserve(name)) throw new InvalidOperationException($"ONNX value name '{name}' is already used");
    }

    public NodeProto Node(string opType, string name, IEnumerable<string> inputs, IEnumerable<string> outputs)
    {
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        Graph.Node.Add(node);
        return node;
    }

    /// <summary>A one-output node whose output gets a fresh name derived from <paramref name="name"/>.</summary>
    public string Op(string opType, string name, params string[] inputs) => Op(opType, name, null, inputs);

    public string Op(string opType, string name, Action<NodeProto>? attributes, params string[] inputs)
    {
        // A provisional output name: the caller renames the value that ends a layer to its blob's name.
        string output = Unique($"{name}:{opType}");
        var node = Node(opType, UniqueNode(name), inputs, [output]);
        attributes?.Invoke(node);
        return output;
    }

    public string FloatTensor(string name, IReadOnlyList<long> dims, ReadOnlySpan<float> values)
    {
        var tensor = new TensorProto { Name = Unique(name), DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values));
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    public string Int64Tensor(string name, params long[] values)
    {
        var tensor = new TensorProto { Name = Unique(name), DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    public string Scalar(string name, float value) => FloatTensor(name, [], [value]);

    public static ValueInfoProto FloatValue(string name, IReadOnlyList<int> shape, string? batchParameter = null)
    {
        var tensorShape = new TensorShapeProto();
        for (int i = 0; i < shape.Count; i++)
            tensorShape.Dim.Add(i == 0 && batchParameter != null
                ? new TensorShapeProto.Types.Dimension { DimParam = batchParameter }
                : new TensorShapeProto.Types.Dimension { DimValue = shape[i] });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = tensorShape } },
        };
    }
}
