using System.Text.Json.Nodes;

namespace Cortado.Keras;

/// <summary>
/// Writes a <see cref="Sequential"/> or functional <see cref="Keras.Model"/> as Keras's model config: what model.to_json() returns and
/// model.save() stores, in Keras 2's form (an InputLayer with batch_input_shape, "keras_version"
/// and "backend") or Keras 3's (module and registered_name on every object, DTypePolicy, batch_shape,
/// build_config, compile_config). <see cref="KerasModelJson"/> reads both back.
/// </summary>
internal static class KerasModelConfig
{
    /// <summary>The Keras versions whose layouts the files follow; a loader reads them as these versions wrote them.</summary>
    public const string Keras2Version = "2.15.0", Keras3Version = "3.6.0";

    public static JsonObject Model(KerasModel model, KerasVersion format) => model switch
    {
        Sequential sequential => Chain(sequential, format),
        Model functional => Functional(functional, format),
        _ => throw new ArgumentException($"unknown model kind {model.GetType().Name}"),
    };

    /// <summary>
    /// A functional model: its InputLayers and layers, each with its calls as inbound_nodes (Keras 2's
    /// [[name, node, tensor, {}], ...], Keras 3's {"args": [__keras_tensor__ ...], "kwargs": {}}), and
    /// input_layers and output_layers. Node indices count a layer's calls within this model.
    /// </summary>
    private static JsonObject Functional(Model model, KerasVersion format)
    {
        bool keras3 = format == KerasVersion.Keras3;
        var layers = new JsonArray();
        foreach (var input in model.Inputs)
        {
            var entry = Layer("InputLayer", input.Input!.Name!, new JsonObject { [keras3 ? "batch_shape" : "batch_input_shape"] = KerasJson.BatchShape(input.Shape), ["sparse"] = false }, null, format);
            entry["name"] = input.Input.Name;
            entry["inbound_nodes"] = new JsonArray();
            layers.Add(entry);
        }
        var calls = new Dictionary<KerasNode, int>();
        var nodes = model.Graph.Nodes;
        foreach (var node in nodes) calls[node] = nodes.TakeWhile(n => n != node).Count(n => n.Layer == node.Layer);
        JsonArray History(KerasTensor t) => t.Input != null ? [t.Input.Name, 0, 0] : [t.Node!.Layer.Name, calls[t.Node], 0];
        JsonNode Reference(KerasTensor t)
        {
            if (keras3) return new JsonObject { ["class_name"] = "__keras_tensor__", ["config"] = new JsonObject { ["shape"] = KerasJson.BatchShape(t.Shape), ["dtype"] = "float32", ["keras_history"] = History(t) } };
            var reference = History(t);
            reference.Add(new JsonObject());
            return reference;
        }
        foreach (var layer in model.Layers)
        {
            var own = nodes.Where(n => n.Layer == layer).ToList();
            var first = own[0].Inputs;
            var entry = Layer(layer.ClassName, layer.Name!, layer.Config(format), first.Length == 1 ? first[0].Shape : null, format);
            if (keras3 && first.Length > 1) entry["build_config"] = new JsonObject { ["input_shape"] = new JsonArray(first.Select(t => (JsonNode)KerasJson.BatchShape(t.Shape)).ToArray()) };
            entry["name"] = layer.Name;
            var inbound = new JsonArray();
            foreach (var node in own)
            {
                var inputs = node.Inputs.Select(Reference).ToArray();
                // Keras 3 passes a merge layer's inputs as one argument, a list.
                inbound.Add(keras3 ? new JsonObject { ["args"] = inputs.Length == 1 ? new JsonArray(inputs) : new JsonArray(new JsonArray(inputs)), ["kwargs"] = new JsonObject() } : new JsonArray(inputs));
            }
            entry["inbound_nodes"] = inbound;
            layers.Add(entry);
        }
        var config = new JsonObject { ["name"] = model.Name };
        if (keras3) config["trainable"] = true;
        config["layers"] = layers;
        config["input_layers"] = new JsonArray(model.Inputs.Select(t => (JsonNode)History(t)).ToArray());
        config["output_layers"] = new JsonArray(model.Outputs.Select(t => (JsonNode)History(t)).ToArray());
        if (!keras3)
            return new JsonObject { ["class_name"] = "Functional", ["config"] = config, ["keras_version"] = Keras2Version, ["backend"] = "tensorflow" };
        var root = KerasJson.Tagged("Functional", config, "keras", format);
        root["registered_name"] = "Functional";
        root["build_config"] = new JsonObject { ["input_shape"] = null };
        if (Compiled(model) is { } compiled) root["compile_config"] = compiled;
        return root;
    }

    private static JsonObject Chain(Sequential model, KerasVersion format)
    {
        bool keras3 = format == KerasVersion.Keras3;
        var input = model.InputShape;
        var layers = new JsonArray
        {
            Layer("InputLayer", keras3 ? "input_layer" : "input_1",
                new JsonObject { [keras3 ? "batch_shape" : "batch_input_shape"] = KerasJson.BatchShape(input), ["sparse"] = false }, null, format),
        };
        var shape = input;
        foreach (var layer in model.Layers)
        {
            layers.Add(Layer(layer.ClassName, layer.Name!, layer.Config(format), shape, format));
            shape = layer.OutputShape(shape);
        }
        var config = new JsonObject { ["name"] = model.Name };
        if (keras3) { config["trainable"] = true; config["dtype"] = KerasJson.DType(format); }
        config["layers"] = layers;
        if (!keras3)
            return new JsonObject { ["class_name"] = "Sequential", ["config"] = config, ["keras_version"] = Keras2Version, ["backend"] = "tensorflow" };
        var root = KerasJson.Tagged("Sequential", config, "keras", format);
        root["build_config"] = new JsonObject { ["input_shape"] = KerasJson.BatchShape(input) };
        if (Compiled(model) is { } compiled) root["compile_config"] = compiled;
        return root;
    }

    /// <summary>Keras 2's training_config attribute: the loss, metrics and optimizer of Compile, or null for an uncompiled model.</summary>
    public static JsonObject? TrainingConfig(KerasModel model) => model.Loss is not { } loss ? null : new JsonObject
    {
        ["loss"] = loss, ["metrics"] = Metrics(model), ["weighted_metrics"] = null, ["loss_weights"] = null,
        ["optimizer_config"] = model.Optimizer!.ToConfig(KerasVersion.Keras2),
    };

    /// <summary>Keras 3's compile_config.</summary>
    private static JsonObject? Compiled(KerasModel model) => model.Loss is not { } loss ? null : new JsonObject
    {
        ["optimizer"] = model.Optimizer!.ToConfig(KerasVersion.Keras3), ["loss"] = loss, ["loss_weights"] = null, ["metrics"] = Metrics(model),
        ["weighted_metrics"] = null, ["run_eagerly"] = false, ["steps_per_execution"] = 1, ["jit_compile"] = false,
    };

    private static JsonArray Metrics(KerasModel model) => new(model.Metrics.Select(m => (JsonNode?)JsonValue.Create(m)).ToArray());

    /// <summary>One entry of the layers list: the class, then name, trainable and dtype ahead of the layer's own settings.</summary>
    private static JsonObject Layer(string className, string name, JsonObject settings, int[]? input, KerasVersion format)
    {
        var config = new JsonObject { ["name"] = name, ["trainable"] = true, ["dtype"] = KerasJson.DType(format) };
        foreach (var key in settings.Select(kv => kv.Key).ToList())
        {
            var value = settings[key];
            settings.Remove(key);
            config[key] = value;
        }
        var entry = KerasJson.Tagged(className, config, "keras.layers", format);
        if (format == KerasVersion.Keras3 && input != null) entry["build_config"] = new JsonObject { ["input_shape"] = KerasJson.BatchShape(input) };
        return entry;
    }
}
