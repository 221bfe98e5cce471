using System.Text.Json.Nodes;
using System.Globalization;
using Cortado.Proto;

namespace Cortado.Keras;

/// <summary>
/// Keras's ReLU layer: max(x, 0) with Keras's negative_slope (0) and max_value (none), as Caffe's
/// ReLU (negative_slope) followed by a Clip at max_value when one is given. A threshold other
/// than 0 has no exact Caffe form and is refused.
/// </summary>
public sealed class ReLU : KerasLayer
{
    public override string ClassName => "ReLU";
    public override string NamePrefix => "re_lu";
    public double NegativeSlope { get; init; }
    public double? MaxValue { get; init; }
    public double Threshold { get; init; }
    internal override int[] OutputShape(int[] input) => input;
    internal override JsonObject Config(KerasVersion format) => new() { ["max_value"] = MaxValue, ["negative_slope"] = NegativeSlope, ["threshold"] = Threshold };

    internal override string ToCaffe(string bottom, int[] input, List<LayerParameter> layers, List<string> notes)
    {
        if (Threshold != 0) throw Error($"threshold {Threshold.ToString(CultureInfo.InvariantCulture)} has no Caffe equivalent (Caffe's ReLU bends at 0)");
        if (MaxValue is < 0) throw Error($"max_value must not be negative, got {MaxValue}");
        layers.Add(new LayerParameter { Name = Name, Type = "ReLU", Bottom = { bottom }, Top = { bottom }, ReluParam = new ReLUParameter { NegativeSlope = (float)NegativeSlope } });
        if (MaxValue is not double max) return bottom;
        // Not in place: Clip's backward reads its input.
        layers.Add(new LayerParameter { Name = Name + "_max", Type = "Clip", Bottom = { bottom }, Top = { Name }, ClipParam = new ClipParameter { Min = float.MinValue, Max = (float)max } });
        return Name!;
    }
}

/// <summary>Keras's LeakyReLU: x for x &gt; 0, else alpha x, alpha 0.3 by default (Keras 3 calls it negative_slope): Caffe's ReLU with negative_slope.</summary>
public sealed class LeakyReLU(double alpha = 0.3) : KerasLayer
{
    public override string ClassName => "LeakyReLU";
    public override string NamePrefix => "leaky_re_lu";
    public double Alpha { get; } = alpha;
    internal override int[] OutputShape(int[] input) => input;
    // Keras 2 calls the slope alpha, Keras 3 negative_slope.
    internal override JsonObject Config(KerasVersion format) => new() { [format == KerasVersion.Keras3 ? "negative_slope" : "alpha"] = Alpha };

    internal override string ToCaffe(string bottom, int[] input, List<LayerParameter> layers, List<string> notes)
    {
        layers.Add(new LayerParameter { Name = Name, Type = "ReLU", Bottom = { bottom }, Top = { bottom }, ReluParam = new ReLUParameter { NegativeSlope = (float)Alpha } });
        return bottom;
    }
}

/// <summary>Keras's ELU layer: x for x &gt; 0, else alpha (exp(x) - 1), alpha 1.0: Caffe's ELU (not in place: its backward reads the input).</summary>
public sealed class ELU(double alpha = 1.0) : KerasLayer
{
    public override string ClassName => "ELU";
    public override string NamePrefix => "elu";
    public double Alpha { get; } = alpha;
    internal override int[] OutputShape(int[] input) => input;
    internal override JsonObject Config(KerasVersion format) => new() { ["alpha"] = Alpha };

    internal override string ToCaffe(string bottom, int[] input, List<LayerParameter> layers, List<string> notes)
    {
        layers.Add(new LayerParameter { Name = Name, Type = "ELU", Bottom = { bottom }, Top = { Name }, EluParam = new ELUParameter { Alpha = (float)Alpha } });
        return Name!;
    }
}
