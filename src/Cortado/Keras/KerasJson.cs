using System.Text.Json.Nodes;

namespace Cortado.Keras;

/// <summary>The pieces of Keras's config JSON that several layers share: pairs, initializer objects and Keras 3's module tags.</summary>
internal static class KerasJson
{
    public static JsonArray Pair((int, int) pair) => [pair.Item1, pair.Item2];

    public static JsonArray Pairs(((int, int), (int, int)) pairs) => [Pair(pairs.Item1), Pair(pairs.Item2)];

    /// <summary>A batch shape: null for the batch axis, then the sample's shape.</summary>
    public static JsonArray BatchShape(int[] shape)
    {
        var array = new JsonArray { null };
        foreach (int d in shape) array.Add(d);
        return array;
    }

    /// <summary>
    /// An initializer as Keras serializes it: {"class_name": "GlorotUniform", "config": {"seed": null}}, with
    /// Keras 3's "module" and "registered_name".
    /// </summary>
    public static JsonObject Initializer(string name, KerasVersion format)
    {
        var (className, config) = name switch
        {
            "glorot_uniform" => ("GlorotUniform", Seed()),
            "glorot_normal" => ("GlorotNormal", Seed()),
            "he_uniform" => ("HeUniform", Seed()),
            "he_normal" => ("HeNormal", Seed()),
            "lecun_uniform" => ("LecunUniform", Seed()),
            "lecun_normal" => ("LecunNormal", Seed()),
            "zeros" => ("Zeros", new JsonObject()),
            "ones" => ("Ones", new JsonObject()),
            "random_uniform" => ("RandomUniform", new JsonObject { ["minval"] = -0.05, ["maxval"] = 0.05, ["seed"] = null }),
            "random_normal" => ("RandomNormal", new JsonObject { ["mean"] = 0.0, ["stddev"] = 0.05, ["seed"] = null }),
            _ => throw new Errors.CortadoException($"initializer '{name}' has no Keras serialization; use one of {string.Join(", ", Initializers.Names)}"),
        };
        return Tagged(className, config, "keras.initializers", format);
    }

    /// <summary>{"class_name", "config"}, with Keras 3's "module" first and "registered_name" last.</summary>
    public static JsonObject Tagged(string className, JsonObject config, string module, KerasVersion format)
    {
        var tagged = new JsonObject();
        if (format == KerasVersion.Keras3) tagged["module"] = module;
        tagged["class_name"] = className;
        tagged["config"] = config;
        if (format == KerasVersion.Keras3) tagged["registered_name"] = null;
        return tagged;
    }

    /// <summary>Keras 3's dtype policy object, or Keras 2's plain "float32".</summary>
    public static JsonNode DType(KerasVersion format) =>
        format == KerasVersion.Keras3 ? Tagged("DTypePolicy", new JsonObject { ["name"] = "float32" }, "keras", format) : JsonValue.Create("float32");

    private static JsonObject Seed() => new() { ["seed"] = null };
}
