using System.Text.Json;
using Cortado.Errors;

namespace Cortado.Keras;

/// <summary>
/// Reads the model JSON that Keras's model.to_json() writes into a <see cref="Sequential"/>:
/// Keras 2 (config as a dict with "layers", or before 2.2.3 a bare list), Keras 3 (with "module"
/// keys and an InputLayer), and Keras 1 names (Convolution2D with nb_filter/nb_row/nb_col,
/// border_mode, subsample, output_dim, init, p). An unsupported layer or option names itself.
/// </summary>
public static class KerasModelJson
{
    /// <summary>A Sequential model's JSON; a functional model is refused (read it with <see cref="ParseModel"/>).</summary>
    public static Sequential Parse(string json, string source = "model JSON") =>
        ParseModel(json, source) as Sequential ?? throw new CortadoException($"{source}: this is a functional model; read it with KerasModelJson.ParseModel");

    /// <summary>A Sequential or functional ("Model", "Functional") model's JSON, in Keras 1, 2 or 3's form.</summary>
    public static KerasModel ParseModel(string json, string source = "model JSON")
    {
        JsonDocument document;
        try { document = JsonDocument.Parse(json); }
        catch (JsonException e) { throw new CortadoException($"{source}: not valid JSON: {e.Message}"); }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new CortadoException($"{source}: expected a JSON object (Keras's model.to_json()), found {Kind(root)}");
            string modelClass = Text(root, "class_name") ?? "";
            if (modelClass is "Model" or "Functional") return Functional(root, source);
            if (modelClass != "Sequential") throw new CortadoException($"{source}: only Sequential and functional (Model) models can be imported, this is a '{modelClass}'");
            if (!root.TryGetProperty("config", out var config) || config.ValueKind is not (JsonValueKind.Array or JsonValueKind.Object))
                throw new CortadoException($"{source}: the model has no 'config' (an object with 'layers', or a list of layers)");
            var layers = config.ValueKind == JsonValueKind.Array ? config
                : config.TryGetProperty("layers", out var list) && list.ValueKind == JsonValueKind.Array ? list
                : throw new CortadoException($"{source}: the model's config has no 'layers' list");
            string name = Text(config, "name") ?? "sequential_1";

            int[]? inputShape = null;
            var built = new List<KerasLayer>();
            int index = 0;
            foreach (var layer in layers.EnumerateArray())
            {
                string where = $"{source}: layer {index++}";
                if (layer.ValueKind != JsonValueKind.Object || Text(layer, "class_name") is not { } kind)
                    throw new CortadoException($"{where}: expected an object with a 'class_name', found {Kind(layer)}");
                if (!layer.TryGetProperty("config", out var settings) || settings.ValueKind != JsonValueKind.Object)
                    throw new CortadoException($"{where} ({kind}): has no 'config' object");
                string layerName = Text(settings, "name") ?? kind;
                try
                {
                    var shape = Shape(settings);
                    if (kind == "InputLayer") { inputShape = shape; continue; }
                    inputShape ??= shape;
                    var keras = Build(kind, settings, layerName);
                    keras.Name = layerName;
                    built.Add(keras);
                }
                catch (InvalidValueException e) { throw new CortadoException($"Keras layer '{layerName}' ({kind}): {e.Message} (in {source})"); }
            }
            if (built.Count == 0) throw new CortadoException($"{source}: the model has no layers");
            if (inputShape == null) throw new CortadoException($"{source}: no input shape (batch_input_shape or an InputLayer) was found");
            if (inputShape.Length == 3 && DataFormat(layers) == "channels_first")
                throw new CortadoException($"{source}: channels_first (Theano 'th') models are not supported; save the model with channels_last");
            var first = built[0];
            var model = new Sequential { Name = name, Seed = 1 };
            foreach (var layer in built) model.Add(layer == first ? WithInput(layer, inputShape) : layer);
            return model;
        }
    }

    /// <summary>
    /// A functional model: its layers, then their calls in the order their inputs become available (as
    /// Keras's loader does), each call's inputs given by (layer, node index, tensor index) in Keras 2's
    /// nested lists or Keras 3's "__keras_tensor__" keras_history; inputs and outputs from input_layers
    /// and output_layers.
    /// </summary>
    private static Model Functional(JsonElement root, string source)
    {
        if (!root.TryGetProperty("config", out var config) || config.ValueKind != JsonValueKind.Object || !config.TryGetProperty("layers", out var list) || list.ValueKind != JsonValueKind.Array)
            throw new CortadoException($"{source}: the functional model's config has no 'layers' list");
        var tensors = new Dictionary<(string, int), KerasTensor>();
        var pending = new List<(KerasLayer Layer, List<JsonElement> Calls)>();
        int index = 0;
        foreach (var entry in list.EnumerateArray())
        {
            string where = $"{source}: layer {index++}";
            if (entry.ValueKind != JsonValueKind.Object || Text(entry, "class_name") is not { } kind || !entry.TryGetProperty("config", out var settings) || settings.ValueKind != JsonValueKind.Object)
                throw new CortadoException($"{where}: expected an object with a 'class_name' and a 'config'");
            string name = Text(entry, "name") ?? Text(settings, "name") ?? throw new CortadoException($"{where} ({kind}): has no name");
            try
            {
                if (kind == "InputLayer")
                {
                    var input = new Input(Shape(settings) ?? throw new InvalidValueException("has no batch_input_shape or batch_shape")) { Name = name };
                    tensors[(name, 0)] = input.Tensor;
                    continue;
                }
                var layer = Build(kind, settings, name);
                layer.Name = name;
                var calls = entry.TryGetProperty("inbound_nodes", out var nodes) && nodes.ValueKind == JsonValueKind.Array ? nodes.EnumerateArray().ToList() : [];
                pending.Add((layer, calls));
            }
            catch (InvalidValueException e) { throw new CortadoException($"Keras layer '{name}' ({kind}): {e.Message} (in {source})"); }
        }
        // Each pass makes the calls whose inputs exist; a pass without progress means a missing or circular input.
        var next = pending.ToDictionary(p => p.Layer, _ => 0);
        for (bool progress = true; progress;)
        {
            progress = false;
            foreach (var (layer, calls) in pending)
                while (next[layer] < calls.Count)
                {
                    var sources = CallInputs(calls[next[layer]], layer.Name!, source);
                    if (!sources.All(tensors.ContainsKey)) break;
                    tensors[(layer.Name!, next[layer])] = layer.Call(sources.Select(k => tensors[k]).ToArray());
                    next[layer]++;
                    progress = true;
                }
        }
        if (pending.FirstOrDefault(p => next[p.Layer] < p.Calls.Count) is { Layer: not null } stuck)
        {
            var missing = CallInputs(stuck.Calls[next[stuck.Layer]], stuck.Layer.Name!, source).First(k => !tensors.ContainsKey(k));
            throw new CortadoException($"{source}: layer '{stuck.Layer.Name}' reads '{missing.Item1}' call {missing.Item2}, which no layer of the model produces");
        }
        KerasTensor[] Ends(string key)
        {
            if (!config.TryGetProperty(key, out var ends) || ends.ValueKind != JsonValueKind.Array) throw new CortadoException($"{source}: the functional model has no '{key}'");
            // One input or output may be written as a bare [name, node, tensor].
            var refs = ends.GetArrayLength() > 0 && ends[0].ValueKind == JsonValueKind.String ? [ends] : ends.EnumerateArray().ToList();
            return refs.Select(r => Reference(r, key, source)).Select(k => tensors.TryGetValue(k, out var t) ? t
                : throw new CortadoException($"{source}: {key} names '{k.Item1}' call {k.Item2}, which the model does not produce")).ToArray();
        }
        return new Model(Ends("input_layers"), Ends("output_layers"), Text(config, "name") ?? "model");
    }

    /// <summary>One call's inputs: Keras 2's [[name, node, tensor, kwargs], ...] or Keras 3's {"args": [...], "kwargs": {...}}.</summary>
    private static List<(string, int)> CallInputs(JsonElement call, string layer, string source)
    {
        var found = new List<(string, int)>();
        if (call.ValueKind == JsonValueKind.Object && call.TryGetProperty("args", out var args)) Collect(args);
        else if (call.ValueKind == JsonValueKind.Array) foreach (var input in call.EnumerateArray()) found.Add(Reference(input, $"layer '{layer}''s inbound node", source));
        else throw new CortadoException($"{source}: layer '{layer}' has an inbound node of an unknown form: {call.GetRawText()}");
        if (found.Count == 0) throw new CortadoException($"{source}: layer '{layer}' has a call without inputs");
        return found;

        void Collect(JsonElement value)
        {
            if (value.ValueKind == JsonValueKind.Array) foreach (var item in value.EnumerateArray()) Collect(item);
            else if (value.ValueKind == JsonValueKind.Object && Text(value, "class_name") == "__keras_tensor__"
                && value.TryGetProperty("config", out var c) && c.TryGetProperty("keras_history", out var history))
                found.Add(Reference(history, $"layer '{layer}''s keras_history", source));
        }
    }

    /// <summary>[layer name, node index, tensor index]; only a layer's first output exists here, as every supported layer has one.</summary>
    private static (string, int) Reference(JsonElement value, string what, string source)
    {
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() < 3 || value[0].ValueKind != JsonValueKind.String
            || value[1].ValueKind != JsonValueKind.Number || value[2].ValueKind != JsonValueKind.Number)
            throw new CortadoException($"{source}: {what} is not [layer name, node index, tensor index]: {value.GetRawText()}");
        if (value[2].GetInt32() != 0) throw new CortadoException($"{source}: {what} reads output {value[2].GetInt32()} of '{value[0].GetString()}'; its layers have one output");
        return (value[0].GetString()!, value[1].GetInt32());
    }

    private static KerasLayer WithInput(KerasLayer layer, int[] shape)
    {
        layer.InputShape = shape;
        return layer;
    }

    private static KerasLayer Build(string kind, JsonElement c, string name)
    {
        switch (kind)
        {
            case "Conv2D" or "Convolution2D":
            {
                int filters = Positive(Int(c, "filters") ?? Int(c, "nb_filter") ?? throw Missing("filters"), "filters");
                var kernel = Positive(Pair(c, "kernel_size") ?? (Int(c, "nb_row") is int rows && Int(c, "nb_col") is int cols ? (rows, cols) : throw Missing("kernel_size")), "kernel_size");
                return new Conv2D(filters, kernel)
                {
                    DilationRate = Positive(Pair(c, "dilation_rate") ?? (1, 1), "dilation_rate"),
                    Strides = Positive(Pair(c, "strides") ?? Pair(c, "subsample") ?? (1, 1), "strides"),
                    Padding = Text(c, "padding") ?? Text(c, "border_mode") ?? "valid",
                    Activation = Activation(c),
                    UseBias = Bool(c, "use_bias") ?? Bool(c, "bias") ?? true,
                    KernelInitializer = Initializer(c, "kernel_initializer", name) ?? Initializer(c, "init", name) ?? "glorot_uniform",
                    BiasInitializer = Initializer(c, "bias_initializer", name) ?? "zeros",
                };
            }
            case "Conv2DTranspose" or "Deconvolution2D":
            {
                if (Pair(c, "dilation_rate") is { } dilation && dilation != (1, 1)) throw new InvalidValueException($"dilation_rate {dilation} is not supported for Conv2DTranspose");
                if (c.TryGetProperty("output_padding", out var extra) && extra.ValueKind != JsonValueKind.Null) throw new InvalidValueException("output_padding is not supported; Caffe's Deconvolution has no such option");
                return new Conv2DTranspose(Positive(Int(c, "filters") ?? Int(c, "nb_filter") ?? throw Missing("filters"), "filters"),
                    Positive(Pair(c, "kernel_size") ?? (Int(c, "nb_row") is int rows && Int(c, "nb_col") is int cols ? (rows, cols) : throw Missing("kernel_size")), "kernel_size"))
                {
                    Strides = Positive(Pair(c, "strides") ?? Pair(c, "subsample") ?? (1, 1), "strides"),
                    Padding = Text(c, "padding") ?? Text(c, "border_mode") ?? "valid",
                    Activation = Activation(c),
                    UseBias = Bool(c, "use_bias") ?? Bool(c, "bias") ?? true,
                    KernelInitializer = Initializer(c, "kernel_initializer", name) ?? "glorot_uniform",
                    BiasInitializer = Initializer(c, "bias_initializer", name) ?? "zeros",
                };
            }
            case "PReLU":
                return new PReLU
                {
                    AlphaInitializer = Initializer(c, "alpha_initializer", name) ?? "zeros",
                    SharedAxes = c.TryGetProperty("shared_axes", out var axes) && axes.ValueKind == JsonValueKind.Array ? axes.EnumerateArray().Select(a => Whole(a, "shared_axes")).ToArray()
                        : c.TryGetProperty("shared_axes", out axes) && axes.ValueKind == JsonValueKind.Number ? [Whole(axes, "shared_axes")] : null,
                };
            case "MaxPooling2D" or "AveragePooling2D":
            {
                var pool = Positive(Pair(c, "pool_size") ?? (2, 2), "pool_size");
                var strides = Pair(c, "strides") is { } given ? Positive(given, "strides") : ((int, int)?)null;
                string padding = Text(c, "padding") ?? Text(c, "border_mode") ?? "valid";
                return kind == "MaxPooling2D" ? new MaxPooling2D(pool) { Strides = strides, Padding = padding } : new AveragePooling2D(pool) { Strides = strides, Padding = padding };
            }
            case "GlobalAveragePooling2D": return new GlobalAveragePooling2D();
            case "GlobalMaxPooling2D": return new GlobalMaxPooling2D();
            case "ZeroPadding2D": return new ZeroPadding2D(Padding2D(c, "padding"));
            case "Embedding":
                return new Embedding(Positive(Int(c, "input_dim") ?? throw Missing("input_dim"), "input_dim"), Positive(Int(c, "output_dim") ?? throw Missing("output_dim"), "output_dim"))
                {
                    EmbeddingsInitializer = Initializer(c, "embeddings_initializer", name) ?? Initializer(c, "init", name) ?? "random_uniform",
                };
            case "Cropping2D": return new Cropping2D(Padding2D(c, "cropping"));
            case "UpSampling2D": return new UpSampling2D(Positive(Pair(c, "size") ?? (2, 2), "size")) { Interpolation = Text(c, "interpolation") ?? "nearest" };
            case "Dropout" or "SpatialDropout2D":
            {
                double rate = Double(c, "rate") ?? Double(c, "p") ?? throw Missing("rate");
                if (!(rate >= 0 && rate < 1)) throw new InvalidValueException($"the dropout rate must be in [0, 1), got {rate}");
                return kind == "Dropout" ? new Dropout(rate) : new SpatialDropout2D(rate);
            }
            case "Flatten": return new Flatten();
            case "Reshape":
                return new Reshape(c.TryGetProperty("target_shape", out var target) && target.ValueKind == JsonValueKind.Array
                    ? target.EnumerateArray().Select(d => Whole(d, "target_shape")).ToArray() : throw Missing("target_shape"));
            case "Permute":
                return new Permute(c.TryGetProperty("dims", out var dims) && dims.ValueKind == JsonValueKind.Array
                    ? dims.EnumerateArray().Select(d => Whole(d, "dims")).ToArray() : throw Missing("dims"));
            case "Add": return new Add();
            case "Subtract": return new Subtract();
            case "Multiply": return new Multiply();
            case "Average": return new Average();
            case "Maximum": return new Maximum();
            case "Concatenate": return new Concatenate(Int(c, "axis") ?? -1);
            case "Dense":
                return new Dense(Positive(Int(c, "units") ?? Int(c, "output_dim") ?? throw Missing("units"), "units"))
                {
                    Activation = Activation(c),
                    UseBias = Bool(c, "use_bias") ?? Bool(c, "bias") ?? true,
                    KernelInitializer = Initializer(c, "kernel_initializer", name) ?? Initializer(c, "init", name) ?? "glorot_uniform",
                    BiasInitializer = Initializer(c, "bias_initializer", name) ?? "zeros",
                };
            case "Activation": return new Activation(Text(c, "activation") ?? throw Missing("activation"));
            case "ReLU":
                return new ReLU { NegativeSlope = Double(c, "negative_slope") ?? 0, MaxValue = Double(c, "max_value"), Threshold = Double(c, "threshold") ?? 0 };
            // Keras 2 writes alpha, Keras 3 negative_slope; both default to 0.3.
            case "LeakyReLU": return new LeakyReLU(Double(c, "negative_slope") ?? Double(c, "alpha") ?? 0.3);
            case "ELU": return new ELU(Double(c, "alpha") ?? 1.0);
            case "Rescaling": return new Rescaling(Double(c, "scale") ?? throw Missing("scale"), Double(c, "offset") ?? 0);
            case "BatchNormalization":
            {
                double momentum = Double(c, "momentum") ?? 0.99, epsilon = Double(c, "epsilon") ?? 1e-3;
                if (!(momentum >= 0 && momentum <= 1) || !(epsilon > 0)) throw new InvalidValueException($"momentum must be in [0, 1] and epsilon positive, got {momentum} and {epsilon}");
                return new BatchNormalization { Momentum = momentum, Epsilon = epsilon };
            }
            default:
                throw new CortadoException($"Keras layer '{name}' ({kind}) is not supported; supported: Conv2D, Conv2DTranspose, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, ZeroPadding2D, Cropping2D, UpSampling2D, Embedding, Dropout, SpatialDropout2D, Flatten, Reshape, Permute, Dense, Activation, ReLU, LeakyReLU, PReLU, ELU, Rescaling, BatchNormalization, Add, Subtract, Multiply, Average, Maximum, Concatenate");
        }
    }

    private static string? Activation(JsonElement c) => Text(c, "activation") is "linear" or null ? null : Text(c, "activation");

    /// <summary>ZeroPadding2D's padding or Cropping2D's cropping: one number, (rows, columns), or ((top, bottom), (left, right)).</summary>
    private static ((int, int), (int, int)) Padding2D(JsonElement c, string key)
    {
        if (!c.TryGetProperty(key, out var p)) return key == "padding" ? ((1, 1), (1, 1)) : ((0, 0), (0, 0));
        if (p.ValueKind == JsonValueKind.Number) { int v = p.GetInt32(); return ((v, v), (v, v)); }
        if (p.ValueKind == JsonValueKind.Array && p.GetArrayLength() == 2)
        {
            var (a, b) = (p[0], p[1]);
            if (a.ValueKind == JsonValueKind.Number && b.ValueKind == JsonValueKind.Number) return ((a.GetInt32(), a.GetInt32()), (b.GetInt32(), b.GetInt32()));
            if (a.ValueKind == JsonValueKind.Array && b.ValueKind == JsonValueKind.Array && a.GetArrayLength() == 2 && b.GetArrayLength() == 2)
                return ((a[0].GetInt32(), a[1].GetInt32()), (b[0].GetInt32(), b[1].GetInt32()));
        }
        throw new InvalidValueException($"{key} must be a number, (rows, columns) or ((top, bottom), (left, right)), got {p}");
    }

    /// <summary>Keras 2 and 3 describe initializers as objects; Keras 1 by name.</summary>
    private static string? Initializer(JsonElement c, string key, string layer)
    {
        if (!c.TryGetProperty(key, out var value)) return null;
        if (value.ValueKind == JsonValueKind.String) return value.GetString();
        string kind = Text(value, "class_name") ?? throw new InvalidValueException($"'{key}' must be a name or an object with a 'class_name'");
        var config = value.TryGetProperty("config", out var cfg) ? cfg : default;
        switch (kind)
        {
            case "Zeros": return "zeros";
            case "Ones": return "ones";
            case "GlorotUniform": return "glorot_uniform";
            case "GlorotNormal": return "glorot_normal";
            case "HeNormal": return "he_normal";
            case "HeUniform": return "he_uniform";
            case "LecunNormal": return "lecun_normal";
            case "LecunUniform": return "lecun_uniform";
            case "RandomUniform": return "random_uniform";
            case "RandomNormal": return "random_normal";
            case "VarianceScaling":
            {
                double scale = Double(config, "scale") ?? 1;
                string mode = Text(config, "mode") ?? "fan_in", distribution = Text(config, "distribution") ?? "normal";
                bool uniform = distribution == "uniform";
                return (scale, mode) switch
                {
                    (1, "fan_avg") => uniform ? "glorot_uniform" : "glorot_normal",
                    (2, "fan_in") => uniform ? "he_uniform" : "he_normal",
                    (1, "fan_in") => uniform ? "lecun_uniform" : "lecun_normal",
                    _ => throw new CortadoException($"Keras layer '{layer}': VarianceScaling(scale={scale}, mode={mode}) has no Caffe filler"),
                };
            }
            default: throw new CortadoException($"Keras layer '{layer}': initializer {kind} is not supported");
        }
    }

    private static int[]? Shape(JsonElement c)
    {
        foreach (var key in new[] { "batch_input_shape", "batch_shape" })
            if (c.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.Array)
                return value.EnumerateArray().Skip(1).Select(v => Positive(Whole(v, key), key)).ToArray();
        if (c.TryGetProperty("input_shape", out var shape) && shape.ValueKind == JsonValueKind.Array)
            return shape.EnumerateArray().Select(v => Positive(Whole(v, "input_shape"), "input_shape")).ToArray();
        return null;
    }

    private static string DataFormat(JsonElement layers)
    {
        foreach (var layer in layers.EnumerateArray())
        {
            var c = layer.GetProperty("config");
            if (Text(c, "data_format") is { } format) return format;
            if (Text(c, "dim_ordering") is { } ordering) return ordering == "th" ? "channels_first" : "channels_last";
        }
        return "channels_last";
    }

    /// <summary>A value of the wrong kind or range in a layer's config; the caller adds the layer and file.</summary>
    private sealed class InvalidValueException(string message) : Exception(message);

    private static InvalidValueException Missing(string field) => new($"has no '{field}'");
    private static string Kind(JsonElement e) => e.ValueKind.ToString().ToLowerInvariant();
    private static string? Text(JsonElement c, string key) => c.ValueKind == JsonValueKind.Object && c.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    private static double? Double(JsonElement c, string key) => c.ValueKind == JsonValueKind.Object && c.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
    private static bool? Bool(JsonElement c, string key) => c.ValueKind == JsonValueKind.Object && c.TryGetProperty(key, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    /// <summary>A whole number (3.0 counts, as some writers emit it); absent or null is null, anything else an error.</summary>
    private static int? Int(JsonElement c, string key) =>
        c.ValueKind == JsonValueKind.Object && c.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? Whole(v, key) : null;

    private static int Whole(JsonElement v, string key)
    {
        if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d) && d == Math.Floor(d) && Math.Abs(d) <= int.MaxValue) return (int)d;
        throw new InvalidValueException($"'{key}' must be a whole number, got {(v.ValueKind == JsonValueKind.Number ? v.GetRawText() : Kind(v))}");
    }

    private static int Positive(int value, string key) => value >= 1 ? value : throw new InvalidValueException($"'{key}' must be at least 1, got {value}");
    private static (int, int) Positive((int, int) pair, string key) => (Positive(pair.Item1, key), Positive(pair.Item2, key));

    private static (int, int)? Pair(JsonElement c, string key)
    {
        if (c.ValueKind != JsonValueKind.Object || !c.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind == JsonValueKind.Number) return (Whole(v, key), Whole(v, key));
        if (v.ValueKind != JsonValueKind.Array) throw new InvalidValueException($"'{key}' must be a number or a list of two, got {Kind(v)}");
        var items = v.EnumerateArray().Select(e => Whole(e, key)).ToArray();
        return items.Length switch
        {
            1 => (items[0], items[0]),
            2 => (items[0], items[1]),
            _ => throw new InvalidValueException($"'{key}' must list one or two numbers, got {items.Length}"),
        };
    }
}
