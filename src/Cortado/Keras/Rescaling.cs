using System.Text.Json.Nodes;
using Cortado.Proto;

namespace Cortado.Keras;

/// <summary>
/// Keras's Rescaling(scale, offset = 0): x scale + offset, the Keras spelling of the seed's fix
/// (Rescaling(1/255) before the first convolution). Caffe's Power layer with power 1 computes
/// exactly that; a Caffe user would write transform_param { scale: 0.00390625 } on the data layer.
/// </summary>
public sealed class Rescaling(double scale, double offset = 0) : KerasLayer
{
    public override string ClassName => "Rescaling";
    public override string NamePrefix => "rescaling";
    public double Scale { get; } = scale;
    public double Offset { get; } = offset;
    internal override JsonObject Config(KerasVersion format) => new() { ["scale"] = Scale, ["offset"] = Offset };
    internal override int[] OutputShape(int[] input) => input;

    internal override string ToCaffe(string bottom, int[] input, List<LayerParameter> layers, List<string> notes)
    {
        if (!double.IsFinite(Scale) || !double.IsFinite(Offset)) throw Error($"scale and offset must be finite numbers, got {Scale} and {Offset}");
        notes.Add($"{Name}: x * {Scale:G6} + {Offset:G6} is Caffe's Power layer (power 1); on a data layer transform_param's scale does the same");
        layers.Add(new LayerParameter { Name = Name, Type = "Power", Bottom = { bottom }, Top = { Name }, PowerParam = new PowerParameter { Power = 1, Scale = (float)Scale, Shift = (float)Offset } });
        return Name!;
    }
}
