using System.IO.Compression;
using Cortado.Errors;
using Cortado.Keras;
using Cortado.Keras.Callbacks;

namespace Cortado.Tests.Interop;

/// <summary>
/// Sequential.Save in Keras 2's .h5 and Keras 3's .keras layouts: h5py reads each file exactly as
/// Keras's loader does (keras_saved_reader.py) and a numpy forward pass on what it read gives
/// Cortado's outputs; Load gives back the same model bit for bit, compiled as saved.
/// </summary>
[Collection("keras temporary folders")]
public class KerasSaveTests
{
    private static (Sequential Model, float[] Images) Trained(int seed = 3)
    {
        var model = new Sequential(
            new Input(8, 7, 2),
            new Rescaling(0.5),
            new Conv2D(3, 3) { Padding = "same", Activation = "relu" },
            new BatchNormalization(),
            new MaxPooling2D(2),
            new Conv2D(4, (2, 2)),
            new LeakyReLU(0.1),
            new Flatten(),
            new Dropout(0.25),
            new Dense(5) { Activation = "softmax" });
        model.Compile("sparse_categorical_crossentropy", new Adam(0.01, Decay: 0.001), "accuracy");
        var random = new Random(seed);
        var x = Enumerable.Range(0, 40 * 8 * 7 * 2).Select(_ => (float)random.NextDouble() * 2).ToArray();
        var y = Enumerable.Range(0, 40).Select(i => i % 5).ToArray();
        model.Fit(x, y, batchSize: 8, epochs: 2);
        return (model, x[..(6 * 8 * 7 * 2)]);
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) < 2e-5, $"{what} [{i}]: Cortado {expected[i]}, numpy {actual[i]}");
    }

    [Fact]
    public void H5IsReadAsKeras2ReadsIt()
    {
        var (model, images) = Trained();
        using var dir = new TempDir();
        model.Save(dir.File("m.h5"));
        var (outputs, read) = KerasSavedReader.Run(dir, dir.File("m.h5"), images);
        AssertClose(model.Predict(images), outputs, "h5");
        Assert.Equal("Sequential", read.GetProperty("model").GetString());
        Assert.Equal(["InputLayer", "Rescaling", "Conv2D", "BatchNormalization", "MaxPooling2D", "Conv2D", "LeakyReLU", "Flatten", "Dropout", "Dense"],
            read.GetProperty("classes").EnumerateArray().Select(c => c.GetString()));
        var conv = read.GetProperty("weights").GetProperty("conv2d_1");
        Assert.Equal("conv2d_1/kernel:0", conv[0][0].GetString());
        Assert.Equal([3, 3, 2, 3], conv[0][1].EnumerateArray().Select(d => d.GetInt32()));
        Assert.Equal("float32", conv[0][2].GetString());
        var norm = read.GetProperty("weights").GetProperty("batch_normalization_1");
        Assert.Equal(["batch_normalization_1/gamma:0", "batch_normalization_1/beta:0", "batch_normalization_1/moving_mean:0", "batch_normalization_1/moving_variance:0"],
            norm.EnumerateArray().Select(w => w[0].GetString()));
        Assert.Equal(0, read.GetProperty("weights").GetProperty("flatten_1").GetArrayLength());
        Assert.Equal("2.15.0", read.GetProperty("version").GetString());
        Assert.Equal("tensorflow", read.GetProperty("backend").GetString());
        Assert.Equal("sparse_categorical_crossentropy", read.GetProperty("loss").GetString());
        var optimizer = read.GetProperty("optimizer");
        Assert.Equal("Adam", optimizer.GetProperty("class_name").GetString());
        Assert.Equal(0.01, optimizer.GetProperty("config").GetProperty("learning_rate").GetDouble(), 12);
        Assert.Equal(0.001, optimizer.GetProperty("config").GetProperty("decay").GetDouble(), 12);
    }

    [Fact]
    public void KerasArchiveIsReadAsKeras3ReadsIt()
    {
        var (model, images) = Trained();
        using var dir = new TempDir();
        model.Save(dir.File("m.keras"));
        var (outputs, read) = KerasSavedReader.Run(dir, dir.File("m.keras"), images);
        AssertClose(model.Predict(images), outputs, "keras");
        Assert.Equal("keras", read.GetProperty("module").GetString());
        Assert.True(read.GetProperty("top_vars").GetBoolean());
        Assert.All(read.GetProperty("stored").EnumerateArray(), c => Assert.Equal(0, c.GetInt32())); // ZIP_STORED, as Keras writes
        Assert.StartsWith("3.", read.GetProperty("version").GetString());
        Assert.Equal(2, read.GetProperty("weights").GetProperty("dense_1").GetArrayLength());
        Assert.Equal(4, read.GetProperty("weights").GetProperty("batch_normalization_1").GetArrayLength());
        var optimizer = read.GetProperty("optimizer");
        Assert.Equal("keras.optimizers", optimizer.GetProperty("module").GetString());
        // Keras 3 has no decay: the time-based decay is its InverseTimeDecay schedule.
        var schedule = optimizer.GetProperty("config").GetProperty("learning_rate");
        Assert.Equal("InverseTimeDecay", schedule.GetProperty("class_name").GetString());
        Assert.Equal(0.001, schedule.GetProperty("config").GetProperty("decay_rate").GetDouble(), 12);
    }

    public static TheoryData<string, string> EveryOtherLayer => new()
    {
        { "images", "m.h5" }, { "images", "m.keras" }, { "merges", "m.h5" }, { "merges", "m.keras" }, { "embedding", "m.h5" }, { "embedding", "m.keras" },
    };

    /// <summary>The layers the tests above leave out, each model saved, read by h5py as Keras reads it, and run in numpy.</summary>
    [Theory]
    [MemberData(nameof(EveryOtherLayer))]
    public void EveryOtherLayerIsReadAsKerasReadsIt(string which, string file)
    {
        var random = new Random(6);
        float[] Values(int count) => Enumerable.Range(0, count).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray();
        KerasModel model;
        float[][] inputs;
        switch (which)
        {
            case "images":
                model = new Sequential(new Input(6, 5, 2), new ZeroPadding2D(((0, 1), (1, 0))), new Cropping2D(((1, 0), (0, 1))), new UpSampling2D(2), new Conv2D(3, 3), new ELU(0.7),
                    new ReLU { MaxValue = 0.5, NegativeSlope = 0.1 }, new SpatialDropout2D(0.3), new AveragePooling2D(2), new GlobalMaxPooling2D(), new Dense(4) { Activation = "softmax" });
                inputs = [Values(3 * 6 * 5 * 2)];
                break;
            case "merges":
                var (a, b) = (new Input(4) { Name = "a" }, new Input(4) { Name = "b" });
                var (left, right) = (new Dense(3) { Name = "left" }.Call(a), new Dense(3) { Name = "right" }.Call(b));
                var merged = new Concatenate { Name = "all" }.Call(new Multiply { Name = "product" }.Call(left, right), new Average { Name = "mean" }.Call(left, right),
                    new Maximum { Name = "larger" }.Call(left, right), new Subtract { Name = "gap" }.Call(left, right));
                model = new Model([a, b], [new Dense(2) { Name = "out", Activation = "softmax" }.Call(merged)], "merges");
                inputs = [Values(5 * 4), Values(5 * 4)];
                break;
            default:
                model = new Sequential(new Embedding(10, 3) { InputShape = [5] }, new Flatten(), new Dense(2) { Activation = "softmax" });
                inputs = [Enumerable.Range(0, 4 * 5).Select(i => (float)(i * 7 % 10)).ToArray()];
                break;
        }
        using var dir = new TempDir();
        model.Save(dir.File(file));
        var expected = model.Predict(inputs)[0];
        AssertClose(expected, KerasSavedReader.Run(dir, dir.File(file), inputs).Outputs, $"{which} {file}");
        Assert.Equal(expected, KerasModel.Load(dir.File(file)).Predict(inputs)[0]);
    }

    [Fact]
    public void ReshapeAndPermuteAreReadAsKerasReadsThem()
    {
        var model = new Sequential(new Input(2, 3, 4), new Permute(2, 1, 3), new Reshape(4, 6), new Permute(2, 1), new Reshape(2, 3, 4), new Flatten(), new Dense(3) { Activation = "softmax" });
        using var dir = new TempDir();
        model.Save(dir.File("r.keras"));
        var random = new Random(2);
        var x = Enumerable.Range(0, 4 * 24).Select(_ => (float)random.NextDouble()).ToArray();
        AssertClose(model.Predict(x), KerasSavedReader.Run(dir, dir.File("r.keras"), x).Outputs, "reshape");
    }

    [Theory]
    [InlineData("t.h5")]
    [InlineData("t.keras")]
    public void TransposedConvolutionAndPReLUAreReadAsKerasReadsThem(string name)
    {
        var model = new Sequential(
            new Input(3, 4, 2),
            new Conv2DTranspose(3, 3) { Strides = (2, 2), Padding = "same" },
            new PReLU { SharedAxes = [1, 2] },
            new Flatten(),
            new Dense(4) { Activation = "softmax" });
        model.Compile("sparse_categorical_crossentropy", new SGD(0.1), "accuracy");
        var random = new Random(8);
        var x = Enumerable.Range(0, 10 * 3 * 4 * 2).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray();
        model.Fit(x, Enumerable.Range(0, 10).Select(i => i % 4).ToArray(), batchSize: 5, epochs: 2);
        model.SetWeights("p_re_lu_1", [0.2f, -0.3f, 0.7f]);
        using var dir = new TempDir();
        model.Save(dir.File(name));
        var (outputs, _) = KerasSavedReader.Run(dir, dir.File(name), x);
        AssertClose(model.Predict(x), outputs, name);
        Assert.Equal(model.Predict(x), Sequential.Load(dir.File(name)).Predict(x));
    }

    [Theory]
    [InlineData("m.h5")]
    [InlineData("m.keras")]
    public void LoadGivesTheSameModelBitForBit(string name)
    {
        var (model, images) = Trained();
        using var dir = new TempDir();
        model.Save(dir.File(name));
        var loaded = Sequential.Load(dir.File(name));
        Assert.Equal(model.Layers.Select(l => (l.Name, l.ClassName)), loaded.Layers.Select(l => (l.Name, l.ClassName)));
        foreach (var layer in model.Layers.Where(l => l is Conv2D or Dense or BatchNormalization))
        {
            var expected = model.GetWeightsForCopy(layer.Name!);
            var actual = loaded.GetWeightsForCopy(layer.Name!);
            for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i]);
        }
        var (before, after) = (model.Predict(images), loaded.Predict(images));
        Assert.True(before.SequenceEqual(after), $"max difference {before.Zip(after, (a, b) => Math.Abs(a - b)).Max()}");
        Assert.Equal(model.Optimizer, loaded.Optimizer);
        Assert.Equal(model.Loss, loaded.Loss);
        Assert.Equal(model.Metrics, loaded.Metrics);
        Assert.Equal(model.ToJson(), loaded.ToJson());
        var uncompiled = Sequential.Load(dir.File(name), compile: false);
        Assert.Null(uncompiled.Loss);
    }

    [Fact]
    public void SaveWeightsWritesBothLayoutsForLoadWeights()
    {
        var (model, images) = Trained();
        using var dir = new TempDir();
        foreach (var name in new[] { "w.weights.h5", "w.h5" })
        {
            model.SaveWeights(dir.File(name));
            var (fresh, _) = Trained(seed: 11);
            Assert.NotEqual(model.Predict(images), fresh.Predict(images));
            fresh.LoadWeights(dir.File(name));
            Assert.Equal(model.Predict(images), fresh.Predict(images));
        }
        var error = Assert.Throws<ModelFileException>(() => Sequential.Load(dir.File("w.h5")));
        Assert.Contains("model_config", error.Message);
    }

    [Fact]
    public void BadFilesAndNamesAreRefusedWithTheFile()
    {
        var (model, _) = Trained();
        using var dir = new TempDir();
        Assert.Contains(".keras", Assert.Throws<CortadoException>(() => model.Save(dir.File("m.pt"))).Message);
        model.Save(dir.File("m.h5"));
        var bytes = File.ReadAllBytes(dir.File("m.h5"));
        File.WriteAllBytes(dir.File("cut.h5"), bytes[..(bytes.Length / 3)]);
        Assert.Contains("cut.h5", Assert.ThrowsAny<CortadoException>(() => Sequential.Load(dir.File("cut.h5"))).Message);
        File.WriteAllBytes(dir.File("bad.keras"), bytes);
        Assert.Contains("bad.keras", Assert.ThrowsAny<CortadoException>(() => Sequential.Load(dir.File("bad.keras"))).Message);
        Assert.Contains("not found", Assert.ThrowsAny<CortadoException>(() => Sequential.Load(dir.File("none.keras"))).Message);
        // A zip with the config but weights for another model names the layer.
        using (var zip = ZipFile.Open(dir.File("other.keras"), ZipArchiveMode.Create))
        using (var writer = new StreamWriter(zip.CreateEntry("config.json").Open()))
            writer.Write(new Sequential(new Dense(3) { InputShape = [4] }, new Activation("softmax")).ToJson(KerasVersion.Keras3));
        var loaded = Sequential.Load(dir.File("other.keras"));
        Assert.Equal(2, loaded.Layers.Count);
    }

    [Fact]
    public void ModelCheckpointSavesTheBestEpochsUnderKerasNames()
    {
        using var dir = new TempDir();
        var model = new Sequential(new Dense(6) { InputShape = [4], Activation = "relu" }, new Dense(3) { Activation = "softmax" });
        model.Compile("sparse_categorical_crossentropy", new SGD(0.5), "accuracy");
        var random = new Random(5);
        var x = Enumerable.Range(0, 60 * 4).Select(_ => (float)random.NextDouble()).ToArray();
        var y = Enumerable.Range(0, 60).Select(i => x[i * 4] > 0.5 ? 1 : i % 3 == 0 ? 2 : 0).ToArray();
        var every = new ModelCheckpoint(Path.Combine(dir.Path, "all.{epoch:02d}-{val_loss:.2f}.keras"), saveBestOnly: false);
        var output = new StringWriter();
        var best = new ModelCheckpoint(Path.Combine(dir.Path, "best.h5"), monitor: "val_acc", saveBestOnly: true) { Output = output };
        var history = model.Fit(x, y, batchSize: 10, epochs: 6, validationSplit: 0.25, callbacks: [every, best]);
        Assert.Equal(6, every.Saved.Count);
        for (int epoch = 0; epoch < 6; epoch++)
            Assert.Equal(Path.Combine(dir.Path, $"all.{epoch + 1:00}-{history["val_loss"][epoch].ToString("F2", System.Globalization.CultureInfo.InvariantCulture)}.keras"), every.Saved[epoch]);
        Assert.All(every.Saved, f => Assert.True(File.Exists(f)));
        // save_best_only: one save per strict improvement of val_acc.
        int improvements = 0;
        double top = double.NegativeInfinity;
        foreach (double acc in history["val_acc"]) if (acc > top) { top = acc; improvements++; }
        Assert.Equal(improvements, best.Saved.Count);
        Assert.Equal(improvements, output.ToString().Split("improved from").Length - 1);
        var last = Sequential.Load(every.Saved[^1]);
        Assert.Equal(model.Predict(x), last.Predict(x));
    }

    [Fact]
    public void CheckpointPathsFormatAsPythonDoes()
    {
        var logs = new Dictionary<string, double> { ["loss"] = 0.123456, ["val_loss"] = 1.0, ["acc"] = 0.5 };
        Assert.Equal("w.07-0.12.h5", ModelCheckpoint.Format("w.{epoch:02d}-{loss:.2f}.h5", 7, logs));
        Assert.Equal("e7-1.0-1.235e-01-  7", ModelCheckpoint.Format("e{epoch}-{val_loss}-{loss:.3e}-{epoch:3d}", 7, logs));
        Assert.Equal("0.5000.keras", ModelCheckpoint.Format("{acc:.4f}.keras", 1, logs));
        Assert.Contains("val_acc", Assert.Throws<CortadoException>(() => ModelCheckpoint.Format("{val_acc:.2f}.h5", 1, logs)).Message);
        Assert.Contains("x", Assert.Throws<CortadoException>(() => ModelCheckpoint.Format("{loss:x}.h5", 1, logs)).Message);
    }
}
