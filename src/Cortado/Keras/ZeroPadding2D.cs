using System.Text.Json.Nodes;
using Cortado.Proto;

namespace Cortado.Keras;

/// <summary>
/// Keras's ZeroPadding2D(padding = (1, 1)): rows of zeros above and below, columns left and right.
/// Caffe has no padding layer, so it is written exactly as a 1 x 1 depthwise Convolution (group =
/// channels) with weights fixed at 1 (lr_mult 0) and the padding as its pad. Caffe pads both sides
/// alike, so uneven padding (MobileNet's ((0, 1), (0, 1)) before a stride-2 convolution) pads by the
/// larger side and then cuts the extra rows and columns off with Slice layers: exact either way.
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
        var ((top, bottomRows), (left, right)) = Padding;
        // Caffe pads both sides alike: pad by the larger side, then cut what the smaller side did not ask for.
        int rows = Math.Max(top, bottomRows), columns = Math.Max(left, right);
        bool symmetric = top == bottomRows && left == right;
        string padded = symmetric ? Name! : Name + "_symmetric";
        int channels = input[2];
        notes.Add($"{Name}: zero padding is a 1x1 depthwise Convolution with weights fixed at 1 and pad {rows}x{columns} (Caffe has no padding layer)" +
            (symmetric ? "" : $"; Keras's uneven {Padding} then crops the extra rows and columns with Slice layers"));
        layers.Add(new LayerParameter
        {
            Name = padded, Type = "Convolution", Bottom = { bottom }, Top = { padded },
            Param = { new ParamSpec { LrMult = 0, DecayMult = 0 } },
            ConvolutionParam = new ConvolutionParameter
            {
                NumOutput = (uint)channels, Group = (uint)channels, KernelSize = { 1 }, BiasTerm = false,
                PadH = (uint)rows, PadW = (uint)columns,
                WeightFiller = new FillerParameter { Type = "constant", Value = 1 },
            },
        });
        if (symmetric) return Name!;
        var crop = new Cropping2D(((rows - top, rows - bottomRows), (columns - left, columns - right))) { Name = Name };
        return crop.ToCaffe(padded, [input[0] + 2 * rows, input[1] + 2 * columns, channels], layers, notes);
    }
}
