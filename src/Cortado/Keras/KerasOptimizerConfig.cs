using System.Text.Json;
using Cortado.Errors;

namespace Cortado.Keras;

/// <summary>
/// Reads an optimizer as Keras serializes it (training_config's optimizer_config in Keras 2,
/// compile_config's optimizer in Keras 3): class name, learning_rate (lr in Keras 1 and 2.0),
/// time-based decay or Keras 3's InverseTimeDecay, and each optimizer's own settings.
/// </summary>
internal static class KerasOptimizerConfig
{
    public static KerasOptimizer Parse(JsonElement optimizer, string source)
    {
        string kind = optimizer.ValueKind == JsonValueKind.String ? optimizer.GetString()!
            : optimizer.ValueKind == JsonValueKind.Object && optimizer.TryGetProperty("class_name", out var name) && name.ValueKind == JsonValueKind.String ? name.GetString()!
            : throw new CortadoException($"{source}: the optimizer is neither a name nor an object with a 'class_name'");
        var c = optimizer.ValueKind == JsonValueKind.Object && optimizer.TryGetProperty("config", out var config) ? config : default;
        var (rate, decay) = Rate(c, source);
        double Get(string key, double fallback) => c.ValueKind == JsonValueKind.Object && c.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : fallback;
        bool Flag(string key) => c.ValueKind == JsonValueKind.Object && c.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.True;
        if (Flag("amsgrad") || Flag("centered") || Get("momentum", 0) != 0 && kind.Equals("rmsprop", StringComparison.OrdinalIgnoreCase))
            throw new CortadoException($"{source}: optimizer {kind} with amsgrad, centered or momentum has no Caffe solver");
        return kind.ToLowerInvariant() switch
        {
            "sgd" => new SGD(rate ?? 0.01, Get("momentum", 0), Flag("nesterov"), decay),
            "adadelta" => new Adadelta(rate ?? 1.0, Get("rho", 0.95), Get("epsilon", 1e-7), decay),
            "adam" => new Adam(rate ?? 0.001, Get("beta_1", 0.9), Get("beta_2", 0.999), Get("epsilon", 1e-7), decay),
            "rmsprop" => new RMSprop(rate ?? 0.001, Get("rho", 0.9), Get("epsilon", 1e-7), decay),
            "adagrad" => new Adagrad(rate ?? 0.01, Get("epsilon", 1e-7), decay),
            _ => throw new CortadoException($"{source}: optimizer '{kind}' is not supported; use SGD, Adadelta, Adam, RMSprop or Adagrad"),
        };
    }

    /// <summary>The learning rate (null when absent: the optimizer's default) and the time-based decay.</summary>
    private static (double? Rate, double Decay) Rate(JsonElement c, string source)
    {
        if (c.ValueKind != JsonValueKind.Object) return (null, 0);
        double decay = c.TryGetProperty("decay", out var d) && d.ValueKind == JsonValueKind.Number ? d.GetDouble() : 0;
        if (!c.TryGetProperty("learning_rate", out var rate) && !c.TryGetProperty("lr", out rate)) return (null, decay);
        if (rate.ValueKind == JsonValueKind.Number) return (rate.GetDouble(), decay);
        if (rate.ValueKind == JsonValueKind.Object && rate.TryGetProperty("class_name", out var schedule) && schedule.GetString() == "InverseTimeDecay"
            && rate.TryGetProperty("config", out var s) && s.TryGetProperty("initial_learning_rate", out var initial) && s.TryGetProperty("decay_rate", out var r)
            && s.TryGetProperty("decay_steps", out var steps) && !(s.TryGetProperty("staircase", out var stair) && stair.ValueKind == JsonValueKind.True))
            return (initial.GetDouble(), r.GetDouble() / steps.GetDouble());
        throw new CortadoException($"{source}: the learning rate {rate.GetRawText()} is neither a number nor a smooth InverseTimeDecay schedule (Caffe's inv policy)");
    }
}
