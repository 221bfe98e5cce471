using System.Reflection;
using Cortado.Errors;
using Cortado.Layers;
using Cortado.Nets;
using Cortado.Onnx.Proto;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Onnx;

/// <summary>
/// Writes a deploy net and its weights as an ONNX model (opset 13). Each Caffe layer becomes
/// the ONNX operators that compute exactly what it computes: Caffe's rounded-up pooling is
/// written as explicit end padding, a BatchNorm followed by its Scale becomes one
/// BatchNormalization, Dropout and Split vanish. A layer ONNX inference cannot express (a loss,
/// a data layer, STOCHASTIC pooling) is refused with its name. Caffe's in-place layers write a
/// new ONNX value each time; the last value of a blob keeps the blob's name, so outputs are named
/// as in the prototxt. The batch dimension is left free ("N") unless a layer works across it.
/// </summary>
public sealed class OnnxExporter
{
    public const int Opset = 13;
    private const int IrVersion = 7; // the IR version that goes with opset 13
    private const string Batch = "N";

    private readonly Net _net;
    private readonly OnnxGraphBuilder _graph = new();
    private readonly Dictionary<Blob, string> _value = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Blob, int> _writesLeft = new(ReferenceEqualityComparer.Instance);
    private readonly List<(string Name, Blob Blob)> _inputs = [];
    private bool _staticBatch;

    private OnnxExporter(Net net) => _net = net;

    /// <summary>The ONNX model of <paramref name="net"/> with its current weights (build it in the TEST phase).</summary>
    public static ModelProto Export(Net net) => new OnnxExporter(net).Build();

    /// <summary>Loads a deploy prototxt and its weights and writes the ONNX model atomically.</summary>
    public static void ExportFiles(string deploy, string weights, string output)
    {
        using var net = new Net(ProtoFiles.ReadNetText(deploy), Phase.Test);
        net.CopyTrainedLayersFrom(ProtoFiles.ReadWeights(weights), weights);
        var model = Export(net);
        IO.AtomicFile.Write(output, stream => Google.Protobuf.MessageExtensions.WriteTo(model, stream));
    }

    private ModelProto Build()
    {
        CountWrites();
        for (int i = 0; i < _net.Layers.Count; i++) i += ExportLayer(i);
        if (_inputs.Count == 0) throw new CortadoException($"net '{_net.Name}' has no Input layer: ONNX needs the net's input as a graph input (export the deploy net)");
        foreach (var (name, blob) in _inputs) _graph.Graph.Input.Add(OnnxGraphBuilder.FloatValue(name, blob.Shape, _staticBatch ? null : Batch));
        foreach (var blob in _net.Outputs)
        {
            string value = _value[blob];
            if (value != blob.Name && !_inputs.Any(i => i.Name == blob.Name))
            {
                string named = _graph.Unique(blob.Name);
                _graph.Node("Identity", _graph.UniqueNode(blob.Name), [value], [named]);
                value = named;
            }
            _graph.Graph.Output.Add(OnnxGraphBuilder.FloatValue(value, blob.Shape, _staticBatch ? null : Batch));
        }
        _graph.Graph.Name = string.IsNullOrEmpty(_net.Name) ? "cortado" : _net.Name;
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "Cortado",
            ProducerVersion = typeof(OnnxExporter).Assembly.GetName().Version?.ToString(3) ?? "",
            Graph = _graph.Graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return model;
    }

    private static bool IsAlias(Layer layer) => layer.Type is "Split" or "Dropout" or "SpatialDropout";

    private void CountWrites()
    {
        foreach (var (layer, i) in _net.Layers.Select((l, i) => (l, i)))
            if (!IsAlias(layer))
                foreach (var top in _net.Tops[i]) _writesLeft[top] = _writesLeft.GetValueOrDefault(top) + 1;
    }

    /// <summary>The ONNX name for the next value of <paramref name="top"/>: its own name once it is the blob's last.</summary>
    private string Produce(Blob top, string layerName)
    {
        int left = --_writesLeft[top];
        string name = _graph.Unique(left == 0 ? top.Name : $"{top.Name}@{layerName}");
        _value[top] = name;
        return name;
    }

    private string In(Blob blob) => _value.TryGetValue(blob, out var name) ? name
        : throw new CortadoException($"blob '{blob.Name}' is read before any layer writes it");

    /// <summary>Exports layer <paramref name="i"/>; returns how many following layers it absorbed.</summary>
    private int ExportLayer(int i)
    {
        var layer = _net.Layers[i];
        var bottom = _net.Bottoms[i];
        var top = _net.Tops[i];
        var p = layer.Param;
        string name = layer.Name;
        switch (layer.Type)
        {
            case "Input":
                foreach (var t in top)
                {
                    _graph.Reserve(t.Name);
                    _writesLeft[t]--;
                    _value[t] = t.Name;
                    _inputs.Add((t.Name, t));
                }
                return 0;
            case "Split" or "Dropout" or "SpatialDropout":
                foreach (var t in top) _value[t] = In(bottom[0]);
                return 0;
            case "Silence":
                return 0;
            case "Convolution" or "Deconvolution":
                Emit(top[0], name, Convolution(layer, In(bottom[0])));
                return 0;
            case "Pooling":
                if (top.Count > 1) throw Refuse(layer, "its second top (the max positions) has no ONNX counterpart in inference");
                Emit(top[0], name, OnnxPooling.Export(_graph, layer, In(bottom[0]), bottom[0], top[0]));
                return 0;
            case "InnerProduct":
                Emit(top[0], name, InnerProduct(layer, In(bottom[0]), bottom[0], top[0]));
                return 0;
            case "ReLU":
                float slope = p.ReluParam?.NegativeSlope ?? 0f;
                Emit(top[0], name, slope == 0f ? _graph.Op("Relu", name, In(bottom[0]))
                    : _graph.Op("LeakyRelu", name, n => n.Float("alpha", slope), In(bottom[0])));
                return 0;
            case "PReLU":
                var slopes = layer.Blobs[0];
                long[] slopeDims = slopes.Count == 1 ? [1] : [slopes.Count, .. Enumerable.Repeat(1L, bottom[0].NumAxes - 2)];
                Emit(top[0], name, _graph.Op("PRelu", name, In(bottom[0]), _graph.FloatTensor(name + "/slope", slopeDims, slopes.HostData)));
                return 0;
            case "ELU":
                Emit(top[0], name, _graph.Op("Elu", name, n => n.Float("alpha", p.EluParam?.Alpha ?? 1f), In(bottom[0])));
                return 0;
            case "Sigmoid" or "TanH" or "AbsVal" or "BNLL":
                string op = layer.Type switch { "Sigmoid" => "Sigmoid", "TanH" => "Tanh", "AbsVal" => "Abs", _ => "Softplus" };
                Emit(top[0], name, _graph.Op(op, name, In(bottom[0])));
                return 0;
            case "Power":
                Emit(top[0], name, Power(name, In(bottom[0]), p.PowerParam ?? new PowerParameter()));
                return 0;
            case "Exp":
                Emit(top[0], name, Exp(name, In(bottom[0]), p.ExpParam ?? new ExpParameter()));
                return 0;
            case "LRN":
                Emit(top[0], name, Lrn(name, In(bottom[0]), p.LrnParam ?? new LRNParameter()));
                return 0;
            case "BatchNorm":
                return BatchNorm(i);
            case "Scale" or "Bias":
                Emit(top[0], name, ScaleOrBias(layer, bottom, top[0]));
                return 0;
            case "Softmax":
                int softmaxAxis = Axis(bottom[0], p.SoftmaxParam?.Axis ?? 1);
                Emit(top[0], name, _graph.Op("Softmax", name, n => n.Int("axis", softmaxAxis), In(bottom[0])));
                return 0;
            case "Concat":
                var c = p.ConcatParam ?? new ConcatParameter();
                int concatAxis = Axis(bottom[0], c.HasConcatDim && !c.HasAxis ? (int)c.ConcatDim : c.Axis);
                Emit(top[0], name, _graph.Op("Concat", name, n => n.Int("axis", concatAxis), [.. bottom.Select(In)]));
                return 0;
            case "Slice":
                Slice(layer, bottom[0], top);
                return 0;
            case "Eltwise":
                Emit(top[0], name, Eltwise(layer, bottom));
                return 0;
            case "Permute":
                var order = ((PermuteLayer)layer).Order.Select(a => (long)a).ToArray();
                Emit(top[0], name, _graph.Op("Transpose", name, n => n.Ints("perm", order), In(bottom[0])));
                return 0;
            case "Flatten" or "Reshape":
                bool flat2d = layer.Type == "Flatten" && top[0].NumAxes == 2 && bottom[0].CanonicalAxis(p.FlattenParam?.Axis ?? 1) == 1;
                Emit(top[0], name, flat2d ? _graph.Op("Flatten", name, n => n.Int("axis", 1), In(bottom[0])) : ReshapeTo(name, In(bottom[0]), bottom[0], top[0]));
                return 0;
            default:
                throw Refuse(layer, Explain(layer));
        }
    }

    private static string Explain(Layer layer) => layer switch
    {
        LossLayer => "it is a loss layer; export the deploy net (an Input layer and no loss or accuracy layers)",
        AccuracyLayer or ArgMaxLayer => "it evaluates predictions against labels; export the deploy net, which ends in the probabilities",
        _ when layer.RunsOnHost => "it reads a dataset; ONNX takes the net's input as a graph input: export the deploy net with an Input layer",
        _ => "ONNX export covers Input, Convolution, Deconvolution, Pooling, InnerProduct, ReLU, PReLU, ELU, Sigmoid, TanH, AbsVal, BNLL, " +
             "Power, Exp, LRN, BatchNorm, Scale, Bias, Softmax, Concat, Slice, Eltwise, Flatten, Reshape, Permute, Dropout and Split",
    };

    internal static LayerException Refuse(Layer layer, string why) => new(layer.Name, layer.Type, $"cannot be exported to ONNX: {why}");

    private void Emit(Blob top, string layerName, string computed)
    {
        string name = Produce(top, layerName);
        if (name == computed) return;
        // The computing node got a provisional name; give its single output the blob's.
        var node = _graph.Graph.Node.Last(n => n.Output.Contains(computed));
        node.Output[node.Output.IndexOf(computed)] = name;
    }

    private int Axis(Blob blob, int axis)
    {
        int canonical = blob.CanonicalAxis(axis);
        if (canonical == 0) _staticBatch = true;
        return canonical;
    }

    private string Convolution(Layer layer, string x)
    {
        var p = layer.Param.ConvolutionParam;
        var weights = layer.Blobs[0];
        // ONNX's Conv has channels on axis 1 and any number of spatial axes after it, as the weights have.
        int axes = weights.NumAxes - 2;
        if ((p.Axis < 0 ? p.Axis + weights.NumAxes : p.Axis) != 1)
            throw Refuse(layer, $"channels on axis {p.Axis}; ONNX's Conv takes them on axis 1");
        var w = ConvolutionParams.ReadNd(p, axes, problem => new LayerException(layer.Name, layer.Type, problem));
        var inputs = new List<string> { x, BlobTensor(layer.Name + "/W", weights) };
        if (p.BiasTerm) inputs.Add(BlobTensor(layer.Name + "/B", layer.Blobs[1]));
        static long[] Longs(IEnumerable<int> values) => [.. values.Select(v => (long)v)];
        return _graph.Op(layer.Type == "Convolution" ? "Conv" : "ConvTranspose", layer.Name, n => n
            .Ints("kernel_shape", Longs(w.Kernel))
            .Ints("strides", Longs(w.Stride))
            .Ints("pads", Longs([.. w.Pad, .. w.Pad]))
            .Ints("dilations", Longs(w.Dilation))
            .Int("group", p.Group), [.. inputs]);
    }

    private string InnerProduct(Layer layer, string x, Blob bottom, Blob top)
    {
        var p = layer.Param.InnerProductParam;
        int axis = Axis(bottom, p.Axis);
        string flat = bottom.NumAxes == 2 && axis == 1 ? x : _graph.Op("Flatten", layer.Name + "/flat", n => n.Int("axis", axis), x);
        var inputs = new List<string> { flat, BlobTensor(layer.Name + "/W", layer.Blobs[0]) };
        if (p.BiasTerm) inputs.Add(BlobTensor(layer.Name + "/B", layer.Blobs[1]));
        string y = _graph.Op("Gemm", layer.Name, n => n.Int("transB", p.Transpose ? 0 : 1), [.. inputs]);
        // Gemm's output is 2-D (the axes before `axis` flattened); -1 restores the batch from it.
        return top.NumAxes == 2 && axis == 1 ? y : ReshapeTo(layer.Name + "/shape", y, bottom, top, batchFromOthers: true);
    }

    /// <summary>
    /// A Reshape to <paramref name="top"/>'s shape. An unchanged batch dimension stays free: copied from
    /// the input (0), or inferred from the other dimensions (-1) where the input's first axis is not the batch.
    /// </summary>
    private string ReshapeTo(string name, string x, Blob bottom, Blob top, bool batchFromOthers = false)
    {
        long[] dims = [.. top.Shape.Select(d => (long)d)];
        if (top.Shape[0] == bottom.Shape[0]) dims[0] = batchFromOthers ? -1 : 0;
        else _staticBatch = true;
        return _graph.Op("Reshape", name, x, _graph.Int64Tensor(name + "/shape", dims));
    }

    private string Power(string name, string x, PowerParameter p)
    {
        string y = x;
        if (p.Scale != 1f) y = _graph.Op("Mul", name + "/scale", y, _graph.Scalar(name + "/scale", p.Scale));
        if (p.Shift != 0f) y = _graph.Op("Add", name + "/shift", y, _graph.Scalar(name + "/shift", p.Shift));
        if (p.Power != 1f) y = _graph.Op("Pow", name, y, _graph.Scalar(name + "/power", p.Power));
        return y == x ? _graph.Op("Identity", name, x) : y;
    }

    private string Exp(string name, string x, ExpParameter p)
    {
        // base^(shift + scale x) = exp(ln(base) shift + ln(base) scale x); base -1 is e.
        float logBase = p.Base == -1f ? 1f : MathF.Log(p.Base);
        string y = x;
        if (p.Scale * logBase != 1f) y = _graph.Op("Mul", name + "/scale", y, _graph.Scalar(name + "/scale", p.Scale * logBase));
        if (p.Shift != 0f) y = _graph.Op("Add", name + "/shift", y, _graph.Scalar(name + "/shift", p.Shift * logBase));
        return _graph.Op("Exp", name, y);
    }

    private string Lrn(string name, string x, LRNParameter p)
    {
        if (p.NormRegion == LRNParameter.Types.NormRegion.AcrossChannels)
            return _graph.Op("LRN", name, n => n.Int("size", p.LocalSize).Float("alpha", p.Alpha).Float("beta", p.Beta).Float("bias", p.K), x);
        // WITHIN_CHANNEL: x (1 + alpha avg_{n x n} x^2)^-beta, the average over a zero-padded window.
        long pad = (p.LocalSize - 1) / 2;
        string squares = _graph.Op("Mul", name + "/square", x, x);
        string average = _graph.Op("AveragePool", name + "/average", n => n
            .Ints("kernel_shape", p.LocalSize, p.LocalSize).Ints("strides", 1, 1).Ints("pads", pad, pad, pad, pad).Int("count_include_pad", 1), squares);
        string scaled = _graph.Op("Mul", name + "/alpha", average, _graph.Scalar(name + "/alpha", p.Alpha));
        string shifted = _graph.Op("Add", name + "/one", scaled, _graph.Scalar(name + "/one", 1f));
        string power = _graph.Op("Pow", name + "/power", shifted, _graph.Scalar(name + "/beta", -p.Beta));
        return _graph.Op("Mul", name, x, power);
    }

    private int BatchNorm(int i)
    {
        var layer = _net.Layers[i];
        var bottom = _net.Bottoms[i][0];
        var top = _net.Tops[i][0];
        var p = layer.Param.BatchNormParam ?? new BatchNormParameter();
        if (p.HasUseGlobalStats && !p.UseGlobalStats)
            throw Refuse(layer, "use_global_stats: false normalises by each batch's own statistics, which ONNX inference does not do");
        int channels = bottom.Shape[1];
        float stored = layer.Blobs[2].HostData[0], factor = stored == 0f ? 0f : 1f / stored;
        var mean = layer.Blobs[0].HostData.ToArray().Select(v => v * factor).ToArray();
        var variance = layer.Blobs[1].HostData.ToArray().Select(v => v * factor).ToArray();
        float[] scale = [.. Enumerable.Repeat(1f, channels)], shift = new float[channels];
        // A Scale right after, reading only this output per channel, is the BatchNorm's affine part in ONNX.
        int absorbed = 0;
        string outputName = layer.Name;
        Blob output = top;
        if (i + 1 < _net.Layers.Count && _net.Layers[i + 1] is ScaleLayer next && _net.Bottoms[i + 1].Count == 1
            && ReferenceEquals(_net.Bottoms[i + 1][0], top) && next.Blobs[0].Count == channels
            && bottom.CanonicalAxis(next.Param.ScaleParam?.Axis ?? 1) == 1 && !ReadAfter(top, i + 2, _net.Tops[i + 1][0]))
        {
            scale = next.Blobs[0].HostData.ToArray();
            if (next.Blobs.Count > 1) shift = next.Blobs[1].HostData.ToArray();
            absorbed = 1;
            output = _net.Tops[i + 1][0];
            outputName = next.Name;
            _writesLeft[top]--; // the BatchNorm's own value is never written on its own
        }
        long[] dims = [channels];
        string y = _graph.Op("BatchNormalization", outputName, n => n.Float("epsilon", p.Eps), In(bottom),
            _graph.FloatTensor(layer.Name + "/scale", dims, scale), _graph.FloatTensor(layer.Name + "/B", dims, shift),
            _graph.FloatTensor(layer.Name + "/mean", dims, mean), _graph.FloatTensor(layer.Name + "/var", dims, variance));
        Emit(output, outputName, y);
        return absorbed;
    }

    /// <summary>Whether a layer from <paramref name="from"/> on reads <paramref name="blob"/> as it is now (before the next write replaces it).</summary>
    private bool ReadAfter(Blob blob, int from, Blob replacedBy)
    {
        if (ReferenceEquals(blob, replacedBy)) return false; // in place: later readers see the Scale's output
        for (int j = from; j < _net.Layers.Count; j++)
        {
            if (_net.Bottoms[j].Any(b => ReferenceEquals(b, blob))) return true;
            if (_net.Tops[j].Any(t => ReferenceEquals(t, blob))) return false;
        }
        return _net.Outputs.Contains(blob);
    }

    private string ScaleOrBias(Layer layer, IReadOnlyList<Blob> bottom, Blob top)
    {
        bool isScale = layer.Type == "Scale";
        int axis = Axis(bottom[0], isScale ? layer.Param.ScaleParam?.Axis ?? 1 : layer.Param.BiasParam?.Axis ?? 1);
        string x = In(bottom[0]);
        string factor;
        int rank = bottom[0].NumAxes;
        if (bottom.Count > 1)
        {
            var operand = bottom[1];
            long[] dims = BroadcastDims(operand, rank, axis);
            if (axis == 0 || operand.Shape[0] != bottom[0].Shape[0]) _staticBatch = true;
            factor = _graph.Op("Reshape", layer.Name + "/operand", In(operand), _graph.Int64Tensor(layer.Name + "/operand_shape", dims));
        }
        else factor = BroadcastConstant(layer.Name + (isScale ? "/scale" : "/bias"), layer.Blobs[0], rank, axis);
        string y = _graph.Op(isScale ? "Mul" : "Add", layer.Name, x, factor);
        if (isScale && layer.Param.ScaleParam?.BiasTerm == true)
            y = _graph.Op("Add", layer.Name + "/bias", y, BroadcastConstant(layer.Name + "/bias", layer.Blobs[^1], rank, axis));
        return y;
    }

    /// <summary>A parameter over axes [axis, axis + its rank) as a tensor that broadcasts against the bottom (trailing ones).</summary>
    private string BroadcastConstant(string name, Blob values, int rank, int axis)
    {
        return _graph.FloatTensor(name, BroadcastDims(values, rank, axis), values.HostData);
    }

    private void Slice(Layer layer, Blob bottom, IReadOnlyList<Blob> top)
    {
        var p = layer.Param.SliceParam ?? new SliceParameter();
        int axis = Axis(bottom, p.HasSliceDim && !p.HasAxis ? (int)p.SliceDim : p.Axis);
        string sizes = _graph.Int64Tensor(layer.Name + "/split", [.. top.Select(t => (long)t.Shape[axis])]);
        var outputs = top.Select(t => Produce(t, layer.Name)).ToList();
        _graph.Node("Split", _graph.UniqueNode(layer.Name), [In(bottom), sizes], outputs).Int("axis", axis);
    }

    private string Eltwise(Layer layer, IReadOnlyList<Blob> bottom)
    {
        var p = layer.Param.EltwiseParam ?? new EltwiseParameter();
        var inputs = bottom.Select(In).ToList();
        switch (p.Operation)
        {
            case EltwiseParameter.Types.EltwiseOp.Prod:
                string product = inputs[0];
                for (int k = 1; k < inputs.Count; k++) product = _graph.Op("Mul", layer.Name, product, inputs[k]);
                return product;
            case EltwiseParameter.Types.EltwiseOp.Max:
                return _graph.Op("Max", layer.Name, [.. inputs]);
            default:
                for (int k = 0; k < p.Coeff.Count; k++)
                    if (p.Coeff[k] != 1f) inputs[k] = _graph.Op("Mul", $"{layer.Name}/coeff{k}", inputs[k], _graph.Scalar($"{layer.Name}/coeff{k}", p.Coeff[k]));
                return _graph.Op("Sum", layer.Name, [.. inputs]);
        }
    }

    /// <summary>A blob's shape followed by ones up to <paramref name="rank"/>, so it broadcasts over the axes from <paramref name="axis"/> on.</summary>
    private static long[] BroadcastDims(Blob values, int rank, int axis) =>
        [.. values.Shape.Select(d => (long)d), .. Enumerable.Repeat(1L, rank - axis - values.NumAxes)];

    /// <summary>A parameter blob as an initializer of its own shape.</summary>
    private string BlobTensor(string name, Blob blob) => _graph.FloatTensor(name, [.. blob.Shape.Select(d => (long)d)], blob.HostData);
}
