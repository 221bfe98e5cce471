using Cortado.Cli;
using Cortado.Keras;
using Cortado.Nets;
using Cortado.Proto;

namespace Cortado.Tests.Interop;

/// <summary>
/// A functional Keras model with two inputs, a residual Add and a Concatenate, written as Keras 2
/// and Keras 3 write it (keras_functional_reference.py, through h5py): imported, its outputs equal
/// an independent numpy forward pass, alone and through the Caffe files keras-import writes.
/// </summary>
[Collection("keras temporary folders")]
public class KerasFunctionalImportTests
{
    private static TempDir Write(string form) => KerasReference.Write("keras_functional_reference.py", form);

    [Theory]
    [InlineData("keras2")]
    [InlineData("keras3")]
    public void TwoInputsAndAResidualAddMatchNumpy(string form)
    {
        using var dir = Write(form);
        var model = (Model)KerasModelJson.ParseModel(File.ReadAllText(dir.File("model.json")), "model.json");
        Assert.Equal(["image", "vector"], model.Inputs.Select(t => t.Input!.Name));
        Assert.Equal(["conv_a", "conv_b", "add", "relu", "flatten", "dense_a", "dense_b", "concat", "out"], model.Layers.Select(l => l.Name));
        model.LoadWeights(dir.File("weights.h5"));
        model.Compile("sparse_categorical_crossentropy", new SGD());
        var predicted = model.Predict([FloatFile.Read(dir.File("images.f32")), FloatFile.Read(dir.File("flat.f32"))], batchSize: 3)[0];
        var expected = FloatFile.Read(dir.File("expected.f32"));
        Assert.Equal(expected.Length, predicted.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - predicted[i]) < 1e-5, $"{form} [{i}]: numpy {expected[i]}, Cortado {predicted[i]}");
        var summary = new StringWriter();
        model.Summary(summary);
        Assert.Contains("conv_b[0][0], conv_a[0][0]", summary.ToString());
        Assert.Contains("Total params: 548", summary.ToString()); // conv 57 + 84, dense 364 + 16 + 27
    }

    [Fact]
    public void KerasImportWritesTheFunctionalModelAsACaffeNet()
    {
        using var dir = Write("keras2");
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CommandLine.Run(["keras-import", dir.File("model.json"), dir.File("weights.h5"), "--prototxt", dir.File("deploy.prototxt"), "--caffemodel", dir.File("model.caffemodel")], output, error);
        Assert.True(code == 0, error.ToString());
        var net = new Net(ProtoFiles.ReadNetText(dir.File("deploy.prototxt")), Phase.Test);
        net.CopyTrainedLayersFrom(ProtoFiles.ReadNetBinary(dir.File("model.caffemodel")));
        var images = FloatFile.Read(dir.File("images.f32"));
        var image = net.Blob("image");
        image.Reshape(4, 2, 6, 5);
        for (int n = 0; n < 4; n++)
            for (int i = 0; i < 6; i++)
                for (int j = 0; j < 5; j++)
                    for (int c = 0; c < 2; c++) image.Data[((n * 2 + c) * 6 + i) * 5 + j] = images[((n * 6 + i) * 5 + j) * 2 + c];
        var vector = net.Blob("vector");
        vector.Reshape(4, 3);
        FloatFile.Read(dir.File("flat.f32")).CopyTo(vector.Data);
        net.Forward();
        var expected = FloatFile.Read(dir.File("expected.f32"));
        var prob = net.Blob("prob").Data.ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - prob[i]) < 1e-5, $"[{i}]: numpy {expected[i]}, Caffe files {prob[i]}");
    }

    [Theory]
    [InlineData("m.h5")]
    [InlineData("m.keras")]
    public void SavedFunctionalModelsLoadBitForBitAndReadAsKerasReadsThem(string file)
    {
        using var dir = Write(file.EndsWith(".h5") ? "keras2" : "keras3");
        var model = (Model)KerasModelJson.ParseModel(File.ReadAllText(dir.File("model.json")), "model.json");
        model.LoadWeights(dir.File("weights.h5"));
        model.Compile("sparse_categorical_crossentropy", new Adam(0.001), "accuracy");
        float[][] inputs = [FloatFile.Read(dir.File("images.f32")), FloatFile.Read(dir.File("flat.f32"))];
        model.Save(dir.File(file));
        var loaded = (Model)KerasModel.Load(dir.File(file));
        Assert.Equal(model.Predict(inputs)[0], loaded.Predict(inputs)[0]);
        Assert.Equal(model.ToJson(), loaded.ToJson());
        Assert.Equal(model.Optimizer, loaded.Optimizer);
        var (numpy, read) = KerasSavedReader.Run(dir, dir.File(file), inputs);
        Assert.Equal("Functional", read.GetProperty("model").GetString());
        var expected = FloatFile.Read(dir.File("expected.f32"));
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - numpy[i]) < 1e-5, $"{file} [{i}]: numpy from the reference {expected[i]}, numpy from the saved file {numpy[i]}");
        Assert.Throws<Cortado.Errors.ModelFileException>(() => Sequential.Load(dir.File(file)));
    }

    [Fact]
    public void ASharedLayerSavesOnceAndItsCallsComeBack()
    {
        using var dir = new TempDir();
        var a = new Input(4) { Name = "left" };
        var b = new Input(4) { Name = "right" };
        var shared = new Dense(3) { Name = "shared", Activation = "relu" };
        var output = new Dense(2) { Name = "decision", Activation = "softmax" }.Call(new Concatenate { Name = "pair" }.Call(shared.Call(a), shared.Call(b)));
        var model = new Model([a, b], [output], "siamese");
        var random = new Random(4);
        float[][] inputs = [Enumerable.Range(0, 20).Select(_ => (float)random.NextDouble()).ToArray(), Enumerable.Range(0, 20).Select(_ => (float)random.NextDouble()).ToArray()];
        foreach (var file in new[] { "s.h5", "s.keras" })
        {
            model.Save(dir.File(file));
            var loaded = (Model)KerasModel.Load(dir.File(file));
            Assert.Equal(2, loaded.Layers.Single(l => l.Name == "shared").Nodes.Count);
            Assert.Equal(model.Predict(inputs)[0], loaded.Predict(inputs)[0]);
            Assert.Equal(model.ParamCount(), loaded.ParamCount());
            var (numpy, _) = KerasSavedReader.Run(dir, dir.File(file), inputs);
            var expected = model.Predict(inputs)[0];
            for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - numpy[i]) < 1e-5, $"{file} [{i}]: Cortado {expected[i]}, numpy {numpy[i]}");
        }
    }
}
