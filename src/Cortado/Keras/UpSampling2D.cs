using System.Text.Json.Nodes;
using Cortado.Proto;

namespace Cortado.Keras;

/// <summary>
/// Keras's UpSampling2D(size = (2, 2), interpolation 'nearest'): each pixel repeated over a size
/// block. Caffe has no upsampling layer, so it is written exactly as a depthwise Deconvolution
/// (group = channels) with kernel and stride = size and weights fixed at 1 (lr_mult 0).
/// 'bilinear' has no exact Caffe form and is refused.
/// </summary>
public sealed class UpSampling2D((int Height, int Width) size) : KerasLayer
{
    public UpSampling2D() : this((2, 2)) { }
    public UpSampling2D(int size) : this((size, size)) { }

    public override string ClassName => "UpSampling2D";
    public override string NamePrefix => "up_sampling2d";
    public (int Height, int Width) Size { get; } = size;
    public string Interpolation { get; init; } = "nearest";
    internal override JsonObject Config(KerasVersion format) => new() { ["size"] = KerasJson.Pair(Size), ["data_format"] = "channels_last", ["interpolation"] = Interpolation };

    internal override int[] OutputShape(int[] input)
    {
        Spatial(input, Name!, ClassName);
        if (Size.Height < 1 || Size.Width < 1) throw Error($"size must be positive, got {Size}");
        return [input[0] * Size.Height, input[1] * Size.Width, input[2]];
    }

    internal override string ToCaffe(string bottom, int[] input, List<LayerParameter> layers, List<string> notes)
    {
        if (Interpolation != "nearest") throw Error($"interpolation '{Interpolation}' has no exact Caffe form; use 'nearest'");
        notes.Add($"{Name}: nearest upsampling by {Size.Height}x{Size.Width} is a depthwise Deconvolution with kernel = stride = size and weights fixed at 1");
        layers.Add(new LayerParameter
        {
            Name = Name, Type = "Deconvolution", Bottom = { bottom }, Top = { Name },
            Param = { new ParamSpec { LrMult = 0, DecayMult = 0 } },
            ConvolutionParam = new ConvolutionParameter
            {
                NumOutput = (uint)input[2], Group = (uint)input[2], BiasTerm = false,
                KernelH = (uint)Size.Height, KernelW = (uint)Size.Width, StrideH = (uint)Size.Height, StrideW = (uint)Size.Width,
                WeightFiller = new FillerParameter { Type = "constant", Value = 1 },
            },
        });
        return Name!;
    }
}
