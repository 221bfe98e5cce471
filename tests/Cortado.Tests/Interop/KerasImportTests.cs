using System.IO.Compression;
using Cortado.Cli;
using Cortado.Keras;
using Cortado.Nets;
using Cortado.Proto;

namespace Cortado.Tests.Interop;

/// <summary>
/// Keras models written as Keras writes them (model JSON in Keras 1, 2 and 3 forms, HDF5 weights
/// in each version's layout, through libhdf5) are imported, and their outputs must equal an
/// independent numpy forward pass with Keras's channel-last semantics.
/// </summary>
[Collection("keras temporary folders")]
public class KerasImportTests
{
    private static TempDir Write(string form) => KerasReference.Write("keras_reference.py", form);

    [Theory]
    [InlineData("keras1")]
    [InlineData("keras2_list")]
    [InlineData("keras2")]
    [InlineData("keras2_saved")]
    [InlineData("keras3")]
    public void ImportedModelGivesKerasOutputs(string form)
    {
        using var dir = Write(form);
        var model = KerasModelJson.Parse(File.ReadAllText(dir.File("model.json")));
        model.LoadWeights(dir.File("weights.h5"));
        var predicted = model.Predict(FloatFile.Read(dir.File("images.f32")), batchSize: 2);
        var expected = FloatFile.Read(dir.File("expected.f32"));
        Assert.Equal(expected.Length, predicted.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - predicted[i]) < 1e-5, $"{form} [{i}]: numpy {expected[i]}, Cortado {predicted[i]}");
    }

    [Fact]
    public void ImportEqualsTheSameModelBuiltWithTheApi()
    {
        using var dir = Write("keras2");
        var imported = KerasModelJson.Parse(File.ReadAllText(dir.File("model.json")));
        imported.LoadWeights(dir.File("weights.h5"));
        var built = new Sequential(
            new Conv2D(3, 3) { InputShape = [6, 5, 2] }, new BatchNormalization(), new Activation("relu"), new MaxPooling2D(2),
            new Flatten(), new Dense(4), new Activation("softmax"));
        foreach (var name in new[] { "conv2d_1", "batch_normalization_1", "dense_1" })
            built.SetWeights(name, imported.GetWeightsForCopy(name));
        var images = FloatFile.Read(dir.File("images.f32"));
        Assert.Equal(imported.Predict(images), built.Predict(images));
    }

    [Fact]
    public void KerasImportVerbWritesACaffeModelThatRunsAlone()
    {
        using var dir = Write("keras2_saved");
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CommandLine.Run(["keras-import", dir.File("model.json"), dir.File("weights.h5"), "--prototxt", dir.File("deploy.prototxt"), "--caffemodel", dir.File("model.caffemodel")], output, error);
        Assert.True(code == 0, error.ToString());
        Assert.Contains("Imported 7 Keras layers", output.ToString());
        // The files alone, through the plain Net: the Keras outputs again.
        var net = new Net(ProtoFiles.ReadNetText(dir.File("deploy.prototxt")), Phase.Test);
        net.CopyTrainedLayersFrom(ProtoFiles.ReadNetBinary(dir.File("model.caffemodel")));
        var images = FloatFile.Read(dir.File("images.f32"));
        var expected = FloatFile.Read(dir.File("expected.f32"));
        var data = net.Blob("data");
        data.Reshape(5, 2, 6, 5);
        for (int n = 0; n < 5; n++)
            for (int i = 0; i < 6; i++)
                for (int j = 0; j < 5; j++)
                    for (int c = 0; c < 2; c++) data.Data[((n * 2 + c) * 6 + i) * 5 + j] = images[((n * 6 + i) * 5 + j) * 2 + c];
        net.Forward();
        var prob = net.Blob("prob").Data.ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - prob[i]) < 1e-5, $"[{i}]: numpy {expected[i]}, Caffe files {prob[i]}");
    }

    [Fact]
    public void UnsupportedLayersAndMismatchedWeightsAreNamed()
    {
        var e = Assert.Throws<Cortado.Errors.CortadoException>(() => KerasModelJson.Parse("""
            {"class_name": "Sequential", "config": {"layers": [{"class_name": "LSTM", "config": {"name": "lstm_1", "batch_input_shape": [null, 5, 3]}}]}}
            """));
        Assert.StartsWith("Keras layer 'lstm_1' (LSTM) is not supported", e.Message);

        using var dir = Write("keras2");
        var model = KerasModelJson.Parse(File.ReadAllText(dir.File("model.json")).Replace("\"units\": 4", "\"units\": 5"));
        var mismatch = Assert.Throws<Cortado.Errors.CortadoException>(() => model.LoadWeights(dir.File("weights.h5")));
        Assert.Contains("Keras layer 'dense_1' (Dense): weight array 0 has shape (6, 4), but the model needs (6, 5)", mismatch.Message);

        var renamed = KerasModelJson.Parse(File.ReadAllText(dir.File("model.json")).Replace("\"dense_1\"", "\"dense_9\""));
        var missing = Assert.Throws<Cortado.Errors.CortadoException>(() => renamed.LoadWeights(dir.File("weights.h5")));
        Assert.Contains("no weights for layer 'dense_9' (Dense)", missing.Message);
    }
}

public class KerasArchiveAndApiTests
{
    [Fact]
    public void Keras3ArchiveImports()
    {
        using var dir = new TempDir();
        PythonRunner.Run(File.ReadAllText(Path.Combine(RepoPaths.Root, "tests/Cortado.Tests/Interop/keras_reference.py")), dir.Path, "keras3");
        using (var zip = System.IO.Compression.ZipFile.Open(dir.File("model.keras"), System.IO.Compression.ZipArchiveMode.Create))
        {
            zip.CreateEntryFromFile(dir.File("model.json"), "config.json");
            zip.CreateEntryFromFile(dir.File("weights.h5"), "model.weights.h5");
        }
        var error = new StringWriter();
        int code = Cortado.Cli.CommandLine.Run(["keras-import", dir.File("model.keras"), "--prototxt", dir.File("deploy.prototxt"), "--caffemodel", dir.File("model.caffemodel")], new StringWriter(), error);
        Assert.True(code == 0, error.ToString());
        var weights = ProtoFiles.ReadNetBinary(dir.File("model.caffemodel"));
        Assert.Equal([3L, 2, 3, 3], weights.Layer.Single(l => l.Name == "conv2d").Blobs[0].Shape.Dim);
    }

    [Fact]
    public void InputLayerAndOneHotTargets()
    {
        var model = new Sequential(new Input(6, 6, 1), new Flatten(), new Dense(2) { Activation = "softmax" });
        Assert.Equal([6, 6, 1], model.InputShape);
        model.Compile("categorical_crossentropy", new SGD(0.5), "accuracy");
        var (x, y) = Cortado.Tests.Keras.SequentialTests.Stripes(64, 2);
        var oneHot = y.Select(label => label == 0 ? new float[] { 1, 0 } : new float[] { 0, 1 }).ToArray();
        var history = model.Fit(x, oneHot, batchSize: 16, epochs: 5);
        Assert.True(history["acc"][^1] > 0.9, $"{history["acc"][^1]}");
    }
}
