using System.Text.Json.Nodes;
using Cortado.Proto;

namespace Cortado.Keras;

/// <summary>
/// Keras's Conv2DTranspose(filters, kernel_size): strides (1, 1), padding 'valid' ((in - 1) stride + kernel
/// outputs) or 'same' (in x stride), glorot_uniform kernel of shape (kh, kw, filters, in), zero bias.
/// Caffe's Deconvolution computes the same transposed convolution with weights (in, filters, kh, kw).
/// 'same' crops kernel - stride cells, the odd one at the end: Caffe's pad crops the even part from
/// both sides, and a Slice removes the odd cell at the bottom/right.
/// </summary>
public sealed class Conv2DTranspose(int filters, (int Height, int Width) kernelSize) : KerasLayer
{
    public Conv2DTranspose(int filters, int kernelSize) : this(filters, (kernelSize, kernelSize)) { }

    public override string ClassName => "Conv2DTranspose";
    public override string NamePrefix => "conv2d_transpose";
    public int Filters { get; } = filters;
    public (int Height, int Width) KernelSize { get; } = kernelSize;
    public (int Height, int Width) Strides { get; init; } = (1, 1);
    public string Padding { get; init; } = "valid";
    public string? Activation { get; init; }
    public bool UseBias { get; init; } = true;
    public string KernelInitializer { get; init; } = "glorot_uniform";
    public string BiasInitializer { get; init; } = "zeros";

    /// <summary>Cells Keras's 'same' removes from the full output on one axis: before, after.</summary>
    private (int Before, int After) Cropped(int kernel, int stride)
    {
        int total = Padding == "same" ? Math.Max(kernel - stride, 0) : 0;
        return (total / 2, total - total / 2);
    }

    internal override int[] OutputShape(int[] input)
    {
        Spatial(input, Name!, ClassName);
        if (Padding is not ("valid" or "same")) throw Error($"padding '{Padding}' is not supported; use 'valid' or 'same'");
        if (Filters < 1 || KernelSize.Height < 1 || KernelSize.Width < 1 || Strides.Height < 1 || Strides.Width < 1)
            throw Error($"filters, kernel_size and strides must be positive, got {Filters}, {KernelSize} and {Strides}");
        if (Padding == "same" && (KernelSize.Height < Strides.Height || KernelSize.Width < Strides.Width))
            throw Error($"padding 'same' with a kernel {KernelSize} smaller than its strides {Strides} leaves gaps that Caffe's Deconvolution cannot pad");
        int Size(int size, int kernel, int stride) => Padding == "same" ? size * stride : (size - 1) * stride + kernel;
        return [Size(input[0], KernelSize.Height, Strides.Height), Size(input[1], KernelSize.Width, Strides.Width), Filters];
    }

    internal override long ParamCount(int[] input) =>
        checked((long)KernelSize.Height * KernelSize.Width * Spatial(input, Name!, ClassName)[2] * Filters + (UseBias ? Filters : 0));

    internal override KerasWeightSpec[] WeightSpecs(int[] input)
    {
        var kernel = new KerasWeightSpec("kernel", [KernelSize.Height, KernelSize.Width, Filters, input[2]]);
        return UseBias ? [kernel, new("bias", [Filters])] : [kernel];
    }

    internal override JsonObject Config(KerasVersion format) => new()
    {
        ["filters"] = Filters, ["kernel_size"] = KerasJson.Pair(KernelSize), ["strides"] = KerasJson.Pair(Strides), ["padding"] = Padding,
        ["data_format"] = "channels_last", ["dilation_rate"] = KerasJson.Pair((1, 1)), ["output_padding"] = null, ["activation"] = Activation ?? "linear",
        ["use_bias"] = UseBias, ["kernel_initializer"] = KerasJson.Initializer(KernelInitializer, format), ["bias_initializer"] = KerasJson.Initializer(BiasInitializer, format),
        ["kernel_regularizer"] = null, ["bias_regularizer"] = null, ["activity_regularizer"] = null, ["kernel_constraint"] = null, ["bias_constraint"] = null,
    };

    internal override string ToCaffe(string bottom, int[] input, List<LayerParameter> layers, List<string> notes)
    {
        // Keras's fans for the transposed kernel (kh, kw, filters, in): fan_in counts the filters.
        double fanIn = KernelSize.Height * KernelSize.Width * Filters, fanOut = KernelSize.Height * KernelSize.Width * input[2];
        var (rows, columns) = (Cropped(KernelSize.Height, Strides.Height), Cropped(KernelSize.Width, Strides.Width));
        var deconvolution = new ConvolutionParameter
        {
            NumOutput = (uint)Filters, KernelH = (uint)KernelSize.Height, KernelW = (uint)KernelSize.Width,
            StrideH = (uint)Strides.Height, StrideW = (uint)Strides.Width, PadH = (uint)rows.Before, PadW = (uint)columns.Before, BiasTerm = UseBias,
            WeightFiller = Initializers.Filler(KernelInitializer, fanIn, fanOut, Name!, notes),
        };
        if (UseBias) deconvolution.BiasFiller = Initializers.Filler(BiasInitializer, fanIn, fanOut, Name!, notes);
        string deconvolved = rows.After > rows.Before || columns.After > columns.Before ? Name + "_full" : Name!;
        // The layer keeps the Keras name (its weights are found by it) whatever its top is called.
        layers.Add(new LayerParameter { Name = Name, Type = "Deconvolution", Bottom = { bottom }, Top = { deconvolved }, ConvolutionParam = deconvolution });
        string blob = deconvolved;
        if (deconvolved != Name)
        {
            // Caffe's pad crops alike on both sides; Keras's odd cell goes at the end.
            var output = OutputShape(input);
            var extra = new Cropping2D(((0, rows.After - rows.Before), (0, columns.After - columns.Before))) { Name = Name };
            notes.Add($"{Name}: 'same' crops {rows.Before + rows.After}x{columns.Before + columns.After} cells; Caffe's pad takes {rows.Before}x{columns.Before} from each side, a Slice the odd one at the bottom/right");
            blob = extra.ToCaffe(deconvolved, [output[0] + rows.After - rows.Before, output[1] + columns.After - columns.Before, Filters], layers, notes);
        }
        return AddActivation(Activation, Name + "_" + Activation, blob, layers, Name!);
    }
}
