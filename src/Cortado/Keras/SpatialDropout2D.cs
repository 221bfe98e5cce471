using System.Text.Json.Nodes;
using Cortado.Errors;
using Cortado.Proto;

namespace Cortado.Keras;

/// <summary>
/// Keras's SpatialDropout2D(rate): drops whole feature maps. Caffe has no such layer, so it is
/// Cortado's SpatialDropout (each sample's channel kept or dropped as one, kept ones scaled by
/// 1 / (1 - rate)), and the exported prototxt says so.
/// </summary>
public sealed class SpatialDropout2D(double rate) : KerasLayer
{
    public override string ClassName => "SpatialDropout2D";
    public override string NamePrefix => "spatial_dropout2d";
    public double Rate { get; } = rate;
    internal override JsonObject Config(KerasVersion format) => new() { ["rate"] = Rate, ["data_format"] = "channels_last", ["noise_shape"] = null, ["seed"] = null };

    internal override int[] OutputShape(int[] input)
    {
        Spatial(input, Name!, ClassName);
        if (!(Rate >= 0 && Rate < 1)) throw Error($"rate must be in [0, 1), got {Rate}");
        return input;
    }

    internal override string ToCaffe(string bottom, int[] input, List<LayerParameter> layers, List<string> notes)
    {
        notes.Add($"{Name}: SpatialDropout2D is Cortado's SpatialDropout layer (not in Caffe): whole channels dropped together");
        layers.Add(new LayerParameter { Name = Name, Type = "SpatialDropout", Bottom = { bottom }, Top = { bottom }, DropoutParam = new DropoutParameter { DropoutRatio = (float)Rate } });
        return bottom;
    }
}
