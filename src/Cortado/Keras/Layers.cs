using System.Text.Json.Nodes;
using Cortado.Proto;

namespace Cortado.Keras;

/// <summary>Keras's Conv2D: filters, kernel_size, strides (1, 1), padding 'valid', glorot_uniform kernel, zero bias.</summary>
public sealed class Conv2D(int filters, (int Height, int Width) kernelSize) : KerasLayer
{
    public Conv2D(int filters, int kernelSize) : this(filters, (kernelSize, kernelSize)) { }

    public override string ClassName => "Conv2D";
    public override string NamePrefix => "conv2d";
    public int Filters { get; } = filters;
    public (int Height, int Width) KernelSize { get; } = kernelSize;
    public (int Height, int Width) Strides { get; init; } = (1, 1);
    public (int Height, int Width) DilationRate { get; init; } = (1, 1);
    public string Padding { get; init; } = "valid";
    public string? Activation { get; init; }
    public bool UseBias { get; init; } = true;
    // The window a dilated kernel spans.
    private (int Height, int Width) Extent => (DilationRate.Height * (KernelSize.Height - 1) + 1, DilationRate.Width * (KernelSize.Width - 1) + 1);
    public string KernelInitializer { get; init; } = "glorot_uniform";
    public string BiasInitializer { get; init; } = "zeros";

    internal override int[] OutputShape(int[] input)
    {
        var (h, w, _) = (Spatial(input, Name!, ClassName)[0], input[1], input[2]);
        if (Padding is not ("valid" or "same")) throw Error($"padding '{Padding}' is not supported; use 'valid' or 'same'");
        if (DilationRate.Height < 1 || DilationRate.Width < 1) throw Error($"dilation_rate must be positive, got {DilationRate}");
        int oh = Padding == "same" ? (h + Strides.Height - 1) / Strides.Height : (h - Extent.Height) / Strides.Height + 1;
        int ow = Padding == "same" ? (w + Strides.Width - 1) / Strides.Width : (w - Extent.Width) / Strides.Width + 1;
        if (oh <= 0 || ow <= 0) throw Error($"a {KernelSize.Height}x{KernelSize.Width} kernel does not fit its {h}x{w} input");
        return [oh, ow, Filters];
    }

    internal override long ParamCount(int[] input) =>
        checked((long)KernelSize.Height * KernelSize.Width * Spatial(input, Name!, ClassName)[2] * Filters + (UseBias ? Filters : 0));

    internal override KerasWeightSpec[] WeightSpecs(int[] input)
    {
        var kernel = new KerasWeightSpec("kernel", [KernelSize.Height, KernelSize.Width, input[2], Filters]);
        return UseBias ? [kernel, new("bias", [Filters])] : [kernel];
    }

    internal override JsonObject Config(KerasVersion format) => new()
    {
        ["filters"] = Filters, ["kernel_size"] = KerasJson.Pair(KernelSize), ["strides"] = KerasJson.Pair(Strides), ["padding"] = Padding,
        ["data_format"] = "channels_last", ["dilation_rate"] = KerasJson.Pair(DilationRate), ["groups"] = 1, ["activation"] = Activation ?? "linear",
        ["use_bias"] = UseBias, ["kernel_initializer"] = KerasJson.Initializer(KernelInitializer, format), ["bias_initializer"] = KerasJson.Initializer(BiasInitializer, format),
        ["kernel_regularizer"] = null, ["bias_regularizer"] = null, ["activity_regularizer"] = null, ["kernel_constraint"] = null, ["bias_constraint"] = null,
    };

    internal override string ToCaffe(string bottom, int[] input, List<LayerParameter> layers, List<string> notes)
    {
        double fanIn = KernelSize.Height * KernelSize.Width * input[2], fanOut = KernelSize.Height * KernelSize.Width * Filters;
        var conv = new ConvolutionParameter
        {
            NumOutput = (uint)Filters, KernelH = (uint)KernelSize.Height, KernelW = (uint)KernelSize.Width,
            StrideH = (uint)Strides.Height, StrideW = (uint)Strides.Width, BiasTerm = UseBias,
            WeightFiller = Initializers.Filler(KernelInitializer, fanIn, fanOut, Name!, notes),
        };
        if (UseBias) conv.BiasFiller = Initializers.Filler(BiasInitializer, fanIn, fanOut, Name!, notes);
        if (DilationRate != (1, 1)) conv.Dilation.AddRange(DilationRate.Height == DilationRate.Width ? [(uint)DilationRate.Height] : [(uint)DilationRate.Height, (uint)DilationRate.Width]);
        if (Padding == "same")
        {
            // Caffe pads symmetrically; Keras puts an odd extra pixel at the bottom/right.
            int totalH = Math.Max(0, (OutputShape(input)[0] - 1) * Strides.Height + Extent.Height - input[0]);
            int totalW = Math.Max(0, (OutputShape(input)[1] - 1) * Strides.Width + Extent.Width - input[1]);
            conv.PadH = (uint)(totalH / 2);
            conv.PadW = (uint)(totalW / 2);
            if (totalH % 2 != 0 || totalW % 2 != 0)
                notes.Add($"{Name}: padding 'same' needs {totalH}x{totalW} padding pixels; Keras adds the odd one at the bottom/right, Caffe pads symmetrically, so outputs shift by a pixel");
        }
        layers.Add(new LayerParameter { Name = Name, Type = "Convolution", Bottom = { bottom }, Top = { Name }, ConvolutionParam = conv });
        return AddActivation(Activation, Name + "_" + Activation, Name!, layers, Name!);
    }
}

/// <summary>
/// Keras's MaxPooling2D and AveragePooling2D: pool_size (2, 2), strides = pool_size, padding
/// 'valid' (rounds down) or 'same' (ceil(size / stride) outputs, the padding split with the odd
/// pixel at the bottom/right, padded cells never counted). 'same' becomes Caffe's pad with its
/// rounding up, which gives the same windows where the output sizes agree; for AVE only when no
/// padding comes first, since Caffe's average counts the padded cells before the image.
/// </summary>
public class Pooling2D(string method, (int Height, int Width) poolSize) : KerasLayer
{
    public override string ClassName => method == "MAX" ? "MaxPooling2D" : "AveragePooling2D";
    public override string NamePrefix => method == "MAX" ? "max_pooling2d" : "average_pooling2d";
    public (int Height, int Width) PoolSize { get; } = poolSize;
    /// <summary>Keras's default: the pool size (Caffe's default stride is 1).</summary>
    public (int Height, int Width)? Strides { get; init; }
    public string Padding { get; init; } = "valid";
    private (int Height, int Width) Stride => Strides ?? PoolSize;

    // Keras writes the strides it uses: the pool size when none were given.
    internal override JsonObject Config(KerasVersion format) => new()
    {
        ["pool_size"] = KerasJson.Pair(PoolSize), ["padding"] = Padding, ["strides"] = KerasJson.Pair(Stride), ["data_format"] = "channels_last",
    };

    internal override int[] OutputShape(int[] input)
    {
        Spatial(input, Name!, ClassName);
        if (Padding is not ("valid" or "same")) throw Error($"padding '{Padding}' is not supported for pooling; use 'valid' or 'same'");
        if (Padding == "same") return [(input[0] + Stride.Height - 1) / Stride.Height, (input[1] + Stride.Width - 1) / Stride.Width, input[2]];
        int oh = (input[0] - PoolSize.Height) / Stride.Height + 1, ow = (input[1] - PoolSize.Width) / Stride.Width + 1;
        if (oh <= 0 || ow <= 0) throw Error($"a {PoolSize.Height}x{PoolSize.Width} pool does not fit its {input[0]}x{input[1]} input");
        return [oh, ow, input[2]];
    }

    internal override string ToCaffe(string bottom, int[] input, List<LayerParameter> layers, List<string> notes)
    {
        if (Strides == null) notes.Add($"{Name}: Keras strides by the pool size ({PoolSize.Height}x{PoolSize.Width}); written as an explicit stride, since Caffe's default stride is 1");
        var pooling = new PoolingParameter
        {
            Pool = method == "MAX" ? PoolingParameter.Types.PoolMethod.Max : PoolingParameter.Types.PoolMethod.Ave,
            KernelH = (uint)PoolSize.Height, KernelW = (uint)PoolSize.Width, StrideH = (uint)Stride.Height, StrideW = (uint)Stride.Width,
        };
        if (Padding == "same")
        {
            var output = OutputShape(input);
            pooling.PadH = (uint)SamePadding(input[0], output[0], PoolSize.Height, Stride.Height, "rows");
            pooling.PadW = (uint)SamePadding(input[1], output[1], PoolSize.Width, Stride.Width, "columns");
            notes.Add($"{Name}: Keras's 'same' pooling is Caffe's pad {pooling.PadH}x{pooling.PadW} with its rounding up: the same windows, padded cells left out");
        }
        else
        {
            pooling.RoundMode = PoolingParameter.Types.RoundMode.Floor;
            notes.Add($"{Name}: Keras's 'valid' pooling rounds the output size down; written as round_mode: FLOOR, since Caffe rounds up by default");
        }
        layers.Add(new LayerParameter { Name = Name, Type = "Pooling", Bottom = { bottom }, Top = { Name }, PoolingParam = pooling });
        return Name!;
    }

    /// <summary>
    /// Caffe's pad for one axis of 'same' pooling: Keras's padding before the image (the smaller half).
    /// Refused where Caffe's rounded-up output count differs, or for AVE with padding before, where
    /// Caffe's divisor counts padded cells that Keras's does not.
    /// </summary>
    private int SamePadding(int size, int output, int pool, int stride, string axis)
    {
        int total = Math.Max(0, (output - 1) * stride + pool - size), before = total / 2;
        int caffe = (int)Math.Ceiling((size + 2.0 * before - pool) / stride) + 1;
        if (before > 0 && (caffe - 1) * stride >= size + before) caffe--;
        if (caffe != output)
            throw Error($"padding 'same' over {size} {axis} (pool {pool}, stride {stride}) pads {before} before and {total - before} after; Caffe's symmetric pad gives {caffe} outputs where Keras gives {output}, so there is no exact Caffe equivalent");
        if (method == "AVE" && before > 0)
            throw Error($"padding 'same' over {size} {axis} (pool {pool}, stride {stride}) pads {before} before the image; Caffe's AVE pooling counts those cells in its divisor and Keras does not, so there is no exact Caffe equivalent");
        return before;
    }
}

public sealed class MaxPooling2D((int Height, int Width) poolSize) : Pooling2D("MAX", poolSize)
{
    public MaxPooling2D() : this((2, 2)) { }
    public MaxPooling2D(int poolSize) : this((poolSize, poolSize)) { }
}

public sealed class AveragePooling2D((int Height, int Width) poolSize) : Pooling2D("AVE", poolSize)
{
    public AveragePooling2D() : this((2, 2)) { }
    public AveragePooling2D(int poolSize) : this((poolSize, poolSize)) { }
}

/// <summary>Keras's GlobalAveragePooling2D and GlobalMaxPooling2D: the mean or maximum of each channel, (h, w, c) to (c).</summary>
public abstract class GlobalPooling2D(string method) : KerasLayer
{
    public override string ClassName => method == "MAX" ? "GlobalMaxPooling2D" : "GlobalAveragePooling2D";
    public override string NamePrefix => method == "MAX" ? "global_max_pooling2d" : "global_average_pooling2d";
    internal override int[] OutputShape(int[] input) => [Spatial(input, Name!, ClassName)[2]];
    internal override JsonObject Config(KerasVersion format) => new() { ["data_format"] = "channels_last", ["keepdims"] = false };

    internal override string ToCaffe(string bottom, int[] input, List<LayerParameter> layers, List<string> notes)
    {
        var pool = method == "MAX" ? PoolingParameter.Types.PoolMethod.Max : PoolingParameter.Types.PoolMethod.Ave;
        layers.Add(new LayerParameter { Name = Name + "_pool", Type = "Pooling", Bottom = { bottom }, Top = { Name + "_pool" }, PoolingParam = new PoolingParameter { Pool = pool, GlobalPooling = true } });
        layers.Add(new LayerParameter { Name = Name, Type = "Flatten", Bottom = { Name + "_pool" }, Top = { Name } });
        return Name!;
    }
}

public sealed class GlobalAveragePooling2D() : GlobalPooling2D("AVE");

public sealed class GlobalMaxPooling2D() : GlobalPooling2D("MAX");

/// <summary>Keras's Dropout(rate): inverted dropout at training time, as Caffe's.</summary>
public sealed class Dropout(double rate) : KerasLayer
{
    public override string ClassName => "Dropout";
    public override string NamePrefix => "dropout";
    public double Rate { get; } = rate;
    internal override int[] OutputShape(int[] input) => input;
    internal override JsonObject Config(KerasVersion format) => new() { ["rate"] = Rate, ["noise_shape"] = null, ["seed"] = null };

    internal override string ToCaffe(string bottom, int[] input, List<LayerParameter> layers, List<string> notes)
    {
        layers.Add(new LayerParameter { Name = Name, Type = "Dropout", Bottom = { bottom }, Top = { bottom }, DropoutParam = new DropoutParameter { DropoutRatio = (float)Rate } });
        return bottom;
    }
}

/// <summary>Keras's Flatten. Keras flattens height-width-channel, Caffe channel-height-width: the same features in another order.</summary>
public sealed class Flatten : KerasLayer
{
    public override string ClassName => "Flatten";
    public override string NamePrefix => "flatten";
    internal override int[] OutputShape(int[] input) => [input.Aggregate(1, (a, b) => a * b)];
    internal override JsonObject Config(KerasVersion format) => new() { ["data_format"] = "channels_last" };

    internal override string ToCaffe(string bottom, int[] input, List<LayerParameter> layers, List<string> notes)
    {
        if (input.Length == 3) notes.Add($"{Name}: Caffe flattens channel-first (C,H,W) where Keras flattens channel-last (H,W,C); trained from scratch this only reorders the next layer's weights");
        layers.Add(new LayerParameter { Name = Name, Type = "Flatten", Bottom = { bottom }, Top = { Name } });
        return Name!;
    }
}

/// <summary>Keras's Dense: units, linear activation, glorot_uniform kernel, zero bias.</summary>
public sealed class Dense(int units) : KerasLayer
{
    public override string ClassName => "Dense";
    public override string NamePrefix => "dense";
    public int Units { get; } = units;
    public string? Activation { get; init; }
    public bool UseBias { get; init; } = true;
    public string KernelInitializer { get; init; } = "glorot_uniform";
    public string BiasInitializer { get; init; } = "zeros";

    internal override int[] OutputShape(int[] input)
    {
        if (input.Length != 1) throw Error($"needs a flat input, got ({string.Join(", ", input)}); add Flatten() before it");
        return [Units];
    }

    internal override long ParamCount(int[] input) => checked((long)input[0] * Units + (UseBias ? Units : 0));

    internal override KerasWeightSpec[] WeightSpecs(int[] input) =>
        UseBias ? [new("kernel", [input[0], Units]), new("bias", [Units])] : [new("kernel", [input[0], Units])];

    internal override JsonObject Config(KerasVersion format) => new()
    {
        ["units"] = Units, ["activation"] = Activation ?? "linear", ["use_bias"] = UseBias,
        ["kernel_initializer"] = KerasJson.Initializer(KernelInitializer, format), ["bias_initializer"] = KerasJson.Initializer(BiasInitializer, format),
        ["kernel_regularizer"] = null, ["bias_regularizer"] = null, ["activity_regularizer"] = null, ["kernel_constraint"] = null, ["bias_constraint"] = null,
    };

    internal override string ToCaffe(string bottom, int[] input, List<LayerParameter> layers, List<string> notes)
    {
        var ip = new InnerProductParameter { NumOutput = (uint)Units, BiasTerm = UseBias, WeightFiller = Initializers.Filler(KernelInitializer, input[0], Units, Name!, notes) };
        if (UseBias) ip.BiasFiller = Initializers.Filler(BiasInitializer, input[0], Units, Name!, notes);
        layers.Add(new LayerParameter { Name = Name, Type = "InnerProduct", Bottom = { bottom }, Top = { Name }, InnerProductParam = ip });
        return AddActivation(Activation, Name + "_" + Activation, Name!, layers, Name!);
    }
}

/// <summary>Keras's Activation: relu, softmax, sigmoid, tanh, elu or linear.</summary>
public sealed class Activation(string function) : KerasLayer
{
    public override string ClassName => "Activation";
    public override string NamePrefix => "activation";
    public string Function { get; } = function;
    internal override int[] OutputShape(int[] input) => input;
    internal override JsonObject Config(KerasVersion format) => new() { ["activation"] = Function };

    internal override string ToCaffe(string bottom, int[] input, List<LayerParameter> layers, List<string> notes)
    {
        return AddActivation(Function, Name!, bottom, layers, Name!);
    }
}

/// <summary>Keras's BatchNormalization (momentum 0.99, epsilon 1e-3, learned gamma and beta): Caffe's BatchNorm then Scale.</summary>
public sealed class BatchNormalization : KerasLayer
{
    public override string ClassName => "BatchNormalization";
    public override string NamePrefix => "batch_normalization";
    public double Momentum { get; init; } = 0.99;
    public double Epsilon { get; init; } = 1e-3;
    internal override int[] OutputShape(int[] input) => input;
    internal override long ParamCount(int[] input) => 4L * input[^1];
    internal override long NonTrainableCount(int[] input) => 2L * input[^1];

    internal override KerasWeightSpec[] WeightSpecs(int[] input) =>
        [new("gamma", [input[^1]]), new("beta", [input[^1]]), new("moving_mean", [input[^1]]), new("moving_variance", [input[^1]])];

    internal override JsonObject Config(KerasVersion format) => new()
    {
        ["axis"] = -1, ["momentum"] = Momentum, ["epsilon"] = Epsilon, ["center"] = true, ["scale"] = true,
        ["beta_initializer"] = KerasJson.Initializer("zeros", format), ["gamma_initializer"] = KerasJson.Initializer("ones", format),
        ["moving_mean_initializer"] = KerasJson.Initializer("zeros", format), ["moving_variance_initializer"] = KerasJson.Initializer("ones", format),
        ["beta_regularizer"] = null, ["gamma_regularizer"] = null, ["beta_constraint"] = null, ["gamma_constraint"] = null,
    };

    internal override string ToCaffe(string bottom, int[] input, List<LayerParameter> layers, List<string> notes)
    {
        notes.Add($"{Name}: Keras's moving averages (momentum {Momentum}) map to Caffe's moving_average_fraction; Caffe's BatchNorm has no gamma/beta, so a Scale layer with bias follows");
        layers.Add(new LayerParameter { Name = Name, Type = "BatchNorm", Bottom = { bottom }, Top = { bottom }, BatchNormParam = new BatchNormParameter { Eps = (float)Epsilon, MovingAverageFraction = (float)Momentum } });
        layers.Add(new LayerParameter { Name = Name + "_scale", Type = "Scale", Bottom = { bottom }, Top = { bottom }, ScaleParam = new ScaleParameter { BiasTerm = true } });
        return bottom;
    }
}

/// <summary>Keras's Input(shape=(height, width, channels)): gives the model its channel-last input shape; it computes nothing.</summary>
public sealed class Input(params int[] shape) : KerasLayer
{
    private KerasTensor? _tensor;

    public override string ClassName => "InputLayer";
    public override string NamePrefix => "input";
    public int[] Shape { get; } = shape;

    /// <summary>The input as a tensor of the functional API (Keras's keras.Input(shape) returns this).</summary>
    public KerasTensor Tensor
    {
        get
        {
            if (_tensor != null) return _tensor;
            if (Shape.Length == 0 || Shape.Any(d => d < 1)) throw new Errors.CortadoException($"Input shape must be positive sizes, got ({string.Join(", ", Shape)})");
            Name ??= AutomaticName(NamePrefix);
            return _tensor = new KerasTensor(Shape, null, this);
        }
    }

    public static implicit operator KerasTensor(Input input) => input.Tensor;
    internal override int[] OutputShape(int[] input) => input;
    internal override JsonObject Config(KerasVersion format) => new() { [format == KerasVersion.Keras3 ? "batch_shape" : "batch_input_shape"] = KerasJson.BatchShape(Shape) };
    internal override string ToCaffe(string bottom, int[] input, List<LayerParameter> layers, List<string> notes) => bottom;
}
