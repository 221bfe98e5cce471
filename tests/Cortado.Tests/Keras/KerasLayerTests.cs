using Cortado.Errors;
using Cortado.Keras;
using Cortado.Nets;
using Cortado.Proto;

namespace Cortado.Tests.Keras;

/// <summary>
/// Keras's Rescaling, ReLU, LeakyReLU and ELU layers, in the C# API and from model JSON of Keras 2
/// and Keras 3: each computes Keras's formula (values worked out by hand), and Adadelta takes each
/// Keras version's defaults.
/// </summary>
public class KerasLayerTests
{
    private static readonly float[] X = [-2f, -0.5f, 0.5f, 3f];

    /// <summary>The model's Caffe net on X as one 1 x 2 x 2 image (channel-last equals channel-first for one channel).</summary>
    private static float[] Forward(Sequential model, float[]? input = null)
    {
        var param = model.ToNetParameter(1);
        using var net = new Net(param, Phase.Test);
        (input ?? X).CopyTo(net.Blob("data").Data);
        net.Forward();
        // The model's output: the last blob produced that no later layer reads (cut-off parts go to Silence).
        var layers = param.Layer;
        string output = layers.SelectMany((l, i) => l.Top.Where(t => t != "label" && !layers.Skip(i + 1).Any(later => later.Bottom.Contains(t)))).Last();
        return net.Blob(output).HostData.ToArray();
    }

    private static void Near(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-6, $"[{i}] expected {expected[i]}, got {actual[i]}");
    }

    [Fact]
    public void RescalingIsXTimesScalePlusOffset() =>
        Near([-0.5f, 0.25f, 0.75f, 2f], Forward(new Sequential(new Rescaling(0.5, 0.5) { InputShape = [2, 2, 1] })));

    [Fact]
    public void TheActivationLayersComputeKerassFormulas()
    {
        Near([0, 0, 0.5f, 3], Forward(new Sequential(new ReLU { InputShape = [2, 2, 1] })));
        Near([-0.2f, -0.05f, 0.5f, 1.5f], Forward(new Sequential(new ReLU { InputShape = [2, 2, 1], NegativeSlope = 0.1, MaxValue = 1.5 })));
        Near([-0.6f, -0.15f, 0.5f, 3], Forward(new Sequential(new LeakyReLU { InputShape = [2, 2, 1] })));
        Near([0.5f * (MathF.Exp(-2) - 1), 0.5f * (MathF.Exp(-0.5f) - 1), 0.5f, 3], Forward(new Sequential(new ELU(0.5) { InputShape = [2, 2, 1] })));
        var threshold = new Sequential(new ReLU { InputShape = [2, 2, 1], Threshold = 1 });
        Assert.Contains("threshold 1 has no Caffe equivalent", Assert.Throws<CortadoException>(() => threshold.ToNetParameter(1)).Message);
    }

    [Theory]
    [InlineData("\"alpha\": 0.1")] // Keras 2
    [InlineData("\"negative_slope\": 0.1")] // Keras 3
    public void ImportedModelsKeepTheirLayersSettings(string slope)
    {
        string json = $$$"""
            {"class_name": "Sequential", "config": {"name": "m", "layers": [
              {"class_name": "InputLayer", "config": {"name": "in", "batch_input_shape": [null, 2, 2, 1]}},
              {"class_name": "Rescaling", "config": {"name": "scale", "scale": 2.0, "offset": -1.0}},
              {"class_name": "LeakyReLU", "config": {"name": "leaky", {{{slope}}}}},
              {"class_name": "ReLU", "config": {"name": "relu", "max_value": null, "negative_slope": 0.0, "threshold": 0.0}},
              {"class_name": "ELU", "config": {"name": "elu", "alpha": 1.0}}
            ]}}
            """;
        var model = KerasModelJson.Parse(json);
        Assert.Equal(["Rescaling", "LeakyReLU", "ReLU", "ELU"], model.Layers.Select(l => l.ClassName));
        // 2x - 1 = -5, -2, 0, 5; the leaky slope then ReLU zero the negatives; ELU keeps the positives.
        Near([0, 0, 0, 5], Forward(model));
        Assert.Equal(0.1, ((LeakyReLU)model.Layers[1]).Alpha, 6);
    }

    [Fact]
    public void ADenseFirstModelTakesFlatInputs()
    {
        // Input(shape=(8,)): the class is which quarter of the 8 features holds the largest sum.
        var random = new Random(3);
        int count = 400;
        var x = new float[count * 8];
        var y = new int[count];
        for (int n = 0; n < count; n++)
        {
            for (int f = 0; f < 8; f++) x[n * 8 + f] = (float)random.NextDouble();
            y[n] = random.Next(4);
            x[n * 8 + 2 * y[n]] += 1.5f;
            x[n * 8 + 2 * y[n] + 1] += 1.5f;
        }
        var model = new Sequential(new Dense(16) { InputShape = [8], Activation = "relu" }, new Dense(4) { Activation = "softmax" });
        Assert.Equal([2, 8], model.ToNetParameter(2).Layer[0].InputParam.Shape[0].Dim.Select(d => (int)d));
        model.Compile("sparse_categorical_crossentropy", new Adam(0.01), "accuracy");
        model.Fit(x, y, batchSize: 32, epochs: 20, output: TextWriter.Null);
        var (loss, accuracy) = model.Evaluate(x, y);
        Assert.True(accuracy > 0.95, $"accuracy {accuracy}, loss {loss}");
        Assert.Contains("(features)", Assert.Throws<CortadoException>(() => new Sequential(new Dense(2) { InputShape = [2, 3] }, new Activation("softmax")).ToNetParameter(1)).Message);
    }

    [Fact]
    public void ZeroPaddingGlobalMaxPoolingAndDilationAsKerasComputesThem()
    {
        // (1, 2): a row of zeros above and below, two columns left and right of the 2 x 2 image.
        var padded = Forward(new Sequential(new ZeroPadding2D((1, 2)) { InputShape = [2, 2, 1] }));
        Near([0, 0, 0, 0, 0, 0, 0, 0, -2, -0.5f, 0, 0, 0, 0, 0.5f, 3, 0, 0, 0, 0, 0, 0, 0, 0], padded);
        // ((1, 0), (1, 1)): a row above only, a column each side; ((0, 1), (0, 1)) as MobileNet pads before a stride-2 convolution.
        Near([0, 0, 0, 0, 0, -2, -0.5f, 0, 0, 0.5f, 3, 0], Forward(new Sequential(new ZeroPadding2D(((1, 0), (1, 1))) { InputShape = [2, 2, 1] })));
        Near([-2, -0.5f, 0, 0.5f, 3, 0, 0, 0, 0], Forward(new Sequential(new ZeroPadding2D(((0, 1), (0, 1))) { InputShape = [2, 2, 1] })));

        Near([3], Forward(new Sequential(new GlobalMaxPooling2D { InputShape = [2, 2, 1] })));

        // A 3x3 kernel of ones dilated by 2 over 0..24 (5 x 5): the sum of rows and columns 0, 2, 4 = 108.
        var dilated = new Sequential(new Conv2D(1, 3) { InputShape = [5, 5, 1], DilationRate = (2, 2), KernelInitializer = "ones" });
        Assert.Equal([1, 1, 1], dilated.OutputShapes()[0]);
        Near([108], Forward(dilated, [.. Enumerable.Range(0, 25).Select(v => (float)v)]));
    }

    [Fact]
    public void ZeroPaddingAndDilationComeInFromJson()
    {
        const string json = """
            {"class_name": "Sequential", "config": {"name": "m", "layers": [
              {"class_name": "ZeroPadding2D", "config": {"name": "pad", "batch_input_shape": [null, 5, 5, 1], "padding": [[2, 2], [1, 1]]}},
              {"class_name": "Conv2D", "config": {"name": "conv", "filters": 2, "kernel_size": [3, 3], "dilation_rate": [2, 1], "padding": "valid"}},
              {"class_name": "GlobalMaxPooling2D", "config": {"name": "gmp"}}
            ]}}
            """;
        var model = KerasModelJson.Parse(json);
        Assert.Equal(((2, 2), (1, 1)), ((ZeroPadding2D)model.Layers[0]).Padding);
        Assert.Equal((2, 1), ((Conv2D)model.Layers[1]).DilationRate);
        Assert.Equal([[9, 7, 1], [5, 5, 2], [2]], model.OutputShapes().Select(s => s.ToArray()));
    }

    [Fact]
    public void UpSamplingRepeatsPixelsAndCroppingCutsEdges()
    {
        Near([-2, -2, -0.5f, -0.5f, -2, -2, -0.5f, -0.5f, 0.5f, 0.5f, 3, 3, 0.5f, 0.5f, 3, 3],
            Forward(new Sequential(new UpSampling2D(2) { InputShape = [2, 2, 1] })));
        var grid = Enumerable.Range(0, 9).Select(v => (float)v).ToArray();
        var crop = new Sequential(new Cropping2D(((1, 0), (0, 1))) { InputShape = [3, 3, 1] });
        Assert.Equal([2, 2, 1], crop.OutputShapes()[0]);
        Near([3, 4, 6, 7], Forward(crop, grid));
        Near(grid, Forward(new Sequential(new Cropping2D(0) { InputShape = [3, 3, 1] }), grid));
        Assert.Contains("interpolation 'bilinear' has no exact Caffe form",
            Assert.Throws<CortadoException>(() => new Sequential(new UpSampling2D { InputShape = [2, 2, 1], Interpolation = "bilinear" }).ToNetParameter(1)).Message);

        var imported = KerasModelJson.Parse("""
            {"class_name": "Sequential", "config": {"name": "m", "layers": [
              {"class_name": "UpSampling2D", "config": {"name": "up", "batch_input_shape": [null, 3, 3, 1], "size": [2, 1], "interpolation": "nearest"}},
              {"class_name": "Cropping2D", "config": {"name": "crop", "cropping": [[1, 1], [0, 1]]}}
            ]}}
            """);
        Assert.Equal([[6, 3, 1], [4, 2, 1]], imported.OutputShapes().Select(s => s.ToArray()));
        // Rows doubled (0 0 1 1 2 2 of the grid), one cut at each end, then the last column: rows 0 1 1 2, columns 0 1.
        Near([0, 1, 3, 4, 3, 4, 6, 7], Forward(imported, grid));
    }

    [Fact]
    public void EmbeddingLooksUpRowsAndLearnsFromSequences()
    {
        // Sequences of 4 tokens from 10; the class is whether token 7 occurs.
        var random = new Random(9);
        var x = new float[300 * 4];
        var y = new int[300];
        for (int n = 0; n < 300; n++)
        {
            for (int t = 0; t < 4; t++) x[n * 4 + t] = random.Next(7);
            if (n % 2 == 1) x[n * 4 + random.Next(4)] = 7;
            y[n] = n % 2;
        }
        var model = new Sequential(new Embedding(10, 3) { InputShape = [4] }, new Flatten(), new Dense(2) { Activation = "softmax" });
        Assert.Equal([4, 3], model.OutputShapes()[0]);
        var table = Enumerable.Range(0, 30).Select(v => v / 10f).ToArray();
        model.SetWeights(model.Layers[0].Name!, table);
        var param = model.ToNetParameter(1);
        using (var net = new Cortado.Nets.Net(param, Phase.Test))
        {
            net.CopyTrainedLayersFrom(model.ToCaffeModel());
            new float[] { 2, 0, 9, 2 }.CopyTo(net.Blob("data").Data);
            net.Forward();
            Near([0.6f, 0.7f, 0.8f, 0, 0.1f, 0.2f, 2.7f, 2.8f, 2.9f, 0.6f, 0.7f, 0.8f], net.Blob(model.Layers[0].Name!).HostData.ToArray());
        }
        var trained = new Sequential(new Embedding(10, 4) { InputShape = [4] }, new Flatten(), new Dense(2) { Activation = "softmax" });
        trained.Compile("sparse_categorical_crossentropy", new Adam(0.05), "accuracy");
        trained.Fit(x, y, batchSize: 30, epochs: 30, output: TextWriter.Null);
        Assert.True(trained.Evaluate(x, y).Accuracy > 0.95, $"accuracy {trained.Evaluate(x, y).Accuracy}");

        var imported = KerasModelJson.Parse("""
            {"class_name": "Sequential", "config": {"name": "m", "layers": [
              {"class_name": "Embedding", "config": {"name": "emb", "batch_input_shape": [null, 5], "input_dim": 20, "output_dim": 8,
                "embeddings_initializer": {"class_name": "RandomUniform", "config": {"minval": -0.05, "maxval": 0.05}}}},
              {"class_name": "Flatten", "config": {"name": "flat"}}
            ]}}
            """);
        Assert.Equal([[5, 8], [40]], imported.OutputShapes().Select(s => s.ToArray()));
    }

    [Fact]
    public void AdadeltaTakesEachKerasVersionsDefaults()
    {
        Assert.Equal(new Adadelta(1.0, 0.95, 1e-8), Adadelta.For(KerasVersion.Keras1));
        Assert.Equal(new Adadelta(1.0, 0.95, 1e-7), Adadelta.For(KerasVersion.Keras2));
        Assert.Equal(new Adadelta(0.001, 0.95, 1e-7), Adadelta.For(KerasVersion.TfKeras));
        Assert.Equal(new Adadelta(0.001, 0.95, 1e-7), Adadelta.For(KerasVersion.Keras3));
    }

    /// <summary>
    /// Keras's (TensorFlow's) 'same' pooling from its definition, one channel: ceil(size / stride)
    /// outputs, the padding split with the odd cell after, padded cells ignored by max and not counted by average.
    /// </summary>
    private static float[] SamePool(float[] image, int h, int w, (int H, int W) pool, (int H, int W) stride, bool max)
    {
        int oh = (h + stride.H - 1) / stride.H, ow = (w + stride.W - 1) / stride.W;
        int top = Math.Max(0, (oh - 1) * stride.H + pool.H - h) / 2, left = Math.Max(0, (ow - 1) * stride.W + pool.W - w) / 2;
        var output = new float[oh * ow];
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
            {
                var cells = new List<float>();
                for (int i = 0; i < pool.H; i++)
                    for (int j = 0; j < pool.W; j++)
                    {
                        int r = y * stride.H - top + i, c = x * stride.W - left + j;
                        if (r >= 0 && r < h && c >= 0 && c < w) cells.Add(image[r * w + c]);
                    }
                output[y * ow + x] = max ? cells.Max() : cells.Average();
            }
        return output;
    }

    [Theory]
    [InlineData(5, 5, 2, 2, 2, 2, true)]   // the odd cell after: pad 0, Caffe's rounding up adds the last window
    [InlineData(4, 5, 3, 3, 1, 1, true)]   // one cell on each side: pad 1
    [InlineData(6, 7, 3, 3, 2, 2, true)]
    [InlineData(7, 6, 3, 2, 2, 2, true)]
    [InlineData(5, 4, 2, 2, 2, 2, false)]  // average with nothing padded before: the divisor counts the cells inside
    [InlineData(6, 6, 2, 3, 2, 3, false)]
    public void SamePoolingIsKerassWindows(int h, int w, int poolH, int poolW, int strideH, int strideW, bool max)
    {
        var image = Enumerable.Range(0, h * w).Select(i => (float)Math.Sin(i * 1.7) * 3).ToArray();
        KerasLayer layer = max
            ? new MaxPooling2D((poolH, poolW)) { InputShape = [h, w, 1], Strides = (strideH, strideW), Padding = "same" }
            : new AveragePooling2D((poolH, poolW)) { InputShape = [h, w, 1], Strides = (strideH, strideW), Padding = "same" };
        var model = new Sequential(layer);
        Near(SamePool(image, h, w, (poolH, poolW), (strideH, strideW), max), Forward(model, image));
        Assert.Equal([(h + strideH - 1) / strideH, (w + strideW - 1) / strideW, 1], model.OutputShapes()[^1]);
    }

    [Fact]
    public void SamePoolingWithoutAnExactCaffeFormIsRefusedWithTheReason()
    {
        // Average pooling with a cell padded before the image: Caffe's divisor would count it.
        var average = new Sequential(new AveragePooling2D(3) { InputShape = [4, 4, 1], Strides = (1, 1), Padding = "same" });
        Assert.Contains("pads 1 before the image; Caffe's AVE pooling counts those cells", Assert.Throws<CortadoException>(() => average.ToNetParameter(1)).Message);
        // A pool of 4 at stride 1 pads 1 before and 2 after: Caffe's symmetric pad gives one output fewer.
        var uneven = new Sequential(new MaxPooling2D(4) { InputShape = [6, 6, 1], Strides = (1, 1), Padding = "same" });
        Assert.Contains("Caffe's symmetric pad gives 5 outputs where Keras gives 6", Assert.Throws<CortadoException>(() => uneven.ToNetParameter(1)).Message);
    }

    [Fact]
    public void SamePoolingImportsFromModelJson()
    {
        const string json = """
            {"class_name": "Sequential", "config": {"name": "s", "layers": [
              {"class_name": "MaxPooling2D", "config": {"name": "pool", "pool_size": [2, 2], "strides": [2, 2], "padding": "same", "batch_input_shape": [null, 5, 5, 1]}}]}}
            """;
        var model = KerasModelJson.Parse(json);
        var image = Enumerable.Range(0, 25).Select(i => (float)((i * 7) % 11)).ToArray();
        Near(SamePool(image, 5, 5, (2, 2), (2, 2), max: true), Forward(model, image));
    }

    [Fact]
    public void SpatialDropout2DDropsWholeFeatureMapsInTrainingOnly()
    {
        var model = new Sequential(new SpatialDropout2D(0.5) { InputShape = [3, 4, 8] });
        var param = model.ToNetParameter(10);
        Assert.Contains(param.Layer, l => l.Type == "SpatialDropout" && l.DropoutParam.DropoutRatio == 0.5f);
        using var train = new Net(param, Phase.Train);
        train.Blob("data").Data.Fill(1f);
        train.Forward();
        var output = train.Blob("data").Data.ToArray(); // in place, as Keras's Dropout is exported
        int kept = 0;
        for (int plane = 0; plane < 10 * 8; plane++)
        {
            var values = output.AsSpan(plane * 12, 12).ToArray();
            Assert.True(values.All(v => v == 0f) || values.All(v => v == 2f), $"plane {plane}: {string.Join(", ", values)}");
            if (values[0] == 2f) kept++;
        }
        Assert.InRange(kept, 15, 65);
        Assert.Equal(X, Forward(new Sequential(new SpatialDropout2D(0.5) { InputShape = [2, 2, 1] }))); // test time: the identity

        var imported = KerasModelJson.Parse("""
            {"class_name": "Sequential", "config": {"name": "s", "layers": [
              {"class_name": "SpatialDropout2D", "config": {"name": "sd", "rate": 0.3, "batch_input_shape": [null, 2, 2, 1]}}]}}
            """);
        Assert.Equal(0.3, Assert.IsType<SpatialDropout2D>(imported.Layers[0]).Rate);
        Assert.Contains("rate must be in [0, 1)", Assert.Throws<CortadoException>(() => new Sequential(new SpatialDropout2D(1) { InputShape = [2, 2, 1] }).ToNetParameter(1)).Message);
    }
}
