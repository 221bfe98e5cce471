using Cortado.Keras;
using Cortado.Nets;
using Cortado.Proto;

namespace Cortado.Diagnostics;

/// <summary>
/// A Keras model next to its Caffe port: layers aligned in order by kind, and every semantic
/// difference listed with both sides' values: output shapes and feature counts (computed by
/// both), kernel and pooling strides and rounding, padding, initializers, dropout, activations,
/// parameter counts, the optimizer against Keras's defaults for the Keras version, the loss, and
/// the input scaling the JSON cannot show (stated as an assumption to check).
/// </summary>
public static class PortCheck
{
    public sealed record Difference(string Keras, string Caffe, string What, string KerasValue, string CaffeValue, string Why);

    public static List<Difference> Compare(Sequential keras, NetParameter caffe, SolverParameter? solver, string kerasOptimizer = "adadelta", int kerasVersion = 2)
    {
        var differences = new List<Difference>();
        var input = keras.InputShape;
        var shapes = keras.OutputShapes();
        using var net = new Net(WithInput(caffe, input), Phase.Train);
        var caffeLayers = net.Layers.Select((l, i) => (Layer: l, Index: i)).Where(p => p.Layer.Type is not ("Input" or "Split" or "Accuracy")).ToList();
        int cursor = 0;
        var previous = input;
        for (int k = 0; k < keras.Layers.Count; k++)
        {
            var layer = keras.Layers[k];
            var shape = shapes[k];
            if (layer is Rescaling rescaling && k == 0 && DataLayer(caffe) is { } data)
            {
                CompareScaling(rescaling, data, differences);
                previous = shape;
                continue;
            }
            string[] kinds = layer switch
            {
                Conv2D => ["Convolution"],
                Pooling2D => ["Pooling"],
                Dense => ["InnerProduct"],
                Dropout => ["Dropout"],
                SpatialDropout2D => ["SpatialDropout"],
                Flatten => ["Flatten"],
                BatchNormalization => ["BatchNorm"],
                Rescaling => ["Power"],
                Activation a => a.Function == "softmax" ? ["Softmax", "SoftmaxWithLoss"] : [CaffeActivation(a.Function)],
                _ => [],
            };
            int match = caffeLayers.FindIndex(cursor, p => kinds.Contains(p.Layer.Type));
            if (match < 0)
            {
                if (layer is not Flatten) differences.Add(new(layer.Name!, "(none)", "layer", layer.ClassName, "missing", "the Caffe net has no counterpart for this layer"));
                previous = shape;
                continue;
            }
            var (caffeLayer, index) = caffeLayers[match];
            cursor = match + 1;
            var p = caffeLayer.Param;
            var top = net.Tops[index][0].Shape;
            string kerasShape = Describe(shape), caffeShape = Describe(top.Count == 4 ? [top[2], top[3], top[1]] : top.Skip(1).ToArray());
            void Add(string what, string kv, string cv, string why) => differences.Add(new(layer.Name!, caffeLayer.Name, what, kv, cv, why));
            if (layer is not (Activation or Dropout) && kerasShape != caffeShape)
                Add("output shape", kerasShape, caffeShape, layer is Flatten or Dense ? "different feature counts" : "the layers compute different sizes");
            switch (layer)
            {
                case Conv2D conv:
                {
                    var c = p.ConvolutionParam;
                    int stride = (int)(c.HasStrideH ? c.StrideH : c.Stride.Count > 0 ? c.Stride[0] : 1);
                    if (stride != conv.Strides.Height) Add("stride", conv.Strides.Height.ToString(), stride.ToString(), "");
                    int pad = (int)(c.HasPadH ? c.PadH : c.Pad.Count > 0 ? c.Pad[0] : 0);
                    if ((conv.Padding == "same") != (pad > 0)) Add("padding", conv.Padding, $"pad {pad}", "");
                    CompareInit(conv.KernelInitializer, c.WeightFiller, Add);
                    if (conv.Activation is { } act && act != "linear") Add("activation", act, "separate layer", "fused in Keras");
                    break;
                }
                case Pooling2D pool:
                {
                    var q = p.PoolingParam;
                    uint stride = q.HasStrideH ? q.StrideH : q.Stride, kernel = q.HasKernelH ? q.KernelH : q.KernelSize;
                    var kerasStride = pool.Strides ?? pool.PoolSize;
                    if (stride != kerasStride.Height) Add("pooling stride", $"{kerasStride.Height} (defaults to pool_size)", $"{stride}{(q.HasStride || q.HasStrideH ? "" : " (Caffe's default)")}", "Keras strides by the pool size by default, Caffe by 1");
                    if (kernel != pool.PoolSize.Height) Add("pool size", pool.PoolSize.Height.ToString(), kernel.ToString(), "");
                    if (q.RoundMode == PoolingParameter.Types.RoundMode.Ceil && (previous[0] - pool.PoolSize.Height) % kerasStride.Height != 0)
                        Add("output rounding", "floor ('valid')", "ceil (Caffe's default)", "a last, partial window is kept by Caffe");
                    break;
                }
                case Dense dense:
                    CompareInit(dense.KernelInitializer, p.InnerProductParam.WeightFiller, Add);
                    long kerasParams = (long)previous[0] * dense.Units + dense.Units, caffeParams = net.Layers[index].Blobs.Sum(b => (long)b.Count);
                    if (kerasParams != caffeParams) Add("parameters", kerasParams.ToString("N0"), caffeParams.ToString("N0"), "the inputs differ");
                    if (dense.Activation is { } act2 && act2 != "linear" && act2 != "softmax") Add("activation", act2, "separate layer", "fused in Keras");
                    break;
                case Dropout drop:
                    if (Math.Abs(drop.Rate - p.DropoutParam.DropoutRatio) > 1e-6) Add("dropout rate", drop.Rate.ToString("G"), p.DropoutParam.DropoutRatio.ToString("G"), "");
                    break;
            }
            previous = shape;
        }
        if (caffe.Layer.Any(l => l.Type == "SoftmaxWithLoss"))
            differences.Add(new("(compile)", caffe.Layer.Last(l => l.Type == "SoftmaxWithLoss").Name, "loss", "categorical_crossentropy: probabilities clipped to [1e-7, 1-1e-7], at most 16.1 per sample",
                "SoftmaxWithLoss: clamped at FLT_MIN, at most 87.34 per sample", "the same loss until predictions saturate; a saturated Caffe net reports 87.3365"));
        Optimizer(kerasOptimizer, kerasVersion, solver, differences);
        if (keras.Layers.Count == 0 || keras.Layers[0] is not Rescaling) InputScaling(caffe, differences);
        return differences;
    }

    private static bool IsData(LayerParameter layer) => layer.Type is "Data" or "ImageData" or "HDF5Data" or "MemoryData" or "Input";

    private static LayerParameter? DataLayer(NetParameter caffe) => caffe.Layer.FirstOrDefault(IsData);

    /// <summary>Keras's Rescaling (x * scale + offset) at the input against the data layer's transform ((x - mean) * scale).</summary>
    private static void CompareScaling(Rescaling rescaling, LayerParameter data, List<Difference> differences)
    {
        var t = data.TransformParam;
        double scale = t?.HasScale == true ? t.Scale : 1, mean = t?.MeanValue.Count > 0 ? t.MeanValue[0] : 0;
        bool perChannel = t?.MeanValue.Distinct().Count() > 1 || t?.HasMeanFile == true;
        if (perChannel || Math.Abs(scale - rescaling.Scale) > 1e-6 * Math.Abs(scale) || Math.Abs(-mean * scale - rescaling.Offset) > 1e-6)
            differences.Add(new(rescaling.Name!, data.Name, "input scaling", $"x * {rescaling.Scale:G6} + {rescaling.Offset + 0.0:G6}",
                perChannel ? "a mean per channel or a mean file" : $"(x - {mean:G6}) * {scale:G6}", "the nets see differently scaled inputs"));
    }

    private static string CaffeActivation(string function) => function switch { "relu" => "ReLU", "sigmoid" => "Sigmoid", "tanh" => "TanH", "elu" => "ELU", _ => "?" };

    private static void CompareInit(string keras, FillerParameter? filler, Action<string, string, string, string> add)
    {
        string caffe = filler == null ? "constant 0 (none given)" : filler.Type + (filler.Type is "xavier" or "msra" ? $" ({ProtoEnum.Name(filler.VarianceNorm)})" : "");
        bool same = (keras, filler?.Type, filler?.VarianceNorm) switch
        {
            ("glorot_uniform", "xavier", FillerParameter.Types.VarianceNorm.Average) => true,
            ("lecun_uniform", "xavier", FillerParameter.Types.VarianceNorm.FanIn) => true,
            ("he_normal", "msra", FillerParameter.Types.VarianceNorm.FanIn) => true,
            ("zeros", "constant", _) => filler!.Value == 0,
            _ => false,
        };
        if (!same) add("initializer", keras, caffe, keras == "glorot_uniform" && filler?.Type == "xavier" ? "variance 2/(fan_in+fan_out) in Keras, 1/fan_in in Caffe's default xavier (use variance_norm: AVERAGE)" : "different initial weights");
    }

    private static void Optimizer(string name, int version, SolverParameter? solver, List<Difference> differences)
    {
        if (solver == null) return;
        var (type, rate, detail) = (name.ToLowerInvariant(), version) switch
        {
            ("adadelta", 3) => ("AdaDelta", 0.001, "rho 0.95, epsilon 1e-7"),
            ("adadelta", 1) => ("AdaDelta", 1.0, "rho 0.95, epsilon 1e-8"),
            ("adadelta", _) => ("AdaDelta", 1.0, "rho 0.95, epsilon 1e-7"),
            ("adam", _) => ("Adam", 0.001, "beta_1 0.9, beta_2 0.999"),
            ("rmsprop", _) => ("RMSProp", 0.001, "rho 0.9"),
            ("sgd", _) => ("SGD", 0.01, "momentum 0"),
            ("adagrad", _) => ("AdaGrad", 0.01, ""),
            _ => (name, double.NaN, ""),
        };
        string caffe = $"{solver.Type}, base_lr {solver.BaseLr:G}, momentum {solver.Momentum:G}, weight_decay {solver.WeightDecay:G}, lr_policy {solver.LrPolicy}{(solver.LrPolicy == "poly" ? $" power {solver.Power:G}" : "")}";
        if (!string.Equals(type, solver.Type, StringComparison.OrdinalIgnoreCase) || Math.Abs(rate - solver.BaseLr) > 1e-9 || solver.WeightDecay != 0)
            differences.Add(new("(compile)", "(solver)", "optimizer", $"{name} (Keras {version}: lr {rate:G}, {detail}, no weight decay)", caffe,
                "a different optimizer and rate; Adadelta's default rate is 1.0 in Keras 1 and 2 but 0.001 in Keras 3"));
    }

    private static void InputScaling(NetParameter caffe, List<Difference> differences)
    {
        foreach (var layer in caffe.Layer.Where(l => l.Type is "Data" or "ImageData"))
            if (!(layer.TransformParam?.HasScale ?? false))
            {
                differences.Add(new("(input)", layer.Name, "input scaling (assumed)", "x / 255 (as Keras examples prepare the data; the JSON cannot show it)", "none: raw 0..255 (no transform_param scale)",
                    "check how the Keras data was prepared; unscaled pixels alone can stop the Caffe net learning"));
                break;
            }
    }

    private static string Describe(IReadOnlyList<int> shape) => shape.Count == 0 ? "()" : $"({string.Join(", ", shape)}) = {shape.Aggregate(1, (a, b) => a * b)}";

    /// <summary>The Caffe net with its data layers replaced by an Input of the Keras model's input shape.</summary>
    private static NetParameter WithInput(NetParameter net, int[] input)
    {
        var copy = net.Clone();
        copy.Layer.Clear();
        var data = DataLayer(net);
        var tops = data?.Top.ToList() ?? ["data", "label"];
        var layer = new LayerParameter { Name = "data", Type = "Input", InputParam = new InputParameter() };
        layer.Top.AddRange(tops);
        layer.InputParam.Shape.Add(new BlobShape { Dim = { 1, input[2], input[0], input[1] } });
        if (tops.Count > 1) layer.InputParam.Shape.Add(new BlobShape { Dim = { 1 } });
        copy.Layer.Add(layer);
        copy.Layer.AddRange(net.Layer.Where(l => !IsData(l)));
        return copy;
    }
}
