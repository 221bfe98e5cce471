using Cortado.Errors;
using Cortado.Keras;

namespace Cortado.Tests.Keras;

public class KerasMetricTests
{
    /// <summary>12 classes of 6 noisy features, hard enough after one epoch that top-5 and accuracy differ.</summary>
    private static (float[] X, int[] Y) Data(int count, int seed)
    {
        var random = new Random(seed);
        var x = new float[count * 6];
        var y = new int[count];
        for (int n = 0; n < count; n++)
        {
            y[n] = random.Next(12);
            for (int f = 0; f < 6; f++) x[n * 6 + f] = (float)(random.NextDouble() * 2 - 1 + ((y[n] >> (f % 4)) & 1) * 0.6);
        }
        return (x, y);
    }

    [Fact]
    public void TopKAccuracyCountsTheLabelsThatFewerThanFiveClassesBeat()
    {
        var (x, y) = Data(600, 4);
        var (vx, vy) = Data(200, 5);
        var model = new Sequential(new Dense(16) { InputShape = [6], Activation = "relu" }, new Dense(12) { Activation = "softmax" });
        model.Compile("sparse_categorical_crossentropy", new Adam(0.01), "accuracy", "sparse_top_k_categorical_accuracy");
        var output = new StringWriter();
        var history = model.Fit(x, y, batchSize: 50, epochs: 2, validationData: (vx, vy), output: output);

        // Independently: from the predicted probabilities, the label is in the top 5 when fewer than 5 classes score higher.
        var probabilities = model.Predict(vx);
        int inTopFive = 0, best = 0;
        for (int n = 0; n < vy.Length; n++)
        {
            var row = probabilities.AsSpan(n * 12, 12);
            int higher = 0;
            foreach (float p in row) if (p > row[vy[n]]) higher++;
            if (higher < 5) inTopFive++;
            if (higher == 0) best++;
        }
        var metrics = model.EvaluateMetrics(vx, vy);
        Assert.Equal(inTopFive / 200.0, metrics["sparse_top_k_categorical_accuracy"], 6);
        Assert.Equal(best / 200.0, metrics["acc"], 6);
        Assert.True(metrics["sparse_top_k_categorical_accuracy"] > metrics["acc"] + 0.1, $"top-5 {metrics["sparse_top_k_categorical_accuracy"]}, accuracy {metrics["acc"]}");

        Assert.Equal(2, history.Metrics["sparse_top_k_categorical_accuracy"].Count);
        Assert.Equal(metrics["sparse_top_k_categorical_accuracy"], history.Metrics["val_sparse_top_k_categorical_accuracy"][^1], 6);
        Assert.Matches(@"- sparse_top_k_categorical_accuracy: 0\.\d{4} - val_loss: .* - val_sparse_top_k_categorical_accuracy: 0\.\d{4}", output.ToString());
        Assert.Contains(model.ToNetParameter(1).Layer, l => l.Name == "sparse_top_k_categorical_accuracy" && l.AccuracyParam.TopK == 5);
    }

    [Fact]
    public void AnUnknownMetricIsNamed()
    {
        var model = new Sequential(new Dense(3) { InputShape = [2], Activation = "softmax" });
        var e = Assert.Throws<CortadoException>(() => model.Compile("categorical_crossentropy", new SGD(), "f1_score"));
        Assert.Contains("metric 'f1_score' is not supported; use accuracy, top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, mae, mean_absolute_error, mse, mean_squared_error", e.Message);
    }
}
