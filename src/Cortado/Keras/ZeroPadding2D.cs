using System.Text.Json.Nodes;
using Cortado.Proto;

namespace Cortado.Keras;

/// <summary>
/// Keras's ZeroPadding2D(padding = (1, 1)): rows of zeros above and below, columns left and right.
/// Caffe has no padding layer, so it is written exactly as a 1 x 1 depthwise Convolution (group =
/// channels) with weights fixed at 1 (lr_mult 0) and the padding as its pad. Caffe pads both sides
/// alike, so padding that differs between top and bottom (or left and right) is refused.
/// </summary>
public sealed class ZeroPadding2D(((int Top, int Bottom) Rows, (int Left, int Right) Columns) padding) : KerasLayer
{
    public ZeroPadding2D() : this(1) { }
    public ZeroPadding2D(int padding) : this(((padding, padding), (padding, padding))) { }
    public ZeroPadding2D((int Height, int Width) padding) : this(((padding.Height, padding.Height), (padding.Width, padding.Width))) { }

    public override string ClassName => "ZeroPadding2D";
    public override string NamePrefix => "zero_padding2d";
    public ((int Top, int Bottom) Rows, (int Left, int Right) Columns) Padding { get; } = padding;
    internal override JsonObject Config(KerasVersion format) => new() { ["padding"] = KerasJson.Pairs(Padding), ["data_format"] = "channels_last" };

    internal override int[] OutputShape(int[] input)
    {
        var (h, w, c) = (Spatial(input, Name!, ClassName)[0], input[1], input[2]);
        if (Padding.Rows.Top < 0 || Padding.Rows.Bottom < 0 || Padding.Columns.Left < 0 || Padding.Columns.Right < 0) throw Error($"padding must not be negative, got {Padding}");
        return [h + Padding.Rows.Top + Padding.Rows.Bottom, w + Padding.Columns.Left + Padding.Columns.Right, c];
    }

    internal override string ToCaffe(string bottom, int[] input, List<LayerParameter> layers, List<string> notes)
    {
        if (Padding.Rows.Top != Padding.Rows.Bottom || Padding.Columns.Left != Padding.Columns.Right)
            throw Error($"padding {Padding} differs between the two sides; Caffe pads both sides alike, so only symmetric ZeroPadding2D maps exactly");
        int channels = input[2];
        notes.Add($"{Name}: zero padding is a 1x1 depthwise Convolution with weights fixed at 1 and pad {Padding.Rows.Top}x{Padding.Columns.Left} (Caffe has no padding layer)");
        layers.Add(new LayerParameter
        {
            Name = Name, Type = "Convolution", Bottom = { bottom }, Top = { Name },
            Param = { new ParamSpec { LrMult = 0, DecayMult = 0 } },
            ConvolutionParam = new ConvolutionParameter
            {
                NumOutput = (uint)channels, Group = (uint)channels, KernelSize = { 1 }, BiasTerm = false,
                PadH = (uint)Padding.Rows.Top, PadW = (uint)Padding.Columns.Left,
                WeightFiller = new FillerParameter { Type = "constant", Value = 1 },
            },
        });
        return Name!;
    }
}
