using Cortado.Cli;
using Cortado.Diagnostics;
using Cortado.Errors;
using Cortado.Keras;
using Cortado.Nets;
using Cortado.Proto;

namespace Cortado.Tests.Interop;

/// <summary>
/// keras-export, the way back from Caffe to Keras: the corrected seed net and a net with every
/// padding case are written as Keras models whose outputs equal the Caffe net's, both when Cortado
/// loads the file again and when h5py reads it as Keras does and numpy runs it; what Keras cannot
/// express exactly is refused with the layer and the reason.
/// </summary>
[Collection("keras temporary folders")]
public class KerasExportTests
{
    /// <summary>Every parameter of the net set to small random values, so biases and BatchNorm statistics matter too.</summary>
    private static NetParameter Randomized(Net net, int seed)
    {
        var random = new Random(seed);
        foreach (var layer in net.Layers)
            foreach (var blob in layer.Blobs)
            {
                var data = blob.Data;
                for (int i = 0; i < data.Length; i++) data[i] = (float)(random.NextDouble() - 0.5) * (layer.Type == "BatchNorm" ? 1 : 0.6f);
                if (layer.Type == "BatchNorm")
                {
                    // mean, positive variance, the factor they were summed with
                    for (int i = 0; i < layer.Blobs[1].Count; i++) layer.Blobs[1].Data[i] = Math.Abs(layer.Blobs[1].Data[i]) * 4 + 0.5f;
                    layer.Blobs[2].Data[0] = 2;
                }
            }
        return net.ToProto();
    }

    /// <summary>N x C x H x W to Keras's N x H x W x C.</summary>
    private static float[] ChannelLast(ReadOnlySpan<float> chw, int n, int c, int h, int w)
    {
        var hwc = new float[chw.Length];
        for (int s = 0; s < n; s++)
            for (int k = 0; k < c; k++)
                for (int i = 0; i < h; i++)
                    for (int j = 0; j < w; j++) hwc[((s * h + i) * w + j) * c + k] = chw[((s * c + k) * h + i) * w + j];
        return hwc;
    }

    private static float[] Softmax(ReadOnlySpan<float> logits, int classes)
    {
        var result = new float[logits.Length];
        for (int n = 0; n < logits.Length / classes; n++)
        {
            var row = logits.Slice(n * classes, classes);
            float max = float.MinValue;
            foreach (float v in row) max = Math.Max(max, v);
            double sum = 0;
            foreach (float v in row) sum += Math.Exp(v - max);
            for (int k = 0; k < classes; k++) result[n * classes + k] = (float)(Math.Exp(row[k] - max) / sum);
        }
        return result;
    }

    private static void AssertClose(float[] expected, float[] actual, string what, double tolerance = 2e-5)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) < tolerance, $"{what} [{i}]: Caffe {expected[i]}, Keras {actual[i]}");
    }

    [Fact]
    public void CorrectedSeedNetReimportedGivesTheCaffeOutputs()
    {
        using var dir = new TempDir();
        var (train, validation) = Cortado.Data.NumbersDataset.Write(dir.Path, trainPerClass: 2, validationPerClass: 6, prefix: "numbers");
        var param = ProtoFiles.ReadNetText(Path.Combine(RepoPaths.Root, "examples/fneishnet_numbers/train_val_fixed.prototxt"));
        foreach (var layer in param.Layer.Where(l => l.Type == "Data"))
            layer.DataParam.Source = layer.Include[0].Phase == Phase.Train ? train : validation;
        using var net = new Net(param, Phase.Test);
        var trained = Randomized(net, 4);
        net.Forward();
        var data = net.Blob("data");
        int batch = data.Shape[0];
        var expected = Softmax(net.Blob("fc2").Data, 11);
        // The Keras model takes raw pixels: its Rescaling is the data layer's scale (1/256, exact in binary).
        var pixels = ChannelLast(data.Data, batch, 1, 24, 15).Select(v => v * 256f).ToArray();

        var notes = new List<string>();
        var model = CaffeToKeras.Convert(param, trained, notes);
        Assert.Equal(["Rescaling", "Conv2D", "Activation", "Conv2D", "Activation", "MaxPooling2D", "Dropout", "Flatten", "Dense", "Activation", "Dropout", "Dense", "Activation"],
            model.Layers.Select(l => l.ClassName));
        Assert.Equal(215915, model.ParamCount());
        Assert.Contains(notes, n => n.Contains("left out"));
        foreach (var file in new[] { "seed.keras", "seed.h5" })
        {
            model.Save(dir.File(file));
            var loaded = Sequential.Load(dir.File(file));
            AssertClose(expected, loaded.Predict(pixels, batchSize: 16), file);
            AssertClose(expected, KerasSavedReader.Run(dir, dir.File(file), pixels).Outputs, file + " in numpy", 1e-4);
        }
        // port-check from the other side: the exported model against its source differs only in the loss's clipping,
        // and against the seed's own port it finds the seed's two faults.
        var exported = Sequential.Load(dir.File("seed.keras"), compile: false);
        Assert.Equal(["loss"], PortCheck.Compare(exported, param, null, "adadelta", 3).Select(d => d.What));
        var seed = ProtoFiles.ReadNetText(Path.Combine(RepoPaths.Root, "examples/fneishnet_numbers/train_val.prototxt"));
        var faults = PortCheck.Compare(exported, seed, null, "adadelta", 3);
        Assert.Contains(faults, d => d.What == "input scaling" && d.KerasValue == "x * 0.00390625 + 0" && d.CaffeValue == "(x - 0) * 1");
        Assert.Contains(faults, d => d.What == "pooling stride");
    }

    private const string PaddingNet = """
        name: "padding"
        layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 3 dim: 2 dim: 8 dim: 8 } } }
        layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 3 kernel_size: 3 pad: 1 } }
        layer { name: "bn1" type: "BatchNorm" bottom: "conv1" top: "conv1" }
        layer { name: "scale1" type: "Scale" bottom: "conv1" top: "conv1" scale_param { bias_term: true } }
        layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" relu_param { negative_slope: 0.1 } }
        layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1" pooling_param { pool: MAX kernel_size: 3 stride: 2 } }
        layer { name: "conv2" type: "Convolution" bottom: "pool1" top: "conv2" convolution_param { num_output: 4 kernel_size: 3 stride: 2 pad: 1 } }
        layer { name: "pool2" type: "Pooling" bottom: "conv2" top: "pool2" pooling_param { pool: AVE kernel_size: 2 stride: 1 } }
        layer { name: "fc" type: "InnerProduct" bottom: "pool2" top: "fc" inner_product_param { num_output: 5 } }
        layer { name: "prob" type: "Softmax" bottom: "fc" top: "prob" }
        """;

    [Fact]
    public void PaddingAndRoundingAreExpressedExactly()
    {
        using var dir = new TempDir();
        var param = TextFormat.Parse<NetParameter>(PaddingNet);
        using var net = new Net(param, Phase.Test);
        var trained = Randomized(net, 9);
        var random = new Random(2);
        var input = net.Blob("data").Data;
        for (int i = 0; i < input.Length; i++) input[i] = (float)random.NextDouble() * 2 - 1;
        var images = ChannelLast(input, 3, 2, 8, 8);
        net.Forward();
        var expected = net.Blob("prob").Data.ToArray();
        var notes = new List<string>();
        var model = CaffeToKeras.Convert(param, trained, notes);
        var layers = model.Layers.ToDictionary(l => l.Name!);
        Assert.Equal("same", ((Conv2D)layers["conv1"]).Padding); // pad 1 around a 3x3 kernel at stride 1 is Keras's split
        Assert.Equal("same", ((Pooling2D)layers["pool1"]).Padding); // 8 -> 4 windows: Caffe's rounding up
        Assert.IsType<ZeroPadding2D>(layers["conv2_pad"]); // stride 2: Keras would pad 0 before and 1 after
        Assert.Equal("valid", ((Conv2D)layers["conv2"]).Padding);
        Assert.IsType<BatchNormalization>(layers["bn1"]);
        Assert.IsType<LeakyReLU>(layers["relu1"]);
        Assert.IsType<Flatten>(layers["fc_flatten"]);
        AssertClose(expected, model.Predict(images), "converted");
        model.Save(dir.File("padding.h5"));
        AssertClose(expected, KerasSavedReader.Run(dir, dir.File("padding.h5"), images).Outputs, "numpy", 1e-4);
        AssertClose(expected, Sequential.Load(dir.File("padding.h5")).Predict(images), "reloaded");
    }

    [Fact]
    public void DeconvolutionAndPReLUBecomeConv2DTransposeAndPReLU()
    {
        using var dir = new TempDir();
        var param = TextFormat.Parse<NetParameter>("""
            name: "up"
            layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 2 dim: 2 dim: 3 dim: 4 } } }
            layer { name: "deconv" type: "Deconvolution" bottom: "data" top: "deconv" convolution_param { num_output: 3 kernel_size: 4 stride: 2 pad: 1 } }
            layer { name: "prelu" type: "PReLU" bottom: "deconv" top: "prelu" }
            layer { name: "fc" type: "InnerProduct" bottom: "prelu" top: "fc" inner_product_param { num_output: 4 } }
            layer { name: "prob" type: "Softmax" bottom: "fc" top: "prob" }
            """);
        using var net = new Net(param, Phase.Test);
        var trained = Randomized(net, 6);
        var random = new Random(3);
        var input = net.Blob("data").Data;
        for (int i = 0; i < input.Length; i++) input[i] = (float)random.NextDouble() * 2 - 1;
        var images = ChannelLast(input, 2, 2, 3, 4);
        net.Forward();
        var expected = net.Blob("prob").Data.ToArray();
        var model = CaffeToKeras.Convert(param, trained, []);
        Assert.Equal("same", ((Conv2DTranspose)model.Layers[0]).Padding); // pad 1 = (4 - 2) / 2
        Assert.Equal([1, 2], ((PReLU)model.Layers[1]).SharedAxes!);
        AssertClose(expected, model.Predict(images), "converted");
        model.Save(dir.File("up.keras"));
        AssertClose(expected, KerasSavedReader.Run(dir, dir.File("up.keras"), images).Outputs, "numpy", 1e-4);
    }

    [Theory]
    [InlineData("layer { name: \"norm\" type: \"LRN\" bottom: \"data\" top: \"norm\" }", "'norm' (LRN)", "local response")]
    [InlineData("layer { name: \"g\" type: \"Convolution\" bottom: \"data\" top: \"g\" convolution_param { num_output: 2 kernel_size: 1 group: 2 } }", "'g'", "group 2")]
    [InlineData("layer { name: \"p\" type: \"Pooling\" bottom: \"data\" top: \"p\" pooling_param { pool: MAX kernel_size: 3 stride: 2 pad: 1 } }", "'p'", "no exact Keras equivalent")]
    [InlineData("layer { name: \"a\" type: \"Pooling\" bottom: \"data\" top: \"a\" pooling_param { pool: AVE kernel_size: 3 stride: 1 pad: 1 } }", "'a'", "counts the padded cells")]
    [InlineData("layer { name: \"s\" type: \"Split\" bottom: \"data\" top: \"s1\" top: \"s2\" } layer { name: \"e\" type: \"Eltwise\" bottom: \"s1\" bottom: \"s2\" top: \"e\" }", "'s'", "functional API")]
    public void WhatKerasCannotExpressIsRefusedByLayer(string layers, string layer, string reason)
    {
        var param = TextFormat.Parse<NetParameter>("name: \"n\" layer { name: \"data\" type: \"Input\" top: \"data\" input_param { shape { dim: 1 dim: 2 dim: 8 dim: 8 } } } " + layers);
        var error = Assert.ThrowsAny<CortadoException>(() => CaffeToKeras.Convert(param, null, []));
        Assert.Contains(layer, error.Message);
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void KerasExportVerbWritesAModelKerasCanLoad()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("net.prototxt"), PaddingNet);
        using (var net = new Net(TextFormat.Parse<NetParameter>(PaddingNet), Phase.Test))
            ProtoFiles.WriteBinary(dir.File("w.caffemodel"), Randomized(net, 1));
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CommandLine.Run(["keras-export", dir.File("net.prototxt"), dir.File("w.caffemodel"), "-o", dir.File("m.keras")], output, error);
        Assert.True(code == 0, error.ToString());
        Assert.Contains("Exported 10 Keras layers", output.ToString());
        Assert.Contains("ZeroPadding2D", output.ToString());
        var model = Sequential.Load(dir.File("m.keras"));
        Assert.Equal(3, ((Conv2D)model.Layers.Single(l => l.Name == "conv1")).Filters);
        code = CommandLine.Run(["keras-export", dir.File("net.prototxt"), "-o", dir.File("m.onnx")], output, error = new StringWriter());
        Assert.Equal(1, code);
        Assert.Contains(".keras", error.ToString());
    }
}
