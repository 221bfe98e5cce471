using Cortado.Cli;
using Cortado.Errors;
using Cortado.Keras;
using Cortado.Tests.Interop;

namespace Cortado.Tests.Reliability;

/// <summary>Keras files that used to give internal errors, negative counts or scrambled weights with exit 0.</summary>
[Collection("keras temporary folders")]
public class KerasBadInputTests
{
    internal const string DenseModel = """
        {"class_name": "Sequential", "config": {"name": "s", "layers": [
          {"class_name": "Flatten", "config": {"name": "flatten_1", "batch_input_shape": [null, 2, 2, 1]}},
          {"class_name": "Dense", "config": {"name": "dense_1", "units": 3}}]}}
        """;

    [Theory]
    [InlineData("[]", "expected a JSON object")]
    [InlineData("""{"class_name": "Sequential"}""", "has no 'config'")]
    [InlineData("""{"class_name": "Sequential", "config": {"layers": [7]}}""", "layer 0: expected an object with a 'class_name'")]
    [InlineData("""{"class_name": "Sequential", "config": [{"class_name": "Dense", "config": {"name": "d", "units": 3.5, "batch_input_shape": [null, 4]}}]}""", "'units' must be a whole number, got 3.5")]
    [InlineData("""{"class_name": "Sequential", "config": [{"class_name": "Dense", "config": {"name": "d", "units": -206589, "batch_input_shape": [null, 4]}}]}""", "'units' must be at least 1")]
    [InlineData("""{"class_name": "Sequential", "config": [{"class_name": "Conv2D", "config": {"name": "c", "filters": 2, "kernel_size": [0, 0], "batch_input_shape": [null, 4, 4, 1]}}]}""", "'kernel_size' must be at least 1")]
    [InlineData("""{"class_name": "Sequential", "config": [{"class_name": "MaxPooling2D", "config": {"name": "p", "strides": [0, 0], "batch_input_shape": [null, 4, 4, 1]}}]}""", "'strides' must be at least 1")]
    [InlineData("""{"class_name": "Sequential", "config": [{"class_name": "Dropout", "config": {"name": "x", "p": 1.5, "batch_input_shape": [null, 4]}}]}""", "dropout rate must be in [0, 1)")]
    [InlineData("""{"class_name": "Sequential", "config": [{"class_name": "Dense", "config": {"name": "d", "units": 3, "kernel_initializer": {"config": {}}, "batch_input_shape": [null, 4]}}]}""", "'kernel_initializer' must be a name or an object")]
    public void MalformedModelJsonIsAnErrorNamingTheLayer(string json, string expected)
    {
        var error = Assert.ThrowsAny<CortadoException>(() => KerasModelJson.Parse(json, "m.json").ParamCount());
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void AWholeNumberWrittenAsAFloatIsAccepted()
    {
        var model = KerasModelJson.Parse(DenseModel.Replace("\"units\": 3", "\"units\": 3.0"));
        Assert.Equal(4 * 3 + 3, model.ParamCount());
    }

    [Fact]
    public void Conv2DAfterFlattenNamesTheLayer()
    {
        var json = """
            {"class_name": "Sequential", "config": [
              {"class_name": "Flatten", "config": {"name": "f", "batch_input_shape": [null, 4, 4, 1]}},
              {"class_name": "Conv2D", "config": {"name": "c", "filters": 2, "kernel_size": 3}}]}
            """;
        var error = Assert.ThrowsAny<CortadoException>(() => KerasModelJson.Parse(json).ParamCount());
        Assert.Contains("Keras layer 'c' (Conv2D) needs an image input", error.Message);
    }

    [Fact]
    public void AnEluModelImportsToANetCortadoAccepts()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("m.json"), DenseModel.Replace("\"units\": 3}", "\"units\": 3, \"activation\": \"elu\"}"));
        var error = new StringWriter();
        int code = CommandLine.Run(["keras-import", dir.File("m.json"), "--prototxt", dir.File("deploy.prototxt")], new StringWriter(), error);
        Assert.True(code == 0, error.ToString());
        using var net = new Cortado.Nets.Net(Cortado.Proto.ProtoFiles.ReadNetText(dir.File("deploy.prototxt")), Cortado.Proto.Phase.Test);
    }

    /// <summary>Keras 2's save_weights layout for <see cref="DenseModel"/>, with the kernel as the script makes it.</summary>
    internal static string Weights(TempDir dir, string kernel)
    {
        PythonRunner.Run($$"""
            import sys, h5py, numpy as np
            with h5py.File(sys.argv[1], "w") as f:
                f.attrs["layer_names"] = [b"flatten_1", b"dense_1"]
                f.create_group("flatten_1").attrs["weight_names"] = np.array([], dtype=np.float64)
                g = f.create_group("dense_1")
                g.attrs["weight_names"] = [b"dense_1/kernel:0", b"dense_1/bias:0"]
                g["dense_1/kernel:0"] = {{kernel}}
                g["dense_1/bias:0"] = np.zeros(3, np.float32)
            """, dir.File("w.h5"));
        return dir.File("w.h5");
    }

    [Fact]
    public void RightWeightsLoadWithAnEmptyWeightNamesListBesideThem()
    {
        using var dir = new TempDir();
        var model = KerasModelJson.Parse(DenseModel);
        model.LoadWeights(Weights(dir, "np.arange(12, dtype=np.float32).reshape(4, 3)"));
        Assert.Equal(Enumerable.Range(0, 12).Select(i => (float)i), model.GetWeightsForCopy("dense_1")[0].Order());
    }

    [Fact]
    public void ATransposedKernelOfTheRightSizeIsRefused()
    {
        using var dir = new TempDir();
        var model = KerasModelJson.Parse(DenseModel);
        var error = Assert.ThrowsAny<CortadoException>(() => model.LoadWeights(Weights(dir, "np.zeros((3, 4), np.float32)")));
        Assert.Contains("weight array 0 has shape (3, 4), but the model needs (4, 3); it is stored transposed", error.Message);
    }

    [Fact]
    public void AWeightsFileCutShortIsRefusedBeforePureHdfReadsIt()
    {
        // Found by the fuzzer: with 4 bytes gone from the middle, PureHDF looped and allocated without end.
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(Weights(dir, "np.zeros((4, 3), np.float32)")).ToList();
        bytes.RemoveRange(bytes.Count / 2, 4);
        File.WriteAllBytes(dir.File("cut.h5"), [.. bytes]);
        var error = Assert.ThrowsAny<CortadoException>(() => KerasModelJson.Parse(DenseModel).LoadWeights(dir.File("cut.h5")));
        Assert.Contains("is truncated or damaged: its HDF5 superblock says the file ends at byte", error.Message);
    }

    [Fact]
    public void IntegerWeightsAreNotReinterpretedAsFloats()
    {
        using var dir = new TempDir();
        var model = KerasModelJson.Parse(DenseModel);
        var error = Assert.ThrowsAny<CortadoException>(() => model.LoadWeights(Weights(dir, "np.ones((4, 3), np.int32)")));
        Assert.Contains("dense_1/dense_1/kernel:0 is stored as FixedPoint data", error.Message);
    }

    [Fact]
    public void DoubleWeightsAreConvertedNotReinterpreted()
    {
        using var dir = new TempDir();
        var model = KerasModelJson.Parse(DenseModel);
        model.LoadWeights(Weights(dir, "np.full((4, 3), 0.25, np.float64)"));
        Assert.All(model.GetWeightsForCopy("dense_1")[0], v => Assert.Equal(0.25f, v));
    }

    [Theory]
    [InlineData("no_config")]
    [InlineData("zip_slip")]
    public void ABadKerasArchiveLeavesNoTemporaryFolder(string kind)
    {
        using var dir = new TempDir();
        string archive = dir.File("model.keras");
        using (var zip = System.IO.Compression.ZipFile.Open(archive, System.IO.Compression.ZipArchiveMode.Create))
        {
            var entry = zip.CreateEntry(kind == "zip_slip" ? "../../escaped.txt" : "metadata.json");
            using var writer = new StreamWriter(entry.Open());
            writer.Write("{}");
        }
        var before = Directory.GetDirectories(Path.GetTempPath(), "cortado-keras-*").ToHashSet();
        Assert.ThrowsAny<CortadoException>(() => KerasArchive.Open(archive).Dispose());
        var after = Directory.GetDirectories(Path.GetTempPath(), "cortado-keras-*");
        Assert.DoesNotContain(after, d => !before.Contains(d));
    }
}
