using Cortado.Errors;
using Cortado.Keras;
using Cortado.Nets;
using Cortado.Proto;

namespace Cortado.Tests.Keras;

/// <summary>
/// Keras's functional API in C#: a shared layer keeps one set of weights across its calls, two
/// outputs train together on summed losses, and a layer working in place on a tensor that another
/// call also reads leaves that tensor alone; each checked against the arithmetic done by hand.
/// </summary>
public class FunctionalModelTests
{
    private static float[] Dense(float[] x, float[][] weights, int inputs, bool relu)
    {
        var (kernel, bias) = (weights[0], weights[1]);
        int units = bias.Length, n = x.Length / inputs;
        var y = new float[n * units];
        for (int s = 0; s < n; s++)
            for (int u = 0; u < units; u++)
            {
                double sum = bias[u];
                for (int k = 0; k < inputs; k++) sum += x[s * inputs + k] * kernel[k * units + u];
                y[s * units + u] = relu ? (float)Math.Max(sum, 0) : (float)sum;
            }
        return y;
    }

    private static float[] Softmax(float[] logits, int classes)
    {
        var p = new float[logits.Length];
        for (int s = 0; s < logits.Length / classes; s++)
        {
            double max = logits.Skip(s * classes).Take(classes).Max(), sum = 0;
            for (int k = 0; k < classes; k++) sum += Math.Exp(logits[s * classes + k] - max);
            for (int k = 0; k < classes; k++) p[s * classes + k] = (float)(Math.Exp(logits[s * classes + k] - max) / sum);
        }
        return p;
    }

    private static float[] Random(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)random.NextDouble()).ToArray();
    }

    [Fact]
    public void ASharedLayerKeepsOneSetOfWeightsThroughTraining()
    {
        var a = new Input(4) { Name = "left" };
        var b = new Input(4) { Name = "right" };
        var shared = new Dense(3) { Name = "shared", Activation = "relu" };
        var difference = new Subtract { Name = "difference" }.Call(shared.Call(a), shared.Call(b));
        var output = new Dense(2) { Name = "decision", Activation = "softmax" }.Call(difference);
        var model = new Model([a, b], [output], "siamese");
        Assert.Equal((4 * 3 + 3) + (3 * 2 + 2), model.ParamCount());
        var net = new Net(model.ToNetParameter(2), Phase.Train);
        Assert.Equal(4, net.LearnableParams.Count); // shared's weight and bias once, decision's two
        Assert.Equal(net.Layer("shared").Blobs[0].Data.ToArray(), net.Layer("shared_1").Blobs[0].Data.ToArray());

        int count = 200;
        var (left, right) = (Random(count * 4, 1), Random(count * 4, 2));
        var labels = Enumerable.Range(0, count).Select(s => left.Skip(s * 4).Take(4).Sum() > right.Skip(s * 4).Take(4).Sum() ? 1 : 0).ToArray();
        model.Compile("sparse_categorical_crossentropy", new Adam(0.05), "accuracy");
        var history = model.Fit([left, right], [labels], batchSize: 20, epochs: 30);
        Assert.True(history["acc"][^1] > 0.9, $"accuracy {history["acc"][^1]}");
        // Both calls still read the one trained weight set: the prediction is the arithmetic on GetWeights.
        var weights = model.GetWeights("shared");
        var (ya, yb) = (Dense(left, weights, 4, relu: true), Dense(right, weights, 4, relu: true));
        var expected = Softmax(Dense(ya.Zip(yb, (p, q) => p - q).ToArray(), model.GetWeights("decision"), 3, relu: false), 2);
        var predicted = model.Predict([left, right])[0];
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - predicted[i]) < 1e-5, $"[{i}]: by hand {expected[i]}, model {predicted[i]}");
    }

    [Fact]
    public void TwoOutputsTrainOnTheSumOfTheirLosses()
    {
        var input = new Input(4) { Name = "features" };
        var hidden = new Dense(16) { Activation = "relu" }.Call(input);
        var first = new Dense(2) { Name = "bigger", Activation = "softmax" }.Call(hidden);
        var second = new Dense(3) { Name = "largest", Activation = "softmax" }.Call(hidden);
        var model = new Model([input], [first, second]);
        int count = 300;
        var x = Random(count * 4, 3);
        var bigger = Enumerable.Range(0, count).Select(s => x[s * 4] > 0.5f ? 1 : 0).ToArray();
        var largest = Enumerable.Range(0, count).Select(s => Enumerable.Range(1, 3).MaxBy(k => x[s * 4 + k]) - 1).ToArray();
        model.Compile("sparse_categorical_crossentropy", new Adam(0.02), "accuracy");
        var history = model.Fit([x], [bigger, largest], batchSize: 30, epochs: 40);
        Assert.Equal(["loss", "bigger_loss", "bigger_acc", "largest_loss", "largest_acc"], history.Metrics.Keys);
        var metrics = model.EvaluateMetrics([x], [bigger, largest]);
        Assert.Equal(metrics["bigger_loss"] + metrics["largest_loss"], metrics["loss"], 4);
        Assert.True(metrics["bigger_acc"] > 0.9 && metrics["largest_acc"] > 0.8, $"accuracies {metrics["bigger_acc"]} and {metrics["largest_acc"]}");
        Assert.Throws<CortadoException>(() => model.Fit([x], [bigger]));
    }

    [Fact]
    public void AnInPlaceLayerLeavesATensorItsOtherReadersNeed()
    {
        var input = new Input(3);
        var x = new Dense(4) { Name = "pre" }.Call(input);
        var relu = new Activation("relu") { Name = "rectified" }.Call(x); // Caffe's ReLU would work in place on pre's blob
        var linear = new Dense(2) { Name = "linear" }.Call(x);            // but this call reads pre's values before the ReLU
        var model = new Model(input, new Concatenate { Name = "both" }.Call(relu, linear));
        var data = new float[] { 1, -2, 0.5f, -1, 3, -0.5f };
        model.SetWeights("pre", [1, -1, 0.5f, -0.5f, 2, 1, -1, 0, -1, 0.5f, 1, 1], [0.1f, -0.2f, 0, 0.3f]);
        model.SetWeights("linear", [1, 0, -1, 1, 0.5f, 2, 0, -1], [0, 0.5f]);
        var pre = Dense(data, model.GetWeights("pre"), 3, relu: false);
        var expected = new List<float>();
        for (int s = 0; s < 2; s++)
        {
            var row = pre.Skip(s * 4).Take(4).ToArray();
            expected.AddRange(row.Select(v => Math.Max(v, 0)));
            expected.AddRange(Dense(row, model.GetWeights("linear"), 4, relu: false));
        }
        Assert.Contains(pre, v => v < 0); // the case matters: some pre-activations are negative
        var predicted = model.Predict([data])[0];
        for (int i = 0; i < expected.Count; i++) Assert.True(Math.Abs(expected[i] - predicted[i]) < 1e-5, $"[{i}]: by hand {expected[i]}, model {predicted[i]}");
    }

    [Fact]
    public void BadGraphsAreRefusedByName()
    {
        var a = new Input(4);
        var stray = new Input(4);
        var merged = new Add().Call(new Dense(2).Call(a), new Dense(2).Call(stray));
        Assert.Contains("not among the model's inputs", Assert.Throws<CortadoException>(() => new Model(a, merged)).Message);
        Assert.Contains("one shape", Assert.Throws<CortadoException>(() => new Add { Name = "sum" }.Call(a, new Dense(3).Call(a))).Message);
        Assert.Contains("'twice'", Assert.Throws<CortadoException>(() => new Model(a, new Dense(2) { Name = "twice" }.Call(new Dense(2) { Name = "twice" }.Call(a)))).Message);
        var concatenated = new Concatenate(axis: 1).Call(new Dense(2).Call(a), new Dense(3).Call(a));
        Assert.Equal([5], concatenated.Shape);
    }

    /// <summary>The package readme's residual model, as written there, on a little data.</summary>
    [Fact]
    public void ThePackageReadmesResidualModelTrainsSavesAndLoads()
    {
        using var dir = new TempDir();
        var random = new Random(9);
        var pixels = Enumerable.Range(0, 20 * 28 * 28).Select(_ => (float)random.Next(256)).ToArray();
        var labels = Enumerable.Range(0, 20).Select(i => i % 10).ToArray();
        var image = new Input(28, 28, 1);
        var x = new Conv2D(32, 3) { Activation = "relu" }.Call(new Rescaling(1.0 / 255).Call(image));
        var shortcut = x;
        x = new Conv2D(32, 3) { Padding = "same" }.Call(x);
        x = new Activation("relu").Call(new Add().Call(x, shortcut));
        x = new Dense(10) { Activation = "softmax" }.Call(new Flatten().Call(new MaxPooling2D(2).Call(x)));
        var model = new Model(image, x);
        model.Compile("sparse_categorical_crossentropy", Adadelta.For(KerasVersion.Keras3), "accuracy");
        var checkpoint = new Cortado.Keras.Callbacks.ModelCheckpoint(dir.File("best.keras"), saveBestOnly: true);
        var history = model.Fit([pixels], [labels], batchSize: 10, epochs: 2, callbacks: [checkpoint], validationSplit: 0.1);
        Assert.Equal(2, history["val_loss"].Count);
        Assert.NotEmpty(checkpoint.Saved);
        model.Save(dir.File("model.h5"));
        var again = KerasModel.Load(dir.File("model.h5"));
        Assert.Equal("sparse_categorical_crossentropy", again.Loss);
        Assert.Equal(model.Predict([pixels])[0], again.Predict([pixels])[0]);
    }
}
