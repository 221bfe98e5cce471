using Cortado.Cli;
using Cortado.Cli.Verbs;
using Cortado.Errors;
using Cortado.Nets;
using Cortado.Proto;
using Cortado.Tests.Solvers;

namespace Cortado.Tests.Cli;

/// <summary>What Caffe's own examples and scripts tripped on: its global flags, its tool names, and errors that say where to look.</summary>
public class CaffeConformanceTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CommandLine.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static string Solver(TempDir dir, string net, string extra = "")
    {
        File.WriteAllText(dir.File("net.prototxt"), net);
        File.WriteAllText(dir.File("solver.prototxt"), $"net: \"{dir.File("net.prototxt")}\" base_lr: 0.01 lr_policy: \"fixed\" max_iter: 1 display: 1 {extra}");
        return dir.File("solver.prototxt");
    }

    [Fact]
    public void TrainAcceptsCaffesFlagsThatDoNotApplyAndSaysSo()
    {
        using var dir = new TempDir();
        var (code, _, error) = Run("train", "-solver=" + Solver(dir, SolverTestNets.Linear), "-iterations=5", "-model", "unused.prototxt");
        Assert.True(code == 0, error);
        Assert.Contains("-iterations has no effect on train; ignored, as Caffe ignores it", error);
        Assert.Contains("-model has no effect on train", error);
        // A verb that is not a caffe command still refuses flags it does not know.
        Assert.NotEqual(0, Run("db-info", "x", "-iterations=5").Code);
    }

    [Fact]
    public void TrainStageAndLevelSetTheTrainNetsState()
    {
        using var dir = new TempDir();
        string net = SolverTestNets.Linear + """
            layer { name: "extra" type: "Power" bottom: "y" top: "z" include { phase: TRAIN stage: "extra" } }
            layer { name: "deep" type: "Power" bottom: "y" top: "w" include { phase: TRAIN min_level: 2 } }
            """;
        string solver = Solver(dir, net);
        var (code, _, error) = Run("train", "--solver", solver, "--stage", "extra", "--level", "2");
        Assert.True(code == 0, error);
        Assert.Contains("Setting up extra", error);
        Assert.Contains("Setting up deep", error);
        (code, _, error) = Run("train", "--solver", solver);
        Assert.True(code == 0, error);
        Assert.DoesNotContain("Setting up extra", error);
        Assert.DoesNotContain("Setting up deep", error);
    }

    [Fact]
    public void ASolverInGpuModeTrainsOnTheGpuOrSaysItTrainsOnTheCpu()
    {
        using var dir = new TempDir();
        var (code, _, error) = Run("train", "--solver", Solver(dir, SolverTestNets.Linear, "solver_mode: GPU"));
        Assert.True(code == 0, error);
        if (Cortado.Gpu.GpuDeviceInfo.CudaDevices().Count > 0) Assert.Contains("Use GPU with device ID 0", error);
        else Assert.Contains("solver_mode is GPU, but the GPU backend is not available: no CUDA device was found; training on the CPU", error);
    }

    [Fact]
    public void TheEmulatedBackendTrainsAndLogsCaffesDeviceLine()
    {
        using var dir = new TempDir();
        var (code, _, error) = Run("train", "--solver", Solver(dir, SolverTestNets.Linear, "solver_mode: GPU"), "--backend", "emulated");
        Assert.True(code == 0, error);
        Assert.Contains("Use GPU with device ID 0 (emulated GPU (ILGPU CPU accelerator))", error);
        Assert.Contains("Optimization Done.", error);
        (code, _, error) = Run("train", "--solver", Solver(dir, SolverTestNets.Linear), "--backend", "tpu");
        Assert.Equal(1, code);
        Assert.Contains("unknown compute backend 'tpu' (from --backend); known: cpu, gpu, emulated", error);
    }

    [Theory]
    [InlineData("convert_imageset", "convert-imageset")]
    [InlineData("convert_mnist_data", "convert-idx")]
    [InlineData("compute_image_mean", "compute-image-mean")]
    [InlineData("upgrade_net_proto_text", "upgrade-net")]
    [InlineData("upgrade_net_proto_binary", "upgrade-net")]
    [InlineData("upgrade_solver_proto_text", "upgrade-solver")]
    [InlineData("extract_features", "extract-features")]
    [InlineData("device_query", "device-query")]
    [InlineData("db_info", "db-info")]
    public void CaffesToolNamesFindTheirVerbs(string caffeName, string verb) => Assert.Equal(verb, VerbRegistry.Find(caffeName).Name);

    [Fact]
    public void TheBackendFlagTakesCaffesTwoDatabases()
    {
        using var dir = new TempDir();
        var (code, _, error) = Run("compute_image_mean", "-backend=rocksdb", dir.File("db"), dir.File("mean.binaryproto"));
        Assert.NotEqual(0, code);
        Assert.Contains("-backend must be lmdb or leveldb", error);
        foreach (var backend in new[] { "lmdb", "leveldb" })
        {
            (code, _, error) = Run("compute_image_mean", $"-backend={backend}", dir.File("db"), dir.File("mean.binaryproto"));
            Assert.NotEqual(0, code);
            Assert.DoesNotContain("backend", error);
            Assert.Contains("not found", error);
        }
    }

    [Fact]
    public void DeviceQueryListsTheCudaDevicesOrSaysThereIsNone()
    {
        bool cuda = Cortado.Gpu.GpuDeviceInfo.CudaDevices().Count > 0;
        var (code, output, _) = Run("device_query");
        Assert.Contains("CPU: ", output);
        Assert.Equal(cuda ? 0 : 1, code);
        Assert.Contains(cuda ? "Compute capability: " : "no CUDA device", output);
        (code, output, _) = Run("device_query", "-gpu", "0");
        Assert.Equal(cuda ? 0 : 1, code);
        Assert.Contains(cuda ? "Device id: 0" : "no CUDA device", output);

        (code, output, _) = Run("device_query", "--backend", "emulated");
        Assert.Equal(0, code);
        Assert.Contains("Device id: 0", output);
        Assert.Contains("Name: emulated GPU", output);
        Assert.Matches(@"Total global memory: [1-9]\d*", output);
        Assert.Contains("Driver: ILGPU CPU accelerator", output);
    }

    [Fact]
    public void ABinaryModelGivenAsTheNetSaysSo()
    {
        using var dir = new TempDir();
        using (var net = new Net(TextFormat.Parse<NetParameter>(SolverTestNets.Linear), Phase.Test))
            ProtoFiles.WriteBinary(dir.File("w.caffemodel"), net.ToProto());
        var (code, _, error) = Run("test", "--model", dir.File("w.caffemodel"), "--weights", dir.File("w.caffemodel"), "--iterations", "1");
        Assert.NotEqual(0, code);
        Assert.Contains("w.caffemodel: is a binary file", error);
        Assert.Contains("give the net's prototxt here and the binary weights as --weights", error);
    }

    [Fact]
    public void ATestNetMissingALayerForWantOfAStageNamesTheStage()
    {
        var param = TextFormat.Parse<NetParameter>("""
            layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 2 } } }
            layer { name: "ip_val" type: "InnerProduct" bottom: "data" top: "ip" include { phase: TEST stage: "test-on-val" } inner_product_param { num_output: 2 } }
            layer { name: "prob" type: "Softmax" bottom: "ip" top: "prob" }
            """);
        var error = Assert.Throws<LayerException>(() => new Net(param, Phase.Test));
        Assert.Contains("bottom 'ip' is not produced", error.Message);
        Assert.Contains("layers 'ip_val' are left out of the TEST net because they need stage 'test-on-val': pass --stage test-on-val", error.Message);
    }

    [Fact]
    public void AMissingMeanFileNamesTheLayerAndTheWorkingDirectory()
    {
        var param = TextFormat.Parse<NetParameter>("""
            layer { name: "mnist" type: "Data" top: "data" top: "label" transform_param { mean_file: "no/such/mean.binaryproto" }
              data_param { source: "no/such_lmdb" batch_size: 2 backend: LMDB } }
            """);
        var error = Assert.Throws<ModelFileException>(() => new Net(param, Phase.Train));
        Assert.Contains("no/such/mean.binaryproto:", error.Message);
        Assert.Contains("the transform_param mean_file of layer 'mnist'", error.Message);
        Assert.Contains($"read from the working directory ({Environment.CurrentDirectory})", error.Message);
    }

    [Fact]
    public void AMissingRelativeSourceSaysWhereItWasLookedFor()
    {
        var param = TextFormat.Parse<NetParameter>("""
            layer { name: "mnist" type: "Data" top: "data" top: "label" data_param { source: "examples/mnist/mnist_train_lmdb" batch_size: 2 backend: LMDB } }
            """);
        var error = Assert.ThrowsAny<CortadoException>(() => new Net(param, Phase.Train));
        Assert.Contains("layer 'mnist'", error.Message);
        Assert.Contains("examples/mnist/mnist_train_lmdb: not found", error.Message);
        Assert.Contains("for Caffe's own examples, the repository root", error.Message);
    }
}
