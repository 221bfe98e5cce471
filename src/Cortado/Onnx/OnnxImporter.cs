using Cortado.Errors;
using Cortado.Nets;
using Cortado.Onnx.Proto;
using Cortado.Proto;
using Google.Protobuf;

namespace Cortado.Onnx;

/// <summary>
/// Brings an ONNX model (a CNN from PyTorch, Keras or Cortado's own exporter) into Caffe's form: a
/// deploy NetParameter and a weights NetParameter (the body of a .caffemodel). Each node becomes
/// the Caffe layer that computes the same thing; where Caffe's semantics differ (its pooling
/// rounds up, its average counts the padding) the importer picks the parameters that agree on
/// every window or refuses the node with the reason. An activation whose input nothing else
/// reads works in place, as Caffe's nets are written; the blob takes the name of the chain's last
/// ONNX value. Shapes are followed through the graph, with the batch at <c>batch</c> where the
/// model leaves it free.
/// </summary>
public sealed partial class OnnxImporter
{
    private readonly GraphProto _graph;
    private readonly string _source;
    private readonly long _opset;
    private readonly int _batch;
    private readonly Dictionary<string, TensorProto> _constants = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int[]> _shapes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _blobOf = new(StringComparer.Ordinal);
    private readonly List<string> _blobNames = [];
    private readonly Dictionary<string, List<NodeProto>> _readers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _graphOutputs = new(StringComparer.Ordinal);
    private readonly UniqueNames _layerNames = new();
    private readonly NetParameter _deploy = new(), _weights = new();

    private OnnxImporter(ModelProto model, string source, int batch)
    {
        _graph = model.Graph ?? throw new OnnxImportException(source, "holds no graph");
        _source = source;
        _batch = batch;
        _opset = model.OpsetImport.Where(o => string.IsNullOrEmpty(o.Domain) || o.Domain == "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max();
        if (_opset < 9) throw new OnnxImportException(source, $"uses ONNX opset {_opset}; Cortado reads opset 9 and later (convert it with onnx.version_converter)");
        var custom = model.OpsetImport.FirstOrDefault(o => !string.IsNullOrEmpty(o.Domain) && o.Domain != "ai.onnx" && _graph.Node.Any(n => n.Domain == o.Domain));
        if (custom != null) throw new OnnxImportException(source, $"uses operators of the '{custom.Domain}' domain, which are not standard ONNX");
    }

    /// <summary>The deploy net and its weights for <paramref name="model"/>; <paramref name="source"/> names it in errors.</summary>
    public static (NetParameter Deploy, NetParameter Weights) Import(ModelProto model, string source, int batch = 1)
    {
        if (batch < 1) throw new CortadoException($"the batch size must be at least 1, got {batch}");
        return new OnnxImporter(model, source, batch).Build();
    }

    public static ModelProto Read(string path)
    {
        var bytes = IO.FileBytes.Read(path);
        try
        {
            var model = ModelProto.Parser.ParseFrom(bytes);
            return model.Graph != null && model.HasIrVersion ? model
                : throw new ModelFileException(path, "is not an ONNX model: it parses, but has no graph or IR version");
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ModelFileException(path, $"is not an ONNX model (a serialized ModelProto): {e.Message}", e);
        }
    }

    /// <summary>Reads an .onnx file and writes the deploy prototxt and the .caffemodel (both atomically), after building the net once.</summary>
    public static (NetParameter Deploy, NetParameter Weights) ImportFiles(string onnx, string prototxt, string caffemodel, int batch = 1)
    {
        var (deploy, weights) = Import(Read(onnx), onnx, batch);
        using (var net = new Net(deploy, Phase.Test)) net.CopyTrainedLayersFrom(weights, onnx);
        IO.AtomicFile.WriteAllText(prototxt, $"# Imported by Cortado from {Path.GetFileName(onnx)}\n" + TextFormat.Print(deploy));
        ProtoFiles.WriteBinary(caffemodel, weights);
        return (deploy, weights);
    }

    private (NetParameter, NetParameter) Build()
    {
        _deploy.Name = _weights.Name = string.IsNullOrEmpty(_graph.Name) ? "imported" : _graph.Name;
        foreach (var tensor in _graph.Initializer) _constants[tensor.Name] = tensor;
        foreach (var node in _graph.Node)
            foreach (var input in node.Input)
                if (input.Length > 0) (_readers.TryGetValue(input, out var list) ? list : _readers[input] = []).Add(node);
        foreach (var output in _graph.Output) _graphOutputs.Add(output.Name);
        foreach (var input in _graph.Input.Where(i => !_constants.ContainsKey(i.Name))) AddInput(input);
        if (_blobNames.Count == 0) throw new OnnxImportException(_source, "has no graph input that is not a constant");
        for (int i = 0; i < _graph.Node.Count; i++) ImportNode(_graph.Node[i], i);
        foreach (var output in _graph.Output)
            if (!_blobOf.ContainsKey(output.Name)) throw new OnnxImportException(_source, $"graph output '{output.Name}' is a constant or is never computed");
        Rename(_deploy);
        return (_deploy, _weights);
    }

    private void AddInput(ValueInfoProto input)
    {
        var type = input.Type?.TensorType;
        if (type == null || type.ElemType != (int)TensorProto.Types.DataType.Float)
            throw new OnnxImportException($"graph input '{input.Name}'", "is not a float tensor; Caffe nets take float blobs");
        var dims = type.Shape?.Dim ?? throw new OnnxImportException($"graph input '{input.Name}'", "has no shape");
        var shape = new int[dims.Count];
        for (int d = 0; d < dims.Count; d++)
            shape[d] = dims[d].HasDimValue && dims[d].DimValue > 0 ? checked((int)dims[d].DimValue)
                : d == 0 ? _batch : throw new OnnxImportException($"graph input '{input.Name}'", $"dimension {d} has no fixed size; only the batch (dimension 0) may be free");
        var layer = new LayerParameter { Name = LayerName(input.Name), Type = "Input", InputParam = new InputParameter() };
        var blobShape = new BlobShape();
        blobShape.Dim.AddRange(shape.Select(d => (long)d));
        layer.InputParam.Shape.Add(blobShape);
        layer.Top.Add(NewBlob(input.Name));
        _shapes[input.Name] = shape;
        _deploy.Layer.Add(layer);
    }

    // ---------------------------------------------------------------- blobs, layers and names

    /// <summary>Blob references are placeholders until the end, when each blob takes its last value's name.</summary>
    private static string Token(int blob) => $"\u0001{blob}";

    private string NewBlob(string value)
    {
        _blobOf[value] = _blobNames.Count;
        _blobNames.Add(value);
        return Token(_blobOf[value]);
    }

    private string Bottom(NodeProto node, string value) =>
        _blobOf.TryGetValue(value, out int blob) ? Token(blob)
        : _constants.ContainsKey(value) ? throw Refuse(node, $"its input '{value}' is a constant where Caffe needs a computed blob")
        : throw Refuse(node, $"its input '{value}' is not computed by any earlier node");

    /// <summary>Whether <paramref name="node"/> may overwrite its input: nothing else reads it and it is no graph output or input.</summary>
    private bool CanWorkInPlace(string input) =>
        Readers(input).Count == 1 && !_graphOutputs.Contains(input) && _deploy.Layer.All(l => l.Type != "Input" || !l.Top.Contains(Token(_blobOf[input])));

    /// <summary>Adds the Caffe layer for <paramref name="node"/> (its weights, if any, to the .caffemodel).</summary>
    private LayerParameter Layer(NodeProto node, string type, IEnumerable<string> inputs, IEnumerable<string> outputs, bool inPlace = false, params BlobProto[] blobs)
    {
        var layer = new LayerParameter { Name = LayerName(string.IsNullOrEmpty(node.Name) ? $"{node.OpType}_{_deploy.Layer.Count}" : node.Name), Type = type };
        var inputList = inputs.ToList();
        layer.Bottom.AddRange(inputList.Select(i => Bottom(node, i)));
        foreach (var output in outputs)
        {
            if (inPlace && inputList.Count == 1 && CanWorkInPlace(inputList[0]))
            {
                int blob = _blobOf[inputList[0]];
                _blobOf[output] = blob;
                _blobNames[blob] = output;
                layer.Top.Add(Token(blob));
            }
            else layer.Top.Add(NewBlob(output));
        }
        _deploy.Layer.Add(layer);
        if (blobs.Length > 0)
        {
            var stored = new LayerParameter { Name = layer.Name, Type = type };
            stored.Blobs.AddRange(blobs);
            _weights.Layer.Add(stored);
        }
        return layer;
    }

    private string LayerName(string wanted) => _layerNames.Take(wanted);

    private void Rename(NetParameter net)
    {
        string Resolve(string token) => token.Length > 0 && token[0] == '\u0001' ? _blobNames[int.Parse(token.AsSpan(1))] : token;
        foreach (var layer in net.Layer)
        {
            for (int b = 0; b < layer.Bottom.Count; b++) layer.Bottom[b] = Resolve(layer.Bottom[b]);
            for (int t = 0; t < layer.Top.Count; t++) layer.Top[t] = Resolve(layer.Top[t]);
        }
    }

    private static BlobProto Blob(IEnumerable<long> shape, IEnumerable<float> values)
    {
        var blob = new BlobProto { Shape = new BlobShape() };
        blob.Shape.Dim.AddRange(shape);
        blob.Data.AddRange(values);
        return blob;
    }

    // ---------------------------------------------------------------- node inputs and attributes

    private OnnxImportException Refuse(NodeProto node, string why) =>
        new($"{_source}: node '{(string.IsNullOrEmpty(node.Name) ? node.Output.FirstOrDefault() : node.Name)}' ({node.OpType})", why);

    private int[] Shape(NodeProto node, string value) =>
        _shapes.TryGetValue(value, out var shape) ? shape : throw Refuse(node, $"the shape of its input '{value}' is unknown");

    private bool IsConstant(string value) => _constants.ContainsKey(value);

    private TensorProto Constant(NodeProto node, int input) =>
        input < node.Input.Count && _constants.TryGetValue(node.Input[input], out var tensor) ? tensor
        : throw Refuse(node, $"input {input} must be a constant (an initializer); Caffe keeps it as a learned parameter");

    private float[] Floats(NodeProto node, int input) => OnnxTensors.Floats(Constant(node, input), $"{_source}: node '{node.Name}'");

    private static AttributeProto? Attribute(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name);

    private static long Int(NodeProto node, string name, long fallback) => Attribute(node, name) is { } a ? a.I : fallback;

    private static float Float(NodeProto node, string name, float fallback) => Attribute(node, name) is { } a ? a.F : fallback;

    private static string Text(NodeProto node, string name, string fallback) => Attribute(node, name) is { } a ? a.S.ToStringUtf8() : fallback;

    private static long[]? Ints(NodeProto node, string name) => Attribute(node, name) is { } a ? [.. a.Ints] : null;

    private IReadOnlyList<NodeProto> Readers(string value) => _readers.TryGetValue(value, out var list) ? list : [];

    private bool HasInput(NodeProto node, int index) => index < node.Input.Count && node.Input[index].Length > 0;
}
