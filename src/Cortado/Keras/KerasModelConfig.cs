using System.Text.Json.Nodes;

namespace Cortado.Keras;

/// <summary>
/// Writes a <see cref="Sequential"/> as Keras's model config: what model.to_json() returns and
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
        _ => throw new Errors.CortadoException($"model '{model.Name}': saving a functional model's config is not supported yet; SaveWeights writes its weights"),
    };

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
