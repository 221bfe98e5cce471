using Cortado.Errors;
using Cortado.Keras;

namespace Cortado.Tests.Keras;

/// <summary>
/// Keras's losses beyond the cross-entropies, and sample and class weights: each loss and metric
/// that EvaluateMetrics reports equals Keras's formula computed here from Predict's outputs, and the
/// weighted losses train as Keras's weighting says (weights of 2 move SGD as a doubled rate does).
/// </summary>
public class KerasLossTests
{
    private static readonly float[] X = [0.5f, -1, 2, 0.25f, -0.5f, 1, 0, 1.5f, 1, 1, -2, 0.5f];
    private static readonly float[] Kernel = [0.3f, -0.2f, 0.5f, 0.1f, 0.4f, -0.3f, -0.6f, 0.2f, 0.1f, 0.2f, 0.1f, -0.4f];
    private static readonly float[] Bias = [0.1f, -0.1f, 0.05f];

    /// <summary>Dense(3) on 3 samples of 4 features with fixed weights, compiled with the loss.</summary>
    private static Sequential Model(string loss, string? activation, params string[] metrics)
    {
        var model = new Sequential(new Dense(3) { InputShape = [4], Activation = activation });
        model.SetWeights("dense_1", Kernel, Bias);
        model.Compile(loss, new SGD(0.1), metrics);
        return model;
    }

    private static double Mean(IEnumerable<double> values) => values.Average();

    [Fact]
    public void MseAndMaeAreMeansOverEveryValue()
    {
        float[] targets = [0, 1, -1, 0.5f, 0.5f, 0, 2, -1, 1];
        var mse = Model("mse", null, "mae", "accuracy");
        var p = mse.Predict(X);
        var metrics = mse.EvaluateMetrics(X, targets);
        Assert.Equal(Mean(p.Zip(targets, (a, b) => (double)(a - b) * (a - b))), metrics["loss"], 5);
        Assert.Equal(Mean(p.Zip(targets, (a, b) => (double)Math.Abs(a - b))), metrics["mae"], 5);
        // Keras's accuracy for value targets of 3 per sample: the argmax of the prediction against the target's.
        Assert.Equal(Enumerable.Range(0, 3).Average(s => Array.IndexOf(p[(s * 3)..(s * 3 + 3)], p[(s * 3)..(s * 3 + 3)].Max()) == Array.IndexOf(targets[(s * 3)..(s * 3 + 3)], targets[(s * 3)..(s * 3 + 3)].Max()) ? 1.0 : 0), metrics["acc"], 6);
        var mae = Model("mean_absolute_error", null, "mse");
        var m = mae.EvaluateMetrics(X, targets);
        Assert.Equal(metrics["mae"], m["loss"], 5);
        Assert.Equal(metrics["loss"], m["mse"], 5);
    }

    [Fact]
    public void BinaryCrossEntropyAndBinaryAccuracyAreKerassOnSigmoidOutputs()
    {
        float[] targets = [1, 0, 1, 0, 0, 1, 1, 1, 0];
        var model = Model("binary_crossentropy", "sigmoid", "accuracy");
        var p = model.Predict(X);
        Assert.All(p, v => Assert.InRange(v, 0, 1));
        var metrics = model.EvaluateMetrics(X, targets);
        Assert.Equal(Mean(p.Zip(targets, (q, t) => -(t * Math.Log(q) + (1 - t) * Math.Log(1 - q)))), metrics["loss"], 5);
        Assert.Equal(Mean(p.Zip(targets, (q, t) => q > 0.5 == t > 0.5 ? 1.0 : 0)), metrics["acc"], 6);
        Assert.Contains("sigmoid", Assert.Throws<CortadoException>(() => Model("binary_crossentropy", null)).Message);
    }

    [Fact]
    public void HingeIsKerassMeanOverTheClassesWithPlusMinusOneTargets()
    {
        int[] labels = [2, 0, 1];
        var model = Model("hinge", null);
        var p = model.Predict(X);
        double expected = Mean(Enumerable.Range(0, 9).Select(i => Math.Max(0.0, 1 - (i % 3 == labels[i / 3] ? 1 : -1) * p[i])));
        Assert.Equal(expected, model.EvaluateMetrics(X, labels)["loss"], 5);
    }

    [Fact]
    public void SampleAndClassWeightsScaleEachSamplesLoss()
    {
        int[] labels = [2, 0, 1];
        var model = Model("sparse_categorical_crossentropy", "softmax");
        var p = model.Predict(X);
        var perSample = Enumerable.Range(0, 3).Select(s => -Math.Log(p[s * 3 + labels[s]])).ToArray();
        // One epoch of one batch at rate 0: the history's loss is the weighted loss of the weights as they were.
        model.Compile("sparse_categorical_crossentropy", new SGD(0), "accuracy");
        var history = model.Fit(X, labels, batchSize: 3, epochs: 1, shuffle: false, sampleWeight: [1, 2, 0.5f]);
        Assert.Equal((perSample[0] * 1 + perSample[1] * 2 + perSample[2] * 0.5) / 3, history["loss"][0], 5);
        history = model.Fit(X, labels, batchSize: 3, epochs: 1, shuffle: false, classWeight: new Dictionary<int, double> { [0] = 3, [2] = 0.5 });
        Assert.Equal((perSample[0] * 0.5 + perSample[1] * 3 + perSample[2]) / 3, history["loss"][0], 5);
        Assert.Contains("one array of 3 weights", Assert.Throws<CortadoException>(() => model.Fit(X, labels, sampleWeight: [1, 2])).Message);
    }

    [Theory]
    [InlineData("sparse_categorical_crossentropy", "softmax")]
    [InlineData("mse", null)]
    public void WeightsOfTwoMoveSgdAsADoubledRateDoes(string loss, string? activation)
    {
        float[] targets = [0, 1, -1, 0.5f, 0.5f, 0, 2, -1, 1];
        int[] labels = [2, 0, 1];
        Sequential Step(double rate, float[]? weights)
        {
            var model = new Sequential(new Dense(3) { InputShape = [4], Activation = activation });
            model.SetWeights("dense_1", Kernel, Bias);
            model.Compile(loss, new SGD(rate));
            if (loss == "mse") model.Fit(X, targets, batchSize: 3, shuffle: false, sampleWeight: weights);
            else model.Fit(X, labels, batchSize: 3, shuffle: false, sampleWeight: weights);
            return model;
        }
        var weighted = Step(0.1, [2, 2, 2]).GetWeights("dense_1");
        var doubled = Step(0.2, null).GetWeights("dense_1");
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < weighted[i].Length; j++) Assert.True(Math.Abs(weighted[i][j] - doubled[i][j]) < 1e-5, $"{loss} array {i} [{j}]: weighted {weighted[i][j]}, doubled rate {doubled[i][j]}");
        Assert.NotEqual(Kernel, doubled[0]);
    }

    [Fact]
    public void MseOnAnImageOutputComparesChannelLastTargets()
    {
        var model = new Sequential(new Conv2D(2, 1) { InputShape = [2, 3, 2] });
        model.SetWeights("conv2d_1", [1, 0.5f, -1, 2], [0.1f, -0.2f]);
        model.Compile("mse", new SGD(0.01));
        var random = new Random(3);
        var x = Enumerable.Range(0, 2 * 2 * 3 * 2).Select(_ => (float)random.NextDouble()).ToArray();
        // Targets from another 1x1 convolution (kernel (c, o) = teacher[c * 2 + o]), so training can reach them.
        float[] teacher = [0.5f, -1, 1.5f, 0.25f];
        var targets = new float[x.Length];
        for (int pixel = 0; pixel < x.Length / 2; pixel++)
            for (int o = 0; o < 2; o++) targets[pixel * 2 + o] = x[pixel * 2] * teacher[o] + x[pixel * 2 + 1] * teacher[2 + o] + 0.3f;
        var p = model.Predict(x);
        Assert.Equal(Mean(p.Zip(targets, (a, b) => (double)(a - b) * (a - b))), model.EvaluateMetrics(x, targets)["loss"], 5);
        var before = model.EvaluateMetrics(x, targets)["loss"];
        model.Compile("mse", new SGD(0.2));
        model.Fit(x, targets, batchSize: 2, epochs: 300);
        double after = model.EvaluateMetrics(x, targets)["loss"];
        Assert.True(after < before / 10, $"mse training lowers the loss: {before} to {after}");
    }

    [Fact]
    public void LabelsAndValuesGoWithTheirLosses()
    {
        Assert.Contains("takes class labels", Assert.Throws<CortadoException>(() => Model("sparse_categorical_crossentropy", "softmax").Fit(X, new float[9])).Message);
        Assert.Contains("takes target values", Assert.Throws<CortadoException>(() => Model("mse", null).Fit(X, [0, 1, 2])).Message);
        Assert.Contains("ranks classes", Assert.Throws<CortadoException>(() => Model("mse", null, "top_k_categorical_accuracy")).Message);
        Assert.Contains("'kl_divergence' is not supported", Assert.Throws<CortadoException>(() => Model("kl_divergence", null)).Message);
    }
}
