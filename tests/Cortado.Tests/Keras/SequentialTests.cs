using Cortado.Errors;
using Cortado.Keras;
using Cortado.Nets;
using Cortado.Proto;

namespace Cortado.Tests.Keras;

public class SequentialTests
{
    /// <summary>The seed's Keras model, from examples/fneishnet_numbers/KerasModel.cs.</summary>
    internal static Sequential SeedModel() => Cortado.Examples.FneishNetNumbers.KerasModel();

    [Fact]
    public void SeedModelSummaryHasKerasParameterCounts()
    {
        var output = new StringWriter();
        SeedModel().Summary(output);
        string text = output.ToString().Replace("\r", "");
        // conv (3*3*1+1)*32 = 320; conv (3*3*32+1)*32 = 9248; pool floors 20x11 to 10x5: dense (1600+1)*128 = 204928; dense (128+1)*11 = 1419
        Assert.Contains("conv2d_1 (Conv2D)            (None, 22, 13, 32)        320       \n", text);
        Assert.Contains("conv2d_2 (Conv2D)            (None, 20, 11, 32)        9248      \n", text);
        Assert.Contains("max_pooling2d_1 (MaxPooling2 (None, 10, 5, 32)         0         \n", text); // cut as Keras cuts it
        Assert.Contains("flatten_1 (Flatten)          (None, 1600)              0         \n", text);
        Assert.Contains("dense_1 (Dense)              (None, 128)               204928    \n", text);
        Assert.Contains("dense_2 (Dense)              (None, 11)                1419      \n", text);
        Assert.Contains("Total params: 215,915\nTrainable params: 215,915\nNon-trainable params: 0\n", text);
        Assert.StartsWith("_________________________________________________________________\nLayer (type)                 Output Shape              Param #   \n=================================================================\n", text);
    }

    [Fact]
    public void SeedModelBecomesACaffeNetWithKerasPooling()
    {
        var model = SeedModel();
        model.Compile("categorical_crossentropy", new Adadelta(), "accuracy");
        var notes = new List<string>();
        var net = new Net(model.ToNetParameter(128, notes), Phase.Train);
        Assert.Equal([128, 32, 10, 5], net.Blob("max_pooling2d_1").Shape);
        Assert.Equal([128, 1600], net.Blob("flatten_1").Shape);
        Assert.Equal(215915, net.LearnableParams.Sum(p => (long)p.Count));
        Assert.Contains(notes, n => n.Contains("Keras strides by the pool size"));
        Assert.Contains(notes, n => n.Contains("round_mode: FLOOR"));
        var solver = model.ToSolverParameter();
        Assert.Equal(("AdaDelta", 1.0f, 0.95f, 1e-7f, "fixed", 0f), (solver.Type, solver.BaseLr, solver.Momentum, solver.Delta, solver.LrPolicy, solver.WeightDecay));
    }

    /// <summary>Two classes of 6 x 6 images: a bright top half or a bright bottom half, with noise.</summary>
    internal static (float[] X, int[] Y) Stripes(int count, int seed)
    {
        var random = new Random(seed);
        var x = new float[count * 36];
        var y = new int[count];
        for (int n = 0; n < count; n++)
        {
            y[n] = random.Next(2);
            for (int i = 0; i < 36; i++)
                x[n * 36 + i] = ((i / 6 < 3) == (y[n] == 0) ? 0.8f : 0.1f) + (float)random.NextDouble() * 0.2f;
        }
        return (x, y);
    }

    [Fact]
    public void FitLearnsAndPrintsKerasStyleEpochs()
    {
        var model = new Sequential(new Conv2D(4, 3) { InputShape = [6, 6, 1], Activation = "relu" }, new MaxPooling2D(2), new Flatten(), new Dense(2) { Activation = "softmax" });
        model.Compile("sparse_categorical_crossentropy", new Adam(0.01), "accuracy");
        var (x, y) = Stripes(256, 1);
        var output = new StringWriter();
        var history = model.Fit(x, y, batchSize: 32, epochs: 5, validationSplit: 0.25, output: output);
        Assert.Equal(5, history["loss"].Count);
        Assert.True(history["loss"][^1] < history["loss"][0], string.Join(", ", history["loss"]));
        Assert.True(history["val_acc"][^1] > 0.95, $"val_acc {history["val_acc"][^1]}");
        Assert.Matches(@"Epoch 5/5\n192/192 \[=+\] - \d+s \d+us/step - loss: [\d.]+ - acc: [\d.]+ - val_loss: [\d.]+ - val_acc: [\d.]+\n", output.ToString().Replace("\r", ""));
        var probabilities = model.Predict(x[..(4 * 36)]);
        for (int n = 0; n < 4; n++) Assert.Equal(1.0, probabilities[n * 2] + probabilities[n * 2 + 1], 4);
        var (loss, accuracy) = model.Evaluate(x, y);
        Assert.True(accuracy > 0.95 && loss < 0.3, $"{loss} {accuracy}");
    }

    [Fact]
    public void ShapesThatDoNotFitFailAtCompileNamingTheLayer()
    {
        var model = new Sequential(new Conv2D(8, 3) { InputShape = [4, 4, 1] }, new Conv2D(8, 3), new Conv2D(8, 3), new Flatten(), new Dense(2) { Activation = "softmax" });
        var e = Assert.Throws<CortadoException>(() => model.Compile("categorical_crossentropy", new SGD()));
        Assert.Equal("Keras layer 'conv2d_2' (Conv2D): a 3x3 kernel does not fit its 2x2 input", e.Message);

        var flat = new Sequential(new Conv2D(2, 3) { InputShape = [6, 6, 1] }, new Dense(2) { Activation = "softmax" });
        Assert.Contains("Keras layer 'dense_1' (Dense): needs a flat input, got (4, 4, 2); add Flatten() before it", Assert.Throws<CortadoException>(() => flat.Compile("categorical_crossentropy", new SGD())).Message);

        var noSoftmax = new Sequential(new Flatten { InputShape = [2, 2, 1] }, new Dense(2));
        Assert.Contains("end the model with Activation(\"softmax\")", Assert.Throws<CortadoException>(() => noSoftmax.Compile("categorical_crossentropy", new SGD())).Message);

        var badActivation = new Sequential(new Flatten { InputShape = [2, 2, 1] }, new Dense(2) { Activation = "swish" }, new Activation("softmax"));
        badActivation.Compile("categorical_crossentropy", new SGD());
        Assert.Contains("Keras layer 'dense_1': activation 'swish' is not supported", Assert.Throws<CortadoException>(() => badActivation.ToNetParameter(1)).Message);
    }

    [Fact]
    public void WeightsRoundTripInKerasLayout()
    {
        var model = new Sequential(new Conv2D(3, (2, 3)) { InputShape = [4, 5, 2] }, new Flatten(), new Dense(4) { Activation = "softmax" });
        model.Compile("categorical_crossentropy", new SGD());
        var kernel = Enumerable.Range(0, 2 * 3 * 2 * 3).Select(i => (float)i).ToArray();
        model.SetWeights("conv2d_1", kernel, [1, 2, 3]);
        Assert.Equal(kernel, model.GetWeights("conv2d_1")[0]);
        var dense = Enumerable.Range(0, 3 * 3 * 3 * 4).Select(i => i * 0.5f).ToArray();
        model.SetWeights("dense_1", dense, [0, 0, 0, 0]);
        Assert.Equal(dense, model.GetWeights("dense_1")[0]);
    }

    [Fact]
    public void ExportWritesPrototxtsThatStateTheTranslation()
    {
        using var dir = new TempDir();
        var model = SeedModel();
        model.Compile("categorical_crossentropy", new Adadelta(), "accuracy");
        var (netPath, solverPath) = model.Export(dir.Path, 128, 5000);
        string text = File.ReadAllText(netPath);
        Assert.Contains("# Exported by Cortado from the Keras model", text);
        Assert.Contains("stride_h: 2", text);
        Assert.Contains("round_mode: FLOOR", text);
        Assert.Contains("type: \"uniform\"", text);
        var net = new Net(ProtoFiles.ReadNetText(netPath), Phase.Train);
        Assert.Equal(215915, net.LearnableParams.Sum(p => (long)p.Count));
        var solver = ProtoFiles.ReadSolverText(solverPath);
        Assert.Equal(("AdaDelta", 5000), (solver.Type, solver.MaxIter));
        Assert.StartsWith("# Keras optimizer Adadelta(lr=1, rho=0.95, epsilon=1E-07, decay=0)", File.ReadAllText(solverPath));
    }

    [Fact]
    public void CompilingAgainKeepsTheWeightsAsKerasDoes()
    {
        var model = new Sequential(new Dense(4) { InputShape = [3], Activation = "relu" }, new Dense(2) { Activation = "softmax" });
        model.Compile("sparse_categorical_crossentropy", new SGD(0.1), "accuracy");
        var x = new float[] { 1, 0, 2, -1, 3, 0.5f, 0, 1, 1, 2, -2, 0 };
        model.Fit(x, [0, 1, 0, 1], batchSize: 2, epochs: 3);
        var trained = model.GetWeights("dense_1");
        var before = model.Predict(x);
        model.Compile("sparse_categorical_crossentropy", new Adam(), "accuracy");
        Assert.Equal(trained, model.GetWeights("dense_1"));
        Assert.Equal(before, model.Predict(x));
    }
}

public class SeedModelTrainingTests
{
    [Fact]
    public void TheSeedKerasModelTrainsOnItsImageSize()
    {
        // 11 classes of 24 x 15 images: class k has a bright 4 x 3 patch at one of 11 places.
        var random = new Random(3);
        int count = 330;
        var x = new float[count * 24 * 15];
        var y = new int[count];
        for (int n = 0; n < count; n++)
        {
            y[n] = n % 11;
            int top = y[n] % 5 * 4, left = y[n] / 5 * 5;
            for (int i = 0; i < 24 * 15; i++) x[n * 360 + i] = (float)random.NextDouble() * 0.3f;
            for (int r = 0; r < 4; r++) for (int c = 0; c < 3; c++) x[n * 360 + (top + r) * 15 + left + c] = 1f;
        }
        var model = SequentialTests.SeedModel();
        model.Compile("sparse_categorical_crossentropy", new Adadelta(), "accuracy");
        var history = model.Fit(x, y, batchSize: 32, epochs: 4);
        Assert.True(history["loss"][0] > 1.5, $"first epoch loss {history["loss"][0]}");
        Assert.True(history["acc"][^1] > 0.9, $"last epoch accuracy {history["acc"][^1]}");
    }
}
