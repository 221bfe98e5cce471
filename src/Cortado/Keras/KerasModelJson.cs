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
    public static Sequential Parse(string json, string source = "model JSON")
    {
        JsonDocument document;
        try { document = JsonDocument.Parse(json); }
        catch (JsonException e) { throw new CortadoException($"{source}: not valid JSON: {e.Message}"); }
        using (document)
        {
            var root = document.RootElement;
            string modelClass = root.TryGetProperty("class_name", out var c) ? c.GetString() ?? "" : "";
            if (modelClass != "Sequential") throw new CortadoException($"{source}: only Sequential models can be imported, this is a '{modelClass}'");
            var config = root.GetProperty("config");
            var layers = config.ValueKind == JsonValueKind.Array ? config : config.GetProperty("layers");
            string name = config.ValueKind == JsonValueKind.Object && config.TryGetProperty("name", out var n) ? n.GetString() ?? "sequential_1" : "sequential_1";

            int[]? inputShape = null;
            var built = new List<KerasLayer>();
            foreach (var layer in layers.EnumerateArray())
            {
                string kind = layer.GetProperty("class_name").GetString()!;
                var settings = layer.GetProperty("config");
                string layerName = Text(settings, "name") ?? kind;
                var shape = Shape(settings);
                if (kind == "InputLayer") { inputShape = shape; continue; }
                inputShape ??= shape;
                var keras = Build(kind, settings, layerName);
                keras.Name = layerName;
                built.Add(keras);
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
                int filters = Int(c, "filters") ?? Int(c, "nb_filter") ?? throw Missing(name, kind, "filters");
                var kernel = Pair(c, "kernel_size") ?? (Int(c, "nb_row") is int rows && Int(c, "nb_col") is int cols ? (rows, cols) : throw Missing(name, kind, "kernel_size"));
                CheckDilation(c, name, kind);
                return new Conv2D(filters, kernel)
                {
                    Strides = Pair(c, "strides") ?? Pair(c, "subsample") ?? (1, 1),
                    Padding = Text(c, "padding") ?? Text(c, "border_mode") ?? "valid",
                    Activation = Activation(c),
                    UseBias = Bool(c, "use_bias") ?? Bool(c, "bias") ?? true,
                    KernelInitializer = Initializer(c, "kernel_initializer", name) ?? Initializer(c, "init", name) ?? "glorot_uniform",
                    BiasInitializer = Initializer(c, "bias_initializer", name) ?? "zeros",
                };
            }
            case "MaxPooling2D" or "AveragePooling2D":
            {
                var pool = Pair(c, "pool_size") ?? (2, 2);
                var strides = Pair(c, "strides");
                string padding = Text(c, "padding") ?? Text(c, "border_mode") ?? "valid";
                return kind == "MaxPooling2D" ? new MaxPooling2D(pool) { Strides = strides, Padding = padding } : new AveragePooling2D(pool) { Strides = strides, Padding = padding };
            }
            case "GlobalAveragePooling2D": return new GlobalAveragePooling2D();
            case "Dropout": return new Dropout(Double(c, "rate") ?? Double(c, "p") ?? throw Missing(name, kind, "rate"));
            case "Flatten": return new Flatten();
            case "Dense":
                return new Dense(Int(c, "units") ?? Int(c, "output_dim") ?? throw Missing(name, kind, "units"))
                {
                    Activation = Activation(c),
                    UseBias = Bool(c, "use_bias") ?? Bool(c, "bias") ?? true,
                    KernelInitializer = Initializer(c, "kernel_initializer", name) ?? Initializer(c, "init", name) ?? "glorot_uniform",
                    BiasInitializer = Initializer(c, "bias_initializer", name) ?? "zeros",
                };
            case "Activation": return new Activation(Text(c, "activation") ?? throw Missing(name, kind, "activation"));
            case "BatchNormalization":
                return new BatchNormalization { Momentum = Double(c, "momentum") ?? 0.99, Epsilon = Double(c, "epsilon") ?? 1e-3 };
            default:
                throw new CortadoException($"Keras layer '{name}' ({kind}) is not supported; supported: Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Dropout, Flatten, Dense, Activation, BatchNormalization");
        }
    }

    private static string? Activation(JsonElement c) => Text(c, "activation") is "linear" or null ? null : Text(c, "activation");

    private static void CheckDilation(JsonElement c, string name, string kind)
    {
        if (Pair(c, "dilation_rate") is { } d && d != (1, 1)) throw new CortadoException($"Keras layer '{name}' ({kind}): dilation_rate {d} is not supported");
    }

    /// <summary>Keras 2 and 3 describe initializers as objects; Keras 1 by name.</summary>
    private static string? Initializer(JsonElement c, string key, string layer)
    {
        if (!c.TryGetProperty(key, out var value)) return null;
        if (value.ValueKind == JsonValueKind.String) return value.GetString();
        string kind = value.GetProperty("class_name").GetString()!;
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
                return value.EnumerateArray().Skip(1).Select(v => v.GetInt32()).ToArray();
        if (c.TryGetProperty("input_shape", out var shape) && shape.ValueKind == JsonValueKind.Array) return shape.EnumerateArray().Select(v => v.GetInt32()).ToArray();
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

    private static CortadoException Missing(string name, string kind, string field) => new($"Keras layer '{name}' ({kind}) has no '{field}'");
    private static string? Text(JsonElement c, string key) => c.ValueKind == JsonValueKind.Object && c.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    private static int? Int(JsonElement c, string key) => c.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;
    private static double? Double(JsonElement c, string key) => c.ValueKind == JsonValueKind.Object && c.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
    private static bool? Bool(JsonElement c, string key) => c.TryGetProperty(key, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    private static (int, int)? Pair(JsonElement c, string key)
    {
        if (!c.TryGetProperty(key, out var v)) return null;
        if (v.ValueKind == JsonValueKind.Number) return (v.GetInt32(), v.GetInt32());
        if (v.ValueKind != JsonValueKind.Array) return null;
        var items = v.EnumerateArray().Select(e => e.GetInt32()).ToArray();
        return items.Length == 1 ? (items[0], items[0]) : (items[0], items[1]);
    }
}
