using Cortado.Onnx.Proto;
using Cortado.Proto;

namespace Cortado.Onnx;

/// <summary>The Caffe layer for each ONNX operator, with its output shapes.</summary>
public sealed partial class OnnxImporter
{
    private const string Supported = "Conv, ConvTranspose, MaxPool, AveragePool, GlobalMaxPool, GlobalAveragePool, Gemm, MatMul, " +
        "Relu, LeakyRelu, PRelu, Elu, Sigmoid, Tanh, Abs, Softplus, Exp, Pow, LRN, BatchNormalization, Add, Sub, Mul, Div, Sum, Max, " +
        "Softmax, Concat, Split, Flatten, Reshape, Transpose, Pad (before an average pooling), Dropout, Identity and Constant";

    private readonly Dictionary<string, (string Input, int PadH, int PadW)> _padded = new(StringComparer.Ordinal);

    private void ImportNode(NodeProto node, int index)
    {
        if (!string.IsNullOrEmpty(node.Domain) && node.Domain != "ai.onnx") throw Refuse(node, $"is an operator of the '{node.Domain}' domain, not standard ONNX");
        foreach (var input in node.Input.Where(i => _padded.ContainsKey(i)))
            if (node.OpType != "AveragePool") throw Refuse(node, $"reads the output of Pad node '{input}'; Caffe has no Pad layer, and a zero Pad is taken only into the average pooling after it");
        string x = node.Input.Count > 0 ? node.Input[0] : "";
        string y = node.Output.Count > 0 ? node.Output[0] : "";
        if (OnnxConstantFolding.TryFold(node, _opset, v => _constants.GetValueOrDefault(v), v => _shapes.GetValueOrDefault(v), $"{_source}: node '{node.Name}'") is { } folded)
        {
            _constants[y] = folded;
            return;
        }
        switch (node.OpType)
        {
            case "Constant":
                var value = Attribute(node, "value")?.T ?? throw Refuse(node, "only the 'value' (tensor) form of Constant is read");
                value.Name = y;
                _constants[y] = value;
                return;
            case "Identity" or "Dropout":
                Alias(node, x, y);
                return;
            case "Conv" or "ConvTranspose":
                Convolution(node, node.OpType == "ConvTranspose");
                return;
            case "MaxPool" or "AveragePool":
                Pooling(node);
                return;
            case "GlobalMaxPool" or "GlobalAveragePool":
                var global = new PoolingParameter { GlobalPooling = true, Pool = node.OpType == "GlobalMaxPool" ? PoolingParameter.Types.PoolMethod.Max : PoolingParameter.Types.PoolMethod.Ave };
                Layer(node, "Pooling", [x], [y]).PoolingParam = global;
                var s = Shape(node, x);
                _shapes[y] = [s[0], s[1], 1, 1];
                return;
            case "Gemm":
                Gemm(node);
                return;
            case "MatMul":
                MatMul(node);
                return;
            case "Relu" or "Sigmoid" or "Tanh" or "Abs" or "Softplus" or "Exp":
                Neuron(node, node.OpType switch { "Relu" => "ReLU", "Tanh" => "TanH", "Abs" => "AbsVal", "Softplus" => "BNLL", var t => t });
                return;
            case "LeakyRelu":
                Neuron(node, "ReLU").ReluParam = new ReLUParameter { NegativeSlope = Float(node, "alpha", 0.01f) };
                return;
            case "Elu":
                Neuron(node, "ELU").EluParam = new ELUParameter { Alpha = Float(node, "alpha", 1f) };
                return;
            case "PRelu":
                PRelu(node);
                return;
            case "LRN":
                long size = Int(node, "size", 0);
                if (size % 2 == 0) throw Refuse(node, $"size {size} is even; Caffe's LRN window is centred (odd)");
                Layer(node, "LRN", [x], [y]).LrnParam = new LRNParameter { LocalSize = (uint)size, Alpha = Float(node, "alpha", 1e-4f), Beta = Float(node, "beta", 0.75f), K = Float(node, "bias", 1f) };
                _shapes[y] = Shape(node, x);
                return;
            case "BatchNormalization":
                BatchNorm(node);
                return;
            case "Add" or "Sub" or "Mul" or "Div":
                Arithmetic(node);
                return;
            case "Sum" or "Max":
                var shapes = node.Input.Select(i => Shape(node, i)).ToList();
                if (shapes.Any(s2 => !s2.SequenceEqual(shapes[0]))) throw Refuse(node, "its inputs differ in shape; Caffe's Eltwise takes inputs of one shape");
                if (node.Input.Count == 1) { Alias(node, x, y); return; }
                Layer(node, "Eltwise", node.Input, [y]).EltwiseParam = new EltwiseParameter { Operation = node.OpType == "Sum" ? EltwiseParameter.Types.EltwiseOp.Sum : EltwiseParameter.Types.EltwiseOp.Max };
                _shapes[y] = shapes[0];
                return;
            case "Pow":
                var exponent = Floats(node, 1);
                if (exponent.Length != 1) throw Refuse(node, "its exponent is not one number; Caffe's Power layer raises to a single power");
                Neuron(node, "Power").PowerParam = new PowerParameter { Power = exponent[0] };
                return;
            case "Softmax":
                Softmax(node);
                return;
            case "Concat":
                Concat(node);
                return;
            case "Split":
                Split(node);
                return;
            case "Flatten":
                Flatten(node);
                return;
            case "Reshape":
                Reshape(node);
                return;
            case "Pad":
                Pad(node);
                return;
            case "Transpose":
                Transpose(node);
                return;
            default:
                throw Refuse(node, $"has no Caffe counterpart in Cortado; the importer reads {Supported}");
        }
    }

    /// <summary>An output that is its input (Identity, inference-time Dropout): no layer, the blob takes the new name where nothing else reads the old.</summary>
    private void Alias(NodeProto node, string x, string y, bool rename = true)
    {
        if (IsConstant(x)) { _constants[y] = _constants[x]; return; }
        _blobOf[y] = _blobOf.TryGetValue(x, out int blob) ? blob : throw Refuse(node, $"its input '{x}' is not computed by any earlier node");
        if (rename && CanWorkInPlace(x)) _blobNames[blob] = y;
        _shapes[y] = Shape(node, x);
    }

    private LayerParameter Neuron(NodeProto node, string type)
    {
        var layer = Layer(node, type, [node.Input[0]], [node.Output[0]], inPlace: type is not ("ELU" or "AbsVal" or "BNLL"));
        _shapes[node.Output[0]] = Shape(node, node.Input[0]);
        return layer;
    }

    private void Convolution(NodeProto node, bool transposed)
    {
        var w = Constant(node, 1);
        if (w.Dims.Count < 3) throw Refuse(node, $"its weights have {w.Dims.Count} dimensions; a convolution's have 2 plus one per spatial axis");
        int axes = w.Dims.Count - 2;
        var xs = Shape(node, node.Input[0]);
        if (xs.Length != axes + 2) throw Refuse(node, $"its input has {xs.Length} dimensions and its weights {w.Dims.Count}; they must agree");
        int group = (int)Int(node, "group", 1);
        long[] shape = [.. w.Dims.Skip(2)];
        long[] kernel = Ints(node, "kernel_shape") ?? shape;
        long[] strides = Ints(node, "strides") ?? Ones(axes), dilations = Ints(node, "dilations") ?? Ones(axes);
        if (!kernel.SequenceEqual(shape)) throw Refuse(node, $"kernel_shape {string.Join("x", kernel)} disagrees with its weights {string.Join("x", shape)}");
        if (Ints(node, "output_padding") is { } extra && extra.Any(e => e != 0)) throw Refuse(node, "output_padding is not 0; Caffe's Deconvolution has none");
        if (Attribute(node, "output_shape") != null) throw Refuse(node, "gives output_shape; write the equivalent pads instead");
        var pads = Padding(node, xs, kernel, strides, dilations);
        int outputs = (int)(transposed ? w.Dims[1] * group : w.Dims[0]);
        var p = new ConvolutionParameter { NumOutput = (uint)outputs, Group = (uint)group, BiasTerm = HasInput(node, 2) };
        if (axes == 2)
        {
            SetPair(kernel[0], kernel[1], v => p.KernelSize.Add(v), v => p.KernelH = v, v => p.KernelW = v);
            SetPair(strides[0], strides[1], v => p.Stride.Add(v), v => p.StrideH = v, v => p.StrideW = v);
            SetPair(pads[0], pads[1], v => p.Pad.Add(v), v => p.PadH = v, v => p.PadW = v);
        }
        else
        {
            // Caffe's N-D spelling: one value for every axis, or one per axis.
            p.KernelSize.AddRange(PerAxis(kernel, 0));
            p.Stride.AddRange(PerAxis(strides, 1));
            p.Pad.AddRange(PerAxis(pads, 0));
        }
        p.Dilation.AddRange(PerAxis(dilations, 1));
        var blobs = new List<BlobProto> { Blob(w.Dims, Floats(node, 1)) };
        if (p.BiasTerm) blobs.Add(Blob([outputs], Floats(node, 2)));
        Layer(node, transposed ? "Deconvolution" : "Convolution", [node.Input[0]], [node.Output[0]], false, [.. blobs]).ConvolutionParam = p;
        int Out(int axis)
        {
            long size = xs[axis + 2], k = dilations[axis] * (kernel[axis] - 1) + 1;
            return (int)(transposed ? strides[axis] * (size - 1) + k - 2 * pads[axis] : (size + 2 * pads[axis] - k) / strides[axis] + 1);
        }
        _shapes[node.Output[0]] = [xs[0], outputs, .. Enumerable.Range(0, axes).Select(Out)];
    }

    private static long[] Ones(int axes) => [.. Enumerable.Repeat(1L, axes)];

    /// <summary>Nothing when every axis has Caffe's default, one value when all agree, else one per axis.</summary>
    private static IEnumerable<uint> PerAxis(long[] values, long fallback) =>
        values.All(v => v == fallback) ? [] : values.Distinct().Count() == 1 ? [(uint)values[0]] : values.Select(v => (uint)v);

    /// <summary>Symmetric padding (Caffe pads both sides alike) from pads or auto_pad, for a dilated kernel.</summary>
    private long[] Padding(NodeProto node, int[] xs, long[] kernel, long[] strides, long[] dilations)
    {
        long[] extent = [.. kernel.Select((k, a) => dilations[a] * (k - 1) + 1)];
        long[] pads = Pads(node, xs, extent, strides);
        int axes = extent.Length;
        if (!pads[..axes].SequenceEqual(pads[axes..]))
            throw Refuse(node, $"pads {string.Join(",", pads)} differ between the start and the end; Caffe pads both sides alike");
        return pads[..axes];
    }

    private static void SetPair(long h, long w, Action<uint> both, Action<uint> setH, Action<uint> setW)
    {
        if (h == w) both((uint)h);
        else { setH((uint)h); setW((uint)w); }
    }

    private void Pooling(NodeProto node)
    {
        bool max = node.OpType == "MaxPool";
        if (Ints(node, "dilations") is { } d && d.Any(v => v != 1)) throw Refuse(node, "has dilations; Caffe's pooling windows are dense");
        if (max && node.Output.Count > 1 && node.Output[1].Length > 0) throw Refuse(node, "asks for the max positions (Indices), which Caffe's deploy nets do not give");
        string x = node.Input[0];
        (int H, int W) prepad = (0, 0);
        if (_padded.TryGetValue(x, out var pad))
        {
            prepad = (pad.PadH, pad.PadW);
            x = pad.Input;
        }
        var xs = Shape(node, x);
        if (xs.Length != 4) throw Refuse(node, $"pools a {xs.Length}-D tensor; Caffe pools N x C x H x W");
        long[] kernel = Ints(node, "kernel_shape") ?? throw Refuse(node, "has no kernel_shape");
        long[] strides = Ints(node, "strides") ?? [1, 1];
        var p = OnnxPooling.Import(msg => Refuse(node, msg), max, xs[2], xs[3], kernel, strides, Pads(node, xs, kernel, strides),
            Int(node, "ceil_mode", 0) != 0, Int(node, "count_include_pad", 0) != 0, prepad, out int outH, out int outW);
        Layer(node, "Pooling", [x], [node.Output[0]]).PoolingParam = p;
        _shapes[node.Output[0]] = [xs[0], xs[1], outH, outW];
    }

    /// <summary>The pads of a window spanning <paramref name="extent"/> per spatial axis (the starts, then the ends), from pads or auto_pad.</summary>
    private long[] Pads(NodeProto node, int[] xs, long[] extent, long[] strides)
    {
        int axes = extent.Length;
        string auto = Text(node, "auto_pad", "NOTSET");
        switch (auto)
        {
            case "SAME_UPPER" or "SAME_LOWER":
                var pads = new long[2 * axes];
                for (int a = 0; a < axes; a++)
                {
                    long size = xs[a + 2], outSize = (size + strides[a] - 1) / strides[a];
                    long total = Math.Max(0, (outSize - 1) * strides[a] + extent[a] - size);
                    pads[a] = auto == "SAME_UPPER" ? total / 2 : total - total / 2;
                    pads[a + axes] = total - pads[a];
                }
                return pads;
            case "VALID":
                return new long[2 * axes];
            case "NOTSET":
                var given = Ints(node, "pads") ?? new long[2 * axes];
                return given.Length == 2 * axes ? given : throw Refuse(node, $"has {given.Length} pads for {axes} spatial axes; ONNX gives a start and an end per axis");
            default:
                throw Refuse(node, $"auto_pad '{auto}' is not one ONNX defines");
        }
    }

    private void Pad(NodeProto node)
    {
        string mode = Text(node, "mode", "constant");
        long[] pads = _opset >= 11 ? OnnxTensors.Int64s(Constant(node, 1), $"{_source}: node '{node.Name}'") : Ints(node, "pads") ?? [];
        float fill = _opset >= 11 ? (HasInput(node, 2) ? Floats(node, 2)[0] : 0f) : Float(node, "value", 0f);
        var xs = Shape(node, node.Input[0]);
        if (mode != "constant" || fill != 0f || pads.Length != 8 || pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0
            || pads[2] != pads[6] || pads[3] != pads[7] || pads.Any(v => v < 0))
            throw Refuse(node, "only a zero Pad of the two spatial axes, alike at both ends, is read (taken into the average pooling after it)");
        _padded[node.Output[0]] = (node.Input[0], (int)pads[2], (int)pads[3]);
        _shapes[node.Output[0]] = [xs[0], xs[1], xs[2] + 2 * (int)pads[2], xs[3] + 2 * (int)pads[3]];
    }

    private void Gemm(NodeProto node)
    {
        if (Int(node, "transA", 0) != 0) throw Refuse(node, "transposes its input (transA); Caffe's InnerProduct takes rows of features");
        var xs = Shape(node, node.Input[0]);
        if (xs.Length != 2) throw Refuse(node, $"its input is {xs.Length}-D; Gemm takes a matrix");
        bool transB = Int(node, "transB", 0) != 0;
        var b = Constant(node, 1);
        float alpha = Float(node, "alpha", 1f), beta = Float(node, "beta", 1f);
        int outputs = (int)(transB ? b.Dims[0] : b.Dims[1]);
        var weights = Floats(node, 1).Select(v => v * alpha);
        var blobs = new List<BlobProto> { Blob(b.Dims, weights) };
        bool bias = HasInput(node, 2);
        if (bias)
        {
            var c = Floats(node, 2);
            if (c.Length != outputs && c.Length != 1) throw Refuse(node, $"its bias C has {c.Length} values for {outputs} outputs; Caffe adds one bias per output");
            blobs.Add(Blob([outputs], c.Length == 1 ? Enumerable.Repeat(c[0] * beta, outputs) : c.Select(v => v * beta)));
        }
        // Caffe's weights are outputs x inputs; with transpose: true, inputs x outputs (ONNX's B without transB).
        Layer(node, "InnerProduct", [node.Input[0]], [node.Output[0]], false, [.. blobs]).InnerProductParam =
            new InnerProductParameter { NumOutput = (uint)outputs, BiasTerm = bias, Transpose = !transB };
        _shapes[node.Output[0]] = [xs[0], outputs];
    }

    private void MatMul(NodeProto node)
    {
        var xs = Shape(node, node.Input[0]);
        var b = Constant(node, 1);
        if (xs.Length != 2 || b.Dims.Count != 2) throw Refuse(node, "only a matrix times a constant matrix is read (an InnerProduct without bias)");
        Layer(node, "InnerProduct", [node.Input[0]], [node.Output[0]], false, Blob(b.Dims, Floats(node, 1))).InnerProductParam =
            new InnerProductParameter { NumOutput = (uint)b.Dims[1], BiasTerm = false, Transpose = true };
        _shapes[node.Output[0]] = [xs[0], (int)b.Dims[1]];
    }

    private void PRelu(NodeProto node)
    {
        var xs = Shape(node, node.Input[0]);
        var slope = Floats(node, 1);
        bool shared = slope.Length == 1;
        if (!shared && (xs.Length < 2 || slope.Length != xs[1])) throw Refuse(node, $"has {slope.Length} slopes for {(xs.Length > 1 ? xs[1] : 0)} channels; Caffe's PReLU has one per channel, or one shared");
        var layer = Layer(node, "PReLU", [node.Input[0]], [node.Output[0]], true, Blob(shared ? [] : [slope.Length], slope));
        layer.PreluParam = new PReLUParameter { ChannelShared = shared };
        _shapes[node.Output[0]] = xs;
    }

    private void BatchNorm(NodeProto node)
    {
        if (Int(node, "training_mode", 0) != 0 || node.Output.Count(o => o.Length > 0) > 1)
            throw Refuse(node, "is in training mode; an imported net normalises by the stored statistics");
        var xs = Shape(node, node.Input[0]);
        float[] scale = Floats(node, 1), shift = Floats(node, 2), mean = Floats(node, 3), variance = Floats(node, 4);
        int channels = xs[1];
        if (new[] { scale, shift, mean, variance }.Any(v => v.Length != channels)) throw Refuse(node, $"its statistics do not have one value per channel ({channels})");
        bool affine = scale.Any(v => v != 1f) || shift.Any(v => v != 0f);
        string normalised = affine ? node.Output[0] + "/normalised" : node.Output[0];
        if (affine) _readers[normalised] = [node];
        Layer(node, "BatchNorm", [node.Input[0]], [normalised], true, Blob([channels], mean), Blob([channels], variance), Blob([1], [1f]))
            .BatchNormParam = new BatchNormParameter { UseGlobalStats = true, Eps = Float(node, "epsilon", 1e-5f) };
        _shapes[normalised] = xs;
        if (!affine) return;
        var scaleNode = new NodeProto { Name = (string.IsNullOrEmpty(node.Name) ? node.Output[0] : node.Name) + "/scale", OpType = node.OpType };
        Layer(scaleNode, "Scale", [normalised], [node.Output[0]], true, Blob([channels], scale), Blob([channels], shift))
            .ScaleParam = new ScaleParameter { BiasTerm = true };
        _shapes[node.Output[0]] = xs;
    }

    private void Softmax(NodeProto node)
    {
        var xs = Shape(node, node.Input[0]);
        long axis = Int(node, "axis", _opset >= 13 ? -1 : 1);
        if (axis < 0) axis += xs.Length;
        // Before opset 13 Softmax normalised over every axis from `axis` on; that is Caffe's only when those that follow are 1.
        if (_opset < 13 && xs.Skip((int)axis + 1).Any(d => d != 1)) throw Refuse(node, $"normalises over axes {axis}.. of {string.Join("x", xs)} together (opset {_opset}); Caffe's Softmax normalises one axis");
        Layer(node, "Softmax", [node.Input[0]], [node.Output[0]]).SoftmaxParam = new SoftmaxParameter { Axis = (int)axis };
        _shapes[node.Output[0]] = xs;
    }

    private void Concat(NodeProto node)
    {
        var shapes = node.Input.Select(i => Shape(node, i)).ToList();
        long axis = Int(node, "axis", 1);
        if (axis < 0) axis += shapes[0].Length;
        Layer(node, "Concat", node.Input, [node.Output[0]]).ConcatParam = new ConcatParameter { Axis = (int)axis };
        var shape = (int[])shapes[0].Clone();
        shape[axis] = shapes.Sum(s => s[axis]);
        _shapes[node.Output[0]] = shape;
    }

    private void Split(NodeProto node)
    {
        var xs = Shape(node, node.Input[0]);
        long axis = Int(node, "axis", 0);
        if (axis < 0) axis += xs.Length;
        long[] sizes = _opset >= 13
            ? HasInput(node, 1) ? OnnxTensors.Int64s(Constant(node, 1), $"{_source}: node '{node.Name}'") : []
            : Ints(node, "split") ?? [];
        if (sizes.Length == 0)
        {
            if (xs[axis] % node.Output.Count != 0) throw Refuse(node, $"splits {xs[axis]} into {node.Output.Count} unequal parts without saying their sizes");
            sizes = [.. Enumerable.Repeat((long)(xs[axis] / node.Output.Count), node.Output.Count)];
        }
        if (sizes.Sum() != xs[axis]) throw Refuse(node, $"split sizes {string.Join(",", sizes)} do not add up to {xs[axis]}");
        var p = new SliceParameter { Axis = (int)axis };
        for (long point = 0, k = 0; k < sizes.Length - 1; k++) p.SlicePoint.Add((uint)(point += sizes[k]));
        Layer(node, "Slice", [node.Input[0]], node.Output).SliceParam = p;
        for (int k = 0; k < sizes.Length; k++)
        {
            var shape = (int[])xs.Clone();
            shape[axis] = (int)sizes[k];
            _shapes[node.Output[k]] = shape;
        }
    }

    private void Flatten(NodeProto node)
    {
        var xs = Shape(node, node.Input[0]);
        long axis = Int(node, "axis", 1);
        if (axis < 0) axis += xs.Length;
        int outer = xs.Take((int)axis).Aggregate(1, (a, b) => a * b), inner = xs.Skip((int)axis).Aggregate(1, (a, b) => a * b);
        if (axis == 1 && Readers(node.Output[0]) is [{ OpType: "Gemm" or "MatMul" }] && !_graphOutputs.Contains(node.Output[0]))
        {
            // Caffe's InnerProduct flattens from axis 1 itself: no layer, the product reads the 4-D blob.
            Alias(node, node.Input[0], node.Output[0], rename: false);
        }
        else if (axis == 1) Layer(node, "Flatten", [node.Input[0]], [node.Output[0]]).FlattenParam = new FlattenParameter { Axis = 1 };
        else ReshapeLayer(node, [outer, inner]);
        _shapes[node.Output[0]] = [outer, inner];
    }

    /// <summary>ONNX's Transpose as SSD's Permute (Cortado carries it); ONNX's default perm reverses the axes.</summary>
    private void Transpose(NodeProto node)
    {
        var xs = Shape(node, node.Input[0]);
        long[] perm = Ints(node, "perm") ?? Enumerable.Range(0, xs.Length).Reverse().Select(a => (long)a).ToArray();
        if (perm.Length != xs.Length || !perm.Order().Select(a => (int)a).SequenceEqual(Enumerable.Range(0, xs.Length)))
            throw Refuse(node, $"perm ({string.Join(", ", perm)}) is not an order of the input's {xs.Length} axes");
        var permute = new PermuteParameter();
        permute.Order.AddRange(perm.Select(a => (uint)a));
        Layer(node, "Permute", [node.Input[0]], [node.Output[0]]).PermuteParam = permute;
        _shapes[node.Output[0]] = perm.Select(a => xs[a]).ToArray();
    }

    private void Reshape(NodeProto node)
    {
        var xs = Shape(node, node.Input[0]);
        var target = OnnxTensors.Int64s(Constant(node, 1), $"{_source}: node '{node.Name}'");
        if (Int(node, "allowzero", 0) != 0 && target.Contains(0)) throw Refuse(node, "allowzero makes 0 a size, where Caffe's Reshape reads 0 as 'copy'");
        var shape = target.Select((d, i) => d == 0 ? xs[i] : (int)d).ToArray();
        int known = shape.Where(d => d != -1).Aggregate(1, (a, b) => a * b), count = xs.Aggregate(1, (a, b) => a * b);
        for (int i = 0; i < shape.Length; i++) if (shape[i] == -1) shape[i] = count / known;
        // An unchanged batch (often computed by a Shape subgraph for the batch size imported at) is written as Caffe's 0, "copy".
        if (target.Length > 0 && target[0] == xs[0]) target[0] = 0;
        ReshapeLayer(node, target);
        _shapes[node.Output[0]] = shape;
    }

    private void ReshapeLayer(NodeProto node, IEnumerable<long> dims)
    {
        var shape = new BlobShape();
        shape.Dim.AddRange(dims);
        Layer(node, "Reshape", [node.Input[0]], [node.Output[0]]).ReshapeParam = new ReshapeParameter { Shape = shape };
    }

    /// <summary>Add, Sub, Mul, Div: of two blobs an Eltwise; with a constant a Power (one number) or a Scale/Bias (per channel).</summary>
    private void Arithmetic(NodeProto node)
    {
        string op = node.OpType, y = node.Output[0];
        bool firstConstant = IsConstant(node.Input[0]), secondConstant = IsConstant(node.Input[1]);
        if (firstConstant && secondConstant) throw Refuse(node, "combines two constants; fold them before importing");
        if (!firstConstant && !secondConstant)
        {
            var a = Shape(node, node.Input[0]);
            if (!a.SequenceEqual(Shape(node, node.Input[1]))) throw Refuse(node, "its inputs differ in shape; Caffe's Eltwise takes inputs of one shape");
            if (op == "Div") throw Refuse(node, "divides one blob by another, which no Caffe layer does");
            var p = new EltwiseParameter { Operation = op == "Mul" ? EltwiseParameter.Types.EltwiseOp.Prod : EltwiseParameter.Types.EltwiseOp.Sum };
            if (op == "Sub") p.Coeff.AddRange([1f, -1f]);
            Layer(node, "Eltwise", node.Input, [y]).EltwiseParam = p;
            _shapes[y] = a;
            return;
        }
        int valueIndex = firstConstant ? 1 : 0;
        string x = node.Input[valueIndex];
        var xs = Shape(node, x);
        var constant = Constant(node, 1 - valueIndex);
        var values = Floats(node, 1 - valueIndex);
        if (firstConstant && op is "Div") throw Refuse(node, "divides a constant by a blob, which no Caffe layer does");
        bool negate = op == "Sub" && firstConstant; // c - x = -x + c
        if (op == "Sub" && !firstConstant) values = [.. values.Select(v => -v)];
        if (op == "Div") values = [.. values.Select(v => 1f / v)];
        bool multiplies = op is "Mul" or "Div";
        if (values.Length == 1)
        {
            var power = multiplies ? new PowerParameter { Scale = values[0] } : new PowerParameter { Shift = values[0], Scale = negate ? -1f : 1f };
            Layer(node, "Power", [x], [y], inPlace: true).PowerParam = power;
            _shapes[y] = xs;
            return;
        }
        if (negate) throw Refuse(node, "subtracts a blob from a per-channel constant; write it as an Add of the negated blob");
        var (axis, shape) = BroadcastAxes(node, constant.Dims, xs);
        var blob = Blob(shape.Select(d => (long)d), values);
        if (multiplies) Layer(node, "Scale", [x], [y], true, blob).ScaleParam = new ScaleParameter { Axis = axis, NumAxes = shape.Length };
        else Layer(node, "Bias", [x], [y], true, blob).BiasParam = new BiasParameter { Axis = axis, NumAxes = shape.Length };
        _shapes[y] = xs;
    }

    /// <summary>The axes a constant spans when broadcast against <paramref name="xs"/> (numpy's right alignment), as Caffe's Scale/Bias axis and shape.</summary>
    private (int Axis, int[] Shape) BroadcastAxes(NodeProto node, IList<long> dims, int[] xs)
    {
        if (dims.Count > xs.Length) throw Refuse(node, "its constant has more dimensions than its input");
        var aligned = Enumerable.Repeat(1L, xs.Length - dims.Count).Concat(dims).ToArray();
        int first = Array.FindIndex(aligned, d => d != 1), last = Array.FindLastIndex(aligned, d => d != 1);
        for (int i = first; i <= last; i++)
            if (aligned[i] != xs[i]) throw Refuse(node, $"its constant {string.Join("x", dims)} does not span whole axes of {string.Join("x", xs)}; Caffe's Scale and Bias take one value per position of consecutive axes");
        return (first, xs[first..(last + 1)]);
    }
}
