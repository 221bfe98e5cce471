using Cortado.Nets;
using Cortado.Proto;
using Cortado.Tests.Nets;

namespace Cortado.Tests.Onnx;

/// <summary>
/// The deploy nets the ONNX tests export, with random weights: the zoo's LeNet and CIFAR-10 quick, the
/// seed net (whose stride-2 pooling rounds up on the 15-pixel side), a GoogLeNet-style stem and
/// inception block, and a net that uses every other layer the exporter covers.
/// </summary>
internal static class OnnxNets
{
    public static string Seed(int poolStride) => $$"""
        name: "FneishNet"
        layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 1 dim: 24 dim: 15 } } }
        layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 32 kernel_size: 3 } }
        layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
        layer { name: "conv2" type: "Convolution" bottom: "conv1" top: "conv2" convolution_param { num_output: 32 kernel_size: 3 } }
        layer { name: "relu2" type: "ReLU" bottom: "conv2" top: "conv2" }
        layer { name: "pool1" type: "Pooling" bottom: "conv2" top: "pool1" pooling_param { pool: MAX kernel_size: 2 stride: {{poolStride}} } }
        layer { name: "drop1" type: "Dropout" bottom: "pool1" top: "pool1" dropout_param { dropout_ratio: 0.25 } }
        layer { name: "flatten1" type: "Flatten" bottom: "pool1" top: "flatten1" }
        layer { name: "fc1" type: "InnerProduct" bottom: "flatten1" top: "fc1" inner_product_param { num_output: 128 } }
        layer { name: "relu3" type: "ReLU" bottom: "fc1" top: "fc1" }
        layer { name: "drop2" type: "Dropout" bottom: "fc1" top: "fc1" dropout_param { dropout_ratio: 0.5 } }
        layer { name: "fc2" type: "InnerProduct" bottom: "fc1" top: "fc2" inner_product_param { num_output: 11 } }
        layer { name: "prob" type: "Softmax" bottom: "fc2" top: "prob" }
        """;

    /// <summary>GoogLeNet's stem (7x7/2 convolution, 3x3/2 max pooling, LRN) and inception 3a, then average pooling and a classifier.</summary>
    public const string GoogLeNetBlock = """
        name: "GoogLeNetBlock"
        layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 dim: 61 dim: 61 } } }
        layer { name: "conv1/7x7_s2" type: "Convolution" bottom: "data" top: "conv1/7x7_s2" convolution_param { num_output: 16 kernel_size: 7 stride: 2 pad: 3 } }
        layer { name: "conv1/relu_7x7" type: "ReLU" bottom: "conv1/7x7_s2" top: "conv1/7x7_s2" }
        layer { name: "pool1/3x3_s2" type: "Pooling" bottom: "conv1/7x7_s2" top: "pool1/3x3_s2" pooling_param { pool: MAX kernel_size: 3 stride: 2 } }
        layer { name: "pool1/norm1" type: "LRN" bottom: "pool1/3x3_s2" top: "pool1/norm1" lrn_param { local_size: 5 alpha: 0.0001 beta: 0.75 } }
        layer { name: "i/1x1" type: "Convolution" bottom: "pool1/norm1" top: "i/1x1" convolution_param { num_output: 8 kernel_size: 1 } }
        layer { name: "i/relu_1x1" type: "ReLU" bottom: "i/1x1" top: "i/1x1" }
        layer { name: "i/3x3_reduce" type: "Convolution" bottom: "pool1/norm1" top: "i/3x3_reduce" convolution_param { num_output: 8 kernel_size: 1 } }
        layer { name: "i/relu_3x3_reduce" type: "ReLU" bottom: "i/3x3_reduce" top: "i/3x3_reduce" }
        layer { name: "i/3x3" type: "Convolution" bottom: "i/3x3_reduce" top: "i/3x3" convolution_param { num_output: 12 kernel_size: 3 pad: 1 } }
        layer { name: "i/relu_3x3" type: "ReLU" bottom: "i/3x3" top: "i/3x3" }
        layer { name: "i/5x5_reduce" type: "Convolution" bottom: "pool1/norm1" top: "i/5x5_reduce" convolution_param { num_output: 4 kernel_size: 1 } }
        layer { name: "i/relu_5x5_reduce" type: "ReLU" bottom: "i/5x5_reduce" top: "i/5x5_reduce" }
        layer { name: "i/5x5" type: "Convolution" bottom: "i/5x5_reduce" top: "i/5x5" convolution_param { num_output: 6 kernel_size: 5 pad: 2 } }
        layer { name: "i/relu_5x5" type: "ReLU" bottom: "i/5x5" top: "i/5x5" }
        layer { name: "i/pool" type: "Pooling" bottom: "pool1/norm1" top: "i/pool" pooling_param { pool: MAX kernel_size: 3 stride: 1 pad: 1 } }
        layer { name: "i/pool_proj" type: "Convolution" bottom: "i/pool" top: "i/pool_proj" convolution_param { num_output: 6 kernel_size: 1 } }
        layer { name: "i/relu_pool_proj" type: "ReLU" bottom: "i/pool_proj" top: "i/pool_proj" }
        layer { name: "i/output" type: "Concat" bottom: "i/1x1" bottom: "i/3x3" bottom: "i/5x5" bottom: "i/pool_proj" top: "i/output" }
        layer { name: "pool5" type: "Pooling" bottom: "i/output" top: "pool5" pooling_param { pool: AVE kernel_size: 5 stride: 3 } }
        layer { name: "drop" type: "Dropout" bottom: "pool5" top: "pool5" dropout_param { dropout_ratio: 0.4 } }
        layer { name: "classifier" type: "InnerProduct" bottom: "pool5" top: "classifier" inner_product_param { num_output: 10 } }
        layer { name: "prob" type: "Softmax" bottom: "classifier" top: "prob" }
        """;

    /// <summary>Every other layer and parameter the exporter maps, each where its ONNX form is most easily got wrong.</summary>
    public const string EveryLayer = """
        name: "EveryLayer"
        layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 4 dim: 11 dim: 9 } } }
        layer { name: "grouped" type: "Convolution" bottom: "data" top: "grouped" convolution_param { num_output: 8 kernel_size: 3 group: 2 dilation: 2 pad: 1 stride: 1 } }
        layer { name: "bn" type: "BatchNorm" bottom: "grouped" top: "grouped" }
        layer { name: "bn_scale" type: "Scale" bottom: "grouped" top: "grouped" scale_param { bias_term: true } }
        layer { name: "prelu" type: "PReLU" bottom: "grouped" top: "grouped" }
        layer { name: "deconv" type: "Deconvolution" bottom: "grouped" top: "deconv" convolution_param { num_output: 6 kernel_h: 3 kernel_w: 2 stride: 2 pad: 1 } }
        layer { name: "bn_alone" type: "BatchNorm" bottom: "deconv" top: "bn_alone" batch_norm_param { eps: 0.001 } }
        layer { name: "elu" type: "ELU" bottom: "bn_alone" top: "elu" elu_param { alpha: 0.7 } }
        layer { name: "ave_pad" type: "Pooling" bottom: "elu" top: "ave_pad" pooling_param { pool: AVE kernel_h: 3 kernel_w: 2 stride: 2 pad: 1 } }
        layer { name: "ave_overhang" type: "Pooling" bottom: "elu" top: "ave_overhang" pooling_param { pool: AVE kernel_size: 3 stride: 2 } }
        layer { name: "ave_both" type: "Pooling" bottom: "elu" top: "ave_both" pooling_param { pool: AVE kernel_size: 3 stride: 2 pad: 1 } }
        layer { name: "max_pad" type: "Pooling" bottom: "elu" top: "max_pad" pooling_param { pool: MAX kernel_size: 3 stride: 2 pad: 1 } }
        layer { name: "leaky" type: "ReLU" bottom: "ave_overhang" top: "leaky" relu_param { negative_slope: 0.1 } }
        layer { name: "sig" type: "Sigmoid" bottom: "leaky" top: "sig" }
        layer { name: "tanh" type: "TanH" bottom: "leaky" top: "tanh" }
        layer { name: "abs" type: "AbsVal" bottom: "leaky" top: "abs" }
        layer { name: "bnll" type: "BNLL" bottom: "leaky" top: "bnll" }
        layer { name: "sum" type: "Eltwise" bottom: "sig" bottom: "tanh" bottom: "abs" top: "sum" eltwise_param { operation: SUM coeff: 0.5 coeff: -1 coeff: 2 } }
        layer { name: "prod" type: "Eltwise" bottom: "sum" bottom: "bnll" top: "prod" eltwise_param { operation: PROD } }
        layer { name: "max" type: "Eltwise" bottom: "prod" bottom: "sig" top: "max" eltwise_param { operation: MAX } }
        layer { name: "power" type: "Power" bottom: "max" top: "power" power_param { power: 2 scale: 0.5 shift: 1 } }
        layer { name: "exp" type: "Exp" bottom: "power" top: "exp" exp_param { base: 2 scale: -0.5 shift: 0.1 } }
        layer { name: "lrn_within" type: "LRN" bottom: "exp" top: "lrn_within" lrn_param { norm_region: WITHIN_CHANNEL local_size: 3 alpha: 0.5 beta: 0.75 } }
        layer { name: "scale" type: "Scale" bottom: "lrn_within" top: "scale" scale_param { bias_term: true } }
        layer { name: "bias" type: "Bias" bottom: "scale" top: "bias" }
        layer { name: "prelu_shared" type: "PReLU" bottom: "bias" top: "bias" prelu_param { channel_shared: true } }
        layer { name: "slice" type: "Slice" bottom: "bias" top: "left" top: "right" slice_param { axis: 1 slice_point: 2 } }
        layer { name: "concat" type: "Concat" bottom: "right" bottom: "left" top: "concat" }
        layer { name: "flat" type: "Flatten" bottom: "concat" top: "flat" }
        layer { name: "reshape" type: "Reshape" bottom: "max_pad" top: "reshape" reshape_param { shape { dim: 0 dim: -1 dim: 3 } } }
        layer { name: "ip_axis2" type: "InnerProduct" bottom: "reshape" top: "ip_axis2" inner_product_param { num_output: 5 axis: 2 } }
        layer { name: "ip_transposed" type: "InnerProduct" bottom: "flat" top: "ip_transposed" inner_product_param { num_output: 7 transpose: true } }
        layer { name: "softmax_axis2" type: "Softmax" bottom: "ip_axis2" top: "softmax_axis2" softmax_param { axis: 2 } }
        layer { name: "prob" type: "Softmax" bottom: "ip_transposed" top: "prob" }
        layer { name: "ave_both_out" type: "Flatten" bottom: "ave_both" top: "ave_both_out" }
        layer { name: "ave_pad_out" type: "Flatten" bottom: "ave_pad" top: "ave_pad_out" }
        """;

    /// <summary>The named net with its input batch set to <paramref name="batch"/>.</summary>
    /// <summary>3-D and 1-D convolutions (Caffe's N-D path) and a 3-D deconvolution, which ONNX's Conv takes as they are.</summary>
    public const string Volumetric = """
        name: "volumetric"
        layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 2 dim: 5 dim: 6 dim: 4 } } }
        layer { name: "conv3d" type: "Convolution" bottom: "data" top: "conv3d"
          convolution_param { num_output: 4 kernel_size: 3 kernel_size: 2 kernel_size: 3 stride: 1 stride: 2 stride: 1 pad: 1 pad: 0 pad: 1 dilation: 1 dilation: 1 dilation: 2 group: 2 } }
        layer { name: "relu" type: "ReLU" bottom: "conv3d" top: "conv3d" }
        layer { name: "deconv3d" type: "Deconvolution" bottom: "conv3d" top: "deconv3d" convolution_param { num_output: 2 kernel_size: 2 stride: 2 } }
        layer { name: "flat" type: "Reshape" bottom: "deconv3d" top: "flat" reshape_param { shape { dim: 0 dim: 2 dim: -1 } } }
        layer { name: "conv1d" type: "Convolution" bottom: "flat" top: "conv1d" convolution_param { num_output: 3 kernel_size: 5 stride: 3 pad: 2 } }
        """;

    /// <summary>Keras's Reshape written for Caffe: Permute (SSD's) to channel-last, Reshape, Permute back; ONNX's Transpose takes the orders.</summary>
    public const string Permuted = """
        name: "permuted"
        layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 dim: 4 dim: 2 } } }
        layer { name: "to_keras" type: "Permute" bottom: "data" top: "to_keras" permute_param { order: 0 order: 2 order: 3 order: 1 } }
        layer { name: "reshape" type: "Reshape" bottom: "to_keras" top: "reshaped" reshape_param { shape { dim: 0 dim: 2 dim: 6 dim: 2 } } }
        layer { name: "back" type: "Permute" bottom: "reshaped" top: "back" permute_param { order: 0 order: 3 order: 1 } }
        layer { name: "fc" type: "InnerProduct" bottom: "back" top: "fc" inner_product_param { num_output: 3 } }
        """;

    public static NetParameter Parse(string prototxt, int batch)
    {
        var param = TextFormat.Parse<NetParameter>(prototxt);
        param.Layer.First(l => l.Type == "Input").InputParam.Shape[0].Dim[0] = batch;
        return param;
    }

    public static IEnumerable<(string Name, string Prototxt)> All =>
    [
        ("LeNet", ModelZoo.LeNet), ("seed, pooling stride 1", Seed(1)), ("seed, pooling stride 2", Seed(2)),
        ("CIFAR-10 quick", ModelZoo.Cifar10Quick), ("GoogLeNet block", GoogLeNetBlock), ("every layer", EveryLayer),
        ("volumetric", Volumetric), ("permuted", Permuted),
    ];

    /// <summary>Gives every parameter random values (BatchNorm's running variance positive, its factor not 1) and the inputs random pixels.</summary>
    public static void Randomize(Net net, int seed)
    {
        var random = new Random(seed);
        float Uniform(float low, float high) => low + (float)random.NextDouble() * (high - low);
        foreach (var layer in net.Layers)
            for (int b = 0; b < layer.Blobs.Count; b++)
            {
                var data = layer.Blobs[b].Data;
                bool variance = layer.Type == "BatchNorm" && b == 1, factor = layer.Type == "BatchNorm" && b == 2;
                int fanIn = Math.Max(1, layer.Blobs[b].Count / Math.Max(1, layer.Blobs[b].Shape.Count > 0 ? layer.Blobs[b].Shape[0] : 1));
                float spread = layer.Type is "Convolution" or "InnerProduct" or "Deconvolution" && b == 0 ? MathF.Sqrt(3f / fanIn) : 0.5f;
                for (int i = 0; i < data.Length; i++)
                    data[i] = factor ? 2.5f : variance ? Uniform(0.5f, 4f) : layer.Type == "Scale" && b == 0 ? Uniform(0.5f, 1.5f) : Uniform(-spread, spread);
            }
        RandomizeInputs(net, seed + 1);
    }

    public static void RandomizeInputs(Net net, int seed)
    {
        var random = new Random(seed);
        for (int l = 0; l < net.Layers.Count; l++)
            if (net.Layers[l].Type == "Input")
                foreach (var input in net.Tops[l])
                    for (int i = 0; i < input.Count; i++) input.Data[i] = (float)(random.NextDouble() * 2 - 1);
    }
}
