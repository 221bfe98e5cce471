using Cortado.Errors;
using Cortado.Layers;
using Cortado.Nets;
using Cortado.Proto;

namespace Cortado.Keras;

/// <summary>
/// The way back: a Caffe net (a chain of layers) as a Keras Sequential model with the same outputs,
/// for `cortado keras-export`. Every layer is expressed exactly or refused with the reason:
/// <list type="bullet">
/// <item>the data layer's scale and single mean value become Rescaling;</item>
/// <item>Convolution becomes Conv2D: 'valid' without padding, 'same' where Keras's split equals
/// Caffe's pad, otherwise ZeroPadding2D then 'valid';</item>
/// <item>Pooling becomes 'valid' pooling where Caffe's rounding up adds no window, 'same' pooling
/// where Keras's padding gives Caffe's windows, or is refused;</item>
/// <item>InnerProduct on an image becomes Flatten and Dense, its weights reordered from Caffe's
/// c-h-w features to Keras's h-w-c when saved;</item>
/// <item>Deconvolution becomes Conv2DTranspose ('valid', or 'same' where the pad is half of kernel - stride);
/// PReLU becomes PReLU with one alpha per channel (shared_axes [1, 2]) or one in all;</item>
/// <item>BatchNorm (with the Scale after it) becomes BatchNormalization; ReLU, Sigmoid, TanH, ELU,
/// Softmax, Dropout, Flatten and Power (power 1) map one to one; loss and accuracy layers are left out,
/// SoftmaxWithLoss leaving the softmax it computes.</item>
/// </list>
/// Weights go over in Caffe's layout into the model's own Caffe net, whose layers carry the same names.
/// </summary>
public static class CaffeToKeras
{
    private static readonly HashSet<string> DataTypes = ["Input", "Data", "ImageData", "MemoryData", "DummyData", "HDF5Data"];
    private static readonly HashSet<string> LeftOut = ["Accuracy", "Silence", "EuclideanLoss", "HingeLoss", "SigmoidCrossEntropyLoss", "InfogainLoss", "MultinomialLogisticLoss", "ContrastiveLoss"];

    public static Sequential Convert(NetParameter param, NetParameter? trained, List<string> notes, string weightsSource = "the weights")
    {
        using var net = new Net(param, Phase.Test);
        if (trained != null) net.CopyTrainedLayersFrom(trained, weightsSource);
        var built = new List<KerasLayer>();
        var weights = new NetParameter();
        string? current = null;
        int[]? input = null;
        // The layers as written (this phase's), not the Split layers the net inserts for shared blobs.
        var written = NetFilter.Filter(param, net.State).Layer;
        for (int i = 0; i < written.Count; i++)
        {
            var p = written[i];
            LayerException Refuse(string why) => new(p.Name, p.Type, $"keras-export: {why}");
            if (DataTypes.Contains(p.Type))
            {
                if (current != null) throw Refuse("a second data layer; a Sequential model has one input");
                var shape = net.Blob(p.Top[0]).Shape;
                input = shape.Count switch
                {
                    4 => [shape[2], shape[3], shape[1]],
                    2 => [shape[1]],
                    _ => throw Refuse($"the data blob has shape {string.Join(" x ", shape)}; Keras's image input is N x C x H x W in Caffe, a flat one N x D"),
                };
                current = p.Top[0];
                if (Rescaling(p, shape.Count == 4 ? shape[1] : 1, Refuse) is { } rescaling) Add(rescaling, p.Name + "_scaling");
                if (shape.Count == 4 && shape[1] == 3) notes.Add($"{p.Name}: the Keras model takes channels in the Caffe data's order (BGR when made by convert_imageset)");
                continue;
            }
            if (LeftOut.Contains(p.Type) || p.Type.EndsWith("Loss", StringComparison.Ordinal) && p.Type != "SoftmaxWithLoss")
            {
                notes.Add($"{p.Name} ({p.Type}): left out; it is training, not the model's output");
                continue;
            }
            if (current == null) throw Refuse("comes before any data layer; keras-export needs the net's input first");
            if (p.Bottom.Count == 0 || p.Bottom[0] != current || p.Bottom.Count > (p.Type == "SoftmaxWithLoss" ? 2 : 1))
                throw Refuse($"reads {string.Join(", ", p.Bottom)} where a chain reads '{current}', the output of the layer before; branching nets need Keras's functional API, which keras-export does not write yet");
            var bottom = net.Blob(p.Bottom[0]).Shape;
            switch (p.Type)
            {
                case "Convolution": Convolution(p, bottom, Refuse); break;
                case "ReLU":
                    Add(p.ReluParam?.NegativeSlope is > 0 and var slope ? new LeakyReLU(slope) : new Activation("relu"), p.Name);
                    break;
                case "Sigmoid": Add(new Activation("sigmoid"), p.Name); break;
                case "TanH": Add(new Activation("tanh"), p.Name); break;
                case "ELU": Add(new ELU(p.EluParam?.Alpha ?? 1), p.Name); break;
                case "Softmax" or "SoftmaxWithLoss":
                    if ((p.SoftmaxParam?.Axis ?? 1) != 1) throw Refuse("softmax over an axis other than the channels has no Keras equivalent here");
                    Add(new Activation("softmax"), p.Name);
                    break;
                case "Dropout": Add(new Dropout(p.DropoutParam?.DropoutRatio ?? 0.5), p.Name); break;
                case "Flatten":
                    if ((p.FlattenParam?.Axis ?? 1) != 1 || (p.FlattenParam?.EndAxis ?? -1) != -1) throw Refuse("only Flatten of every axis after the batch maps to Keras's Flatten");
                    if (bottom.Count > 2) Add(new Flatten(), p.Name);
                    break;
                case "Power":
                    if ((p.PowerParam?.Power ?? 1) != 1) throw Refuse($"power {p.PowerParam!.Power} has no Keras layer; only power 1 (x * scale + shift) is Rescaling");
                    Add(new Rescaling(p.PowerParam?.Scale ?? 1, p.PowerParam?.Shift ?? 0), p.Name);
                    break;
                case "Pooling": Pooling(p, bottom, net.Blob(p.Top[0]).Shape, Refuse); break;
                case "Deconvolution": Deconvolution(p, bottom, Refuse); break;
                case "PReLU":
                {
                    bool shared = p.PreluParam?.ChannelShared == true;
                    if (bottom.Count == 2 && shared) throw Refuse("one slope shared by all features: Keras's PReLU on a flat input learns one per feature");
                    Add(new PReLU { SharedAxes = bottom.Count == 4 ? (shared ? [1, 2, 3] : [1, 2]) : null }, p.Name);
                    Carry(p.Name, p.Name);
                    break;
                }
                case "InnerProduct":
                {
                    var ip = p.InnerProductParam;
                    if (ip.Axis != 1) throw Refuse($"axis {ip.Axis}: Keras's Dense here reads all features after the batch axis (axis 1)");
                    if (ip.Transpose) throw Refuse("transpose: true is not handled by keras-export");
                    if (bottom.Count > 2)
                    {
                        if (bottom.Count != 4) throw Refuse($"its input has shape {string.Join(" x ", bottom)}; an image (N x C x H x W) or flat input was expected");
                        Add(new Flatten(), p.Name + "_flatten");
                        notes.Add($"{p.Name}: Caffe's c-h-w features are Keras's h-w-c after Flatten; the kernel's rows are reordered to match");
                    }
                    Add(new Dense((int)ip.NumOutput)
                    {
                        UseBias = ip.BiasTerm, KernelInitializer = Initializer(ip.WeightFiller, "glorot_uniform", p.Name), BiasInitializer = Initializer(ip.BiasFiller, "zeros", p.Name),
                    }, p.Name);
                    Carry(p.Name, p.Name);
                    break;
                }
                case "BatchNorm":
                {
                    var scale = i + 1 < written.Count && written[i + 1] is { Type: "Scale" } s && s.Bottom.Count == 1 && s.Bottom[0] == p.Top[0] ? net.Layer(s.Name) : null;
                    var bn = p.BatchNormParam;
                    Add(new BatchNormalization { Epsilon = bn?.Eps ?? 1e-5, Momentum = bn?.MovingAverageFraction ?? 0.999 }, p.Name);
                    Carry(p.Name, p.Name);
                    int channels = bottom[1];
                    var gamma = scale?.Blobs[0].Data.ToArray() ?? Enumerable.Repeat(1f, channels).ToArray();
                    var beta = scale is { Blobs.Count: > 1 } ? scale.Blobs[1].Data.ToArray() : new float[channels];
                    weights.Layer.Add(new LayerParameter { Name = p.Name + "_scale", Blobs = { Blob(gamma), Blob(beta) } });
                    notes.Add(scale == null ? $"{p.Name}: no Scale follows, so gamma is 1 and beta 0" : $"{p.Name} and {scale.Name}: Caffe's BatchNorm and Scale are Keras's one BatchNormalization");
                    if (scale != null)
                    {
                        current = scale.Param.Top[0];
                        i++;
                        continue;
                    }
                    break;
                }
                default:
                    throw Refuse(p.Type switch
                    {
                        "LRN" => "Keras has no local response normalization layer",
                        "Concat" or "Eltwise" or "Split" or "Slice" => "a branching layer needs Keras's functional API, which keras-export does not write yet",
                        _ => $"type {p.Type} has no Keras mapping in keras-export",
                    });
            }
            current = p.Top[0];
        }
        if (input == null) throw new CortadoException($"net '{param.Name}': keras-export found no data or Input layer to take the input shape from");
        if (built.Count == 0) throw new CortadoException($"net '{param.Name}': keras-export found no layers after the input");
        var model = new Sequential { Name = string.IsNullOrEmpty(param.Name) ? "sequential" : param.Name };
        built[0].InputShape = input;
        foreach (var layer in built) model.Add(layer);
        model.OutputShapes();
        if (weights.Layer.Count > 0) model.CopyCaffeWeights(weights);
        return model;

        void Add(KerasLayer layer, string name)
        {
            string kerasName = name.Replace('/', '_');
            while (built.Any(l => l.Name == kerasName)) kerasName += "_";
            layer.Name = kerasName;
            built.Add(layer);
        }

        // The layer's blobs, under the name of the Keras layer whose Caffe layer takes them.
        void Carry(string caffeName, string kerasLayer)
        {
            var stored = new LayerParameter { Name = built.Single(l => l.Name == kerasLayer.Replace('/', '_')).Name };
            foreach (var blob in net.Layer(caffeName).Blobs) stored.Blobs.Add(blob.ToProto());
            weights.Layer.Add(stored);
        }

        void Convolution(LayerParameter p, IReadOnlyList<int> bottom, Func<string, LayerException> refuse)
        {
            var c = p.ConvolutionParam;
            if (bottom.Count != 4 || c.Axis != 1) throw refuse("only 2-D convolution over the channel axis maps to Conv2D");
            if (c.Group != 1) throw refuse($"group {c.Group}: Cortado's Conv2D has no groups");
            var k = ConvolutionParams.Read(c, refuse);
            var (h, w) = (bottom[2], bottom[3]);
            string padding = k.PadH == 0 && k.PadW == 0 ? "valid"
                : KerasSame(h, k.KernelH, k.StrideH, k.DilationH, k.PadH) && KerasSame(w, k.KernelW, k.StrideW, k.DilationW, k.PadW) ? "same" : "pad";
            if (padding == "pad")
            {
                Add(new ZeroPadding2D((k.PadH, k.PadW)), p.Name + "_pad");
                notes.Add($"{p.Name}: Caffe's pad {k.PadH}x{k.PadW} is not Keras's 'same' split here; written as ZeroPadding2D then 'valid'");
            }
            Add(new Conv2D((int)c.NumOutput, (k.KernelH, k.KernelW))
            {
                Strides = (k.StrideH, k.StrideW), DilationRate = (k.DilationH, k.DilationW), Padding = padding == "same" ? "same" : "valid", UseBias = c.BiasTerm,
                KernelInitializer = Initializer(c.WeightFiller, "glorot_uniform", p.Name), BiasInitializer = Initializer(c.BiasFiller, "zeros", p.Name),
            }, p.Name);
            Carry(p.Name, p.Name);
        }

        void Deconvolution(LayerParameter p, IReadOnlyList<int> bottom, Func<string, LayerException> refuse)
        {
            var c = p.ConvolutionParam;
            if (bottom.Count != 4 || c.Axis != 1) throw refuse("only 2-D deconvolution over the channel axis maps to Conv2DTranspose");
            if (c.Group != 1) throw refuse($"group {c.Group}: Conv2DTranspose has no groups");
            var k = ConvolutionParams.Read(c, refuse);
            if (k.DilationH != 1 || k.DilationW != 1) throw refuse("dilation: Conv2DTranspose here has none");
            // Keras's 'same' crops kernel - stride cells; Caffe's pad crops pad from each side.
            bool valid = k.PadH == 0 && k.PadW == 0;
            bool same = !valid && 2 * k.PadH == k.KernelH - k.StrideH && 2 * k.PadW == k.KernelW - k.StrideW;
            if (!valid && !same)
                throw refuse($"pad {k.PadH}x{k.PadW} with a {k.KernelH}x{k.KernelW} kernel at stride {k.StrideH}x{k.StrideW}: Keras's Conv2DTranspose crops nothing ('valid') or kernel - stride cells ('same'), so there is no exact Keras equivalent");
            Add(new Conv2DTranspose((int)c.NumOutput, (k.KernelH, k.KernelW))
            {
                Strides = (k.StrideH, k.StrideW), Padding = same ? "same" : "valid", UseBias = c.BiasTerm,
                KernelInitializer = Initializer(c.WeightFiller, "glorot_uniform", p.Name), BiasInitializer = Initializer(c.BiasFiller, "zeros", p.Name),
            }, p.Name);
            Carry(p.Name, p.Name);
        }

        // The Keras initializer drawing as the Caffe filler does, for training the model afresh; the trained weights go over regardless.
        string Initializer(FillerParameter? filler, string fallback, string layer)
        {
            string? name = filler switch
            {
                null => "zeros",
                { Type: "constant" } f => f.Value == 0 ? "zeros" : f.Value == 1 ? "ones" : null,
                { Type: "xavier", VarianceNorm: FillerParameter.Types.VarianceNorm.FanIn } => "lecun_uniform",
                { Type: "xavier", VarianceNorm: FillerParameter.Types.VarianceNorm.Average } => "glorot_uniform",
                { Type: "uniform" } f when f.Min == -0.05f && f.Max == 0.05f => "random_uniform",
                { Type: "gaussian" } f when f.Mean == 0 && f.Std == 0.05f => "random_normal",
                { Type: "msra", VarianceNorm: FillerParameter.Types.VarianceNorm.FanIn } => "he_normal",
                _ => null,
            };
            if (name == null) notes.Add($"{layer}: the {filler!.Type} filler has no Keras initializer; written as {fallback} (only retraining from scratch sees it)");
            else if (name == "he_normal") notes.Add($"{layer}: Keras's he_normal truncates the normal that Caffe's msra filler draws from");
            return name ?? fallback;
        }

        void Pooling(LayerParameter p, IReadOnlyList<int> bottom, IReadOnlyList<int> top, Func<string, LayerException> refuse)
        {
            var pp = p.PoolingParam;
            bool max = pp.Pool == PoolingParameter.Types.PoolMethod.Max;
            if (pp.Pool is not (PoolingParameter.Types.PoolMethod.Max or PoolingParameter.Types.PoolMethod.Ave))
                throw refuse($"{pp.Pool} pooling has no Keras layer");
            if (pp.GlobalPooling)
            {
                Add(max ? new GlobalMaxPooling2D() : new GlobalAveragePooling2D(), p.Name);
                return;
            }
            var (h, w, oh, ow) = (bottom[2], bottom[3], top[2], top[3]);
            var (kh, kw, ph, pw, sh, sw) = PoolingWindow.Of(pp, h, w);
            bool valid = ph == 0 && pw == 0 && oh == (h - kh) / sh + 1 && ow == (w - kw) / sw + 1;
            bool same = !valid && PoolSame(h, kh, sh, ph, oh, max) && PoolSame(w, kw, sw, pw, ow, max);
            if (!valid && !same)
                throw refuse($"a {kh}x{kw} pool at stride {sh}x{sw} with pad {ph}x{pw} gives {oh}x{ow} outputs of {h}x{w} (Caffe rounds up); " +
                    $"Keras's 'valid' gives {(h - kh) / sh + 1}x{(w - kw) / sw + 1}, and its 'same' does not place the same windows{(max ? "" : " or counts the padded cells differently")}, so there is no exact Keras equivalent");
            if (same) notes.Add($"{p.Name}: Caffe's rounding up is Keras's padding='same' here: the same windows, padded cells left out");
            Add(max ? new MaxPooling2D((kh, kw)) { Strides = (sh, sw), Padding = same ? "same" : "valid" } : new AveragePooling2D((kh, kw)) { Strides = (sh, sw), Padding = same ? "same" : "valid" }, p.Name);
        }
    }

    /// <summary>Whether Keras's 'same' convolution pads <paramref name="pad"/> before and gives Caffe's output count.</summary>
    private static bool KerasSame(int size, int kernel, int stride, int dilation, int pad)
    {
        int extent = dilation * (kernel - 1) + 1, output = (size + stride - 1) / stride;
        int total = Math.Max(0, (output - 1) * stride + extent - size);
        return total / 2 == pad && (size + 2 * pad - extent) / stride + 1 == output;
    }

    /// <summary>Whether Keras's 'same' pooling gives Caffe's windows on one axis: the same padding before and count, and for AVE nothing padded before.</summary>
    private static bool PoolSame(int size, int kernel, int stride, int pad, int caffeOutput, bool max)
    {
        int output = (size + stride - 1) / stride, total = Math.Max(0, (output - 1) * stride + kernel - size);
        return total / 2 == pad && output == caffeOutput && (max || pad == 0);
    }

    /// <summary>The data layer's transform as Rescaling: (x - mean) * scale is x * scale - mean * scale.</summary>
    private static Rescaling? Rescaling(LayerParameter p, int channels, Func<string, LayerException> refuse)
    {
        var t = p.TransformParam;
        if (t == null) return null;
        if (t.HasMeanFile) throw refuse("a mean_file subtracts a mean image; Keras has no layer for it (give mean_value, or subtract it from the data)");
        if (t.MeanValue.Distinct().Count() > 1) throw refuse($"per-channel mean_value ({string.Join(", ", t.MeanValue)}) has no exact Keras layer in Cortado; Rescaling takes one offset");
        double mean = t.MeanValue.Count > 0 ? t.MeanValue[0] : 0, scale = t.HasScale ? t.Scale : 1;
        return mean == 0 && scale == 1 ? null : new Rescaling(scale, mean == 0 ? 0 : -mean * scale);
    }

    private static BlobProto Blob(float[] values) => new() { Shape = new BlobShape { Dim = { values.Length } }, Data = { values } };
}
