using System.Globalization;
using System.Text.Json.Nodes;
using Cortado.Proto;

namespace Cortado.Keras;

/// <summary>
/// A Keras optimizer, with Keras 2's defaults, as a Caffe solver. Keras's update rules for these
/// optimizers are Caffe's with other names (rho is Caffe's momentum for AdaDelta, epsilon its
/// delta), and Keras's time-based decay, lr / (1 + decay * iterations), is Caffe's "inv" policy
/// with power 1. Keras has no weight decay here (weight_decay 0).
/// </summary>
public abstract record KerasOptimizer(double LearningRate, double Decay)
{
    public abstract string KerasName { get; }

    internal SolverParameter ToSolver()
    {
        var solver = new SolverParameter { BaseLr = (float)LearningRate, WeightDecay = 0, Momentum = 0 };
        if (Decay > 0) { solver.LrPolicy = "inv"; solver.Gamma = (float)Decay; solver.Power = 1; }
        else solver.LrPolicy = "fixed";
        Configure(solver);
        return solver;
    }

    protected abstract void Configure(SolverParameter solver);

    /// <summary>The optimizer's own settings under Keras's names (rho, epsilon, ...), without the rate and decay.</summary>
    protected abstract JsonObject Settings();

    /// <summary>
    /// The optimizer as Keras serializes it. Keras 2 writes its time-based decay as "decay"; Keras 3
    /// has none, and lr / (1 + decay * iterations) is its InverseTimeDecay schedule with decay_steps 1.
    /// </summary>
    internal JsonObject ToConfig(KerasVersion format)
    {
        bool keras3 = format == KerasVersion.Keras3;
        var config = new JsonObject { ["name"] = keras3 ? KerasName.ToLowerInvariant() : KerasName };
        config["learning_rate"] = keras3 && Decay > 0
            ? KerasJson.Tagged("InverseTimeDecay", new JsonObject { ["initial_learning_rate"] = LearningRate, ["decay_steps"] = 1, ["decay_rate"] = Decay, ["staircase"] = false, ["name"] = "InverseTimeDecay" }, "keras.optimizers.schedules", format)
            : LearningRate;
        if (!keras3) config["decay"] = Decay;
        foreach (var (key, value) in Settings().ToList().Select(kv => (kv.Key, kv.Value?.DeepClone()))) config[key] = value;
        return KerasJson.Tagged(KerasName, config, "keras.optimizers", format);
    }

    /// <summary>The settings in Keras's own words, for export comments and port checks.</summary>
    public abstract string Describe();

    protected static string F(double value) => value.ToString("G", CultureInfo.InvariantCulture);
}

public sealed record SGD(double LearningRate = 0.01, double Momentum = 0, bool Nesterov = false, double Decay = 0) : KerasOptimizer(LearningRate, Decay)
{
    public override string KerasName => "SGD";
    protected override void Configure(SolverParameter s) { s.Type = Nesterov ? "Nesterov" : "SGD"; s.Momentum = (float)Momentum; }
    protected override JsonObject Settings() => new() { ["momentum"] = Momentum, ["nesterov"] = Nesterov };
    public override string Describe() => $"SGD(lr={F(LearningRate)}, momentum={F(Momentum)}, nesterov={Nesterov}, decay={F(Decay)})";
}

public sealed record Adadelta(double LearningRate = 1.0, double Rho = 0.95, double Epsilon = 1e-7, double Decay = 0) : KerasOptimizer(LearningRate, Decay)
{
    public override string KerasName => "Adadelta";
    protected override void Configure(SolverParameter s) { s.Type = "AdaDelta"; s.Momentum = (float)Rho; s.Delta = (float)Epsilon; }
    protected override JsonObject Settings() => new() { ["rho"] = Rho, ["epsilon"] = Epsilon };
    public override string Describe() => $"Adadelta(lr={F(LearningRate)}, rho={F(Rho)}, epsilon={F(Epsilon)}, decay={F(Decay)})";

    /// <summary>
    /// Adadelta with the defaults of a Keras version: lr 1.0 and epsilon 1e-8 in Keras 1, lr 1.0 and
    /// epsilon 1e-7 in Keras 2, learning_rate 0.001 and epsilon 1e-7 in tf.keras and Keras 3 (rho 0.95
    /// throughout). A model ported between them trains a thousand times slower or faster otherwise.
    /// </summary>
    public static Adadelta For(KerasVersion version) => version switch
    {
        KerasVersion.Keras1 => new Adadelta(LearningRate: 1.0, Epsilon: 1e-8),
        KerasVersion.Keras2 => new Adadelta(LearningRate: 1.0, Epsilon: 1e-7),
        _ => new Adadelta(LearningRate: 0.001, Epsilon: 1e-7),
    };
}

public sealed record Adam(double LearningRate = 0.001, double Beta1 = 0.9, double Beta2 = 0.999, double Epsilon = 1e-7, double Decay = 0) : KerasOptimizer(LearningRate, Decay)
{
    public override string KerasName => "Adam";
    protected override void Configure(SolverParameter s) { s.Type = "Adam"; s.Momentum = (float)Beta1; s.Momentum2 = (float)Beta2; s.Delta = (float)Epsilon; }
    protected override JsonObject Settings() => new() { ["beta_1"] = Beta1, ["beta_2"] = Beta2, ["epsilon"] = Epsilon, ["amsgrad"] = false };
    public override string Describe() => $"Adam(lr={F(LearningRate)}, beta_1={F(Beta1)}, beta_2={F(Beta2)}, epsilon={F(Epsilon)}, decay={F(Decay)})";
}

public sealed record RMSprop(double LearningRate = 0.001, double Rho = 0.9, double Epsilon = 1e-7, double Decay = 0) : KerasOptimizer(LearningRate, Decay)
{
    public override string KerasName => "RMSprop";
    protected override void Configure(SolverParameter s) { s.Type = "RMSProp"; s.RmsDecay = (float)Rho; s.Delta = (float)Epsilon; }
    protected override JsonObject Settings() => new() { ["rho"] = Rho, ["momentum"] = 0.0, ["epsilon"] = Epsilon, ["centered"] = false };
    public override string Describe() => $"RMSprop(lr={F(LearningRate)}, rho={F(Rho)}, epsilon={F(Epsilon)}, decay={F(Decay)})";
}

public sealed record Adagrad(double LearningRate = 0.01, double Epsilon = 1e-7, double Decay = 0) : KerasOptimizer(LearningRate, Decay)
{
    public override string KerasName => "Adagrad";
    protected override void Configure(SolverParameter s) { s.Type = "AdaGrad"; s.Delta = (float)Epsilon; }
    // Caffe's AdaGrad history starts at zero.
    protected override JsonObject Settings() => new() { ["initial_accumulator_value"] = 0.0, ["epsilon"] = Epsilon };
    public override string Describe() => $"Adagrad(lr={F(LearningRate)}, epsilon={F(Epsilon)}, decay={F(Decay)})";
}
