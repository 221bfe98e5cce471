using System.Text.RegularExpressions;
using Cortado.Compute;
using Cortado.Data;
using Cortado.Layers;
using Cortado.Proto;
using Cortado.Solvers;
using Cortado.Tensors;
using static Cortado.Tests.Layers.LayerTestKit;

namespace Cortado.Tests.Devices;

/// <summary>
/// The contract a backend's memory must meet, checked on the emulated device: once a net's
/// values are on the device, training moves nothing but the input batch in and the logged
/// outputs out; every layer that is not host by nature computes without a copy; and no layer
/// or solver file reaches past the seam into host memory or a CPU kernel. The GPU backend (on
/// ILGPU's CPU accelerator) is held to the same counts.
/// </summary>
public class MemoryContractTests
{
    public static TheoryData<string> CountingDevices => ["emulated device", "emulated GPU"];

    // The tests of one class run one at a time, so this GPU's counts are theirs alone.
    private static readonly Lazy<Cortado.Gpu.GpuCompute> Gpu = new(Cortado.Gpu.GpuCompute.Emulated);

    private static ICompute Device(string name) => name == "emulated GPU" ? Gpu.Value : new EmulatedDevice();

    [Theory]
    [MemberData(nameof(CountingDevices))]
    public void ATrainingIterationOfTheSeedNetCopiesOnlyTheBatchInAndTheLossOut(string deviceName)
    {
        using var dir = new TempDir();
        var (train, validation) = NumbersDataset.Write(dir.Path, trainPerClass: 30, validationPerClass: 5);
        string net = File.ReadAllText(Path.Combine(RepoPaths.Root, "examples/fneishnet_numbers/train_val.prototxt"))
            .Replace("examples/fneishnet_numbers/fneishnet_numbers_train_lmdb", train)
            .Replace("examples/fneishnet_numbers/fneishnet_numbers_val_lmdb", validation);
        File.WriteAllText(dir.File("train_val.prototxt"), net);
        var param = TextFormat.Parse<SolverParameter>(File.ReadAllText(Path.Combine(RepoPaths.Root, "examples/fneishnet_numbers/solver.prototxt"))
            .Replace("examples/fneishnet_numbers/train_val.prototxt", dir.File("train_val.prototxt"))
            .Replace("display: 40", "display: 1")
            .Replace("snapshot_prefix: \"examples/fneishnet_numbers/fneishnet_numbers\"", $"snapshot_prefix: \"{dir.File("seed")}\"") + "random_seed: 2\n");
        var device = Device(deviceName);
        var counter = ((ICopyCounting)device).Copies;
        var moved = new List<(bool ToDevice, int Length)>();
        void Record(bool toDevice, int length) => moved.Add((toDevice, length));
        using var solver = SolverFactory.Create(param, new SolverOptions { Compute = device });

        solver.Step(2); // the first iterations move the filled weights and the loss weight in
        counter.Copied += Record;
        try { solver.Step(1); }
        finally { counter.Copied -= Record; }

        int batch = 128, image = 1 * 24 * 15;
        Assert.Equal([(true, batch * image), (true, batch), (false, 1)], moved.OrderBy(m => !m.ToDevice).ThenByDescending(m => m.Length).ToArray());
    }

    /// <summary>One working configuration of every layer type that computes on the backend: prototxt, bottom shapes, top count, bottoms to propagate to.</summary>
    private static readonly Dictionary<string, (string Prototxt, Func<Blob[]> Bottoms, int Tops, bool[] Propagate)> Configurations = new()
    {
        ["AbsVal"] = ("type: 'AbsVal'", () => [AwayFromZero(1, 0.1f, 2, 3, 4)], 1, [true]),
        ["BNLL"] = ("type: 'BNLL'", () => [Filled(1, 1f, 2, 3, 4)], 1, [true]),
        ["BatchNorm"] = ("type: 'BatchNorm'", () => [Filled(1, 1f, 2, 3, 4, 5)], 1, [true]),
        ["Bias"] = ("type: 'Bias'", () => [Filled(1, 1f, 2, 3, 4, 5)], 1, [true]),
        ["Concat"] = ("type: 'Concat'", () => [Filled(1, 1f, 2, 3, 4), Filled(2, 1f, 2, 2, 4)], 1, [true, true]),
        ["Convolution"] = ("type: 'Convolution' convolution_param { num_output: 4 kernel_size: 3 group: 2 }", () => [Filled(1, 1f, 2, 4, 6, 5)], 1, [true]),
        ["Crop"] = ("type: 'Crop' crop_param { axis: 2 offset: 1 }", () => [Filled(1, 1f, 2, 3, 6, 6), Filled(2, 1f, 2, 3, 4, 4)], 1, [true, false]),
        ["Deconvolution"] = ("type: 'Deconvolution' convolution_param { num_output: 3 kernel_size: 3 stride: 2 }", () => [Filled(1, 1f, 2, 2, 4, 3)], 1, [true]),
        ["Dropout"] = ("type: 'Dropout'", () => [Filled(1, 1f, 2, 3, 4)], 1, [true]),
        ["SpatialDropout"] = ("type: 'SpatialDropout'", () => [Filled(1, 1f, 2, 3, 4)], 1, [true]),
        ["ELU"] = ("type: 'ELU'", () => [Filled(1, 1f, 2, 3, 4)], 1, [true]),
        ["Eltwise"] = ("type: 'Eltwise' eltwise_param { operation: MAX }", () => [Filled(1, 1f, 2, 3), Filled(2, 1f, 2, 3), Filled(3, 1f, 2, 3)], 1, [true, true, true]),
        ["Embed"] = ("type: 'Embed' embed_param { input_dim: 5 num_output: 3 }", () => [Labels(5, 1, 6)], 1, [false]),
        ["EuclideanLoss"] = ("type: 'EuclideanLoss'", () => [Filled(1, 1f, 4, 5), Filled(2, 1f, 4, 5)], 1, [true, true]),
        ["Exp"] = ("type: 'Exp'", () => [Filled(1, 1f, 2, 3, 4)], 1, [true]),
        ["Flatten"] = ("type: 'Flatten'", () => [Filled(1, 1f, 2, 3, 4)], 1, [true]),
        ["HingeLoss"] = ("type: 'HingeLoss'", () => [Filled(1, 1f, 4, 5), Labels(5, 2, 4)], 1, [true, false]),
        ["InnerProduct"] = ("type: 'InnerProduct' inner_product_param { num_output: 3 }", () => [Filled(1, 1f, 2, 3, 4)], 1, [true]),
        ["LRN"] = ("type: 'LRN' lrn_param { local_size: 3 }", () => [Filled(1, 1f, 2, 4, 3, 3)], 1, [true]),
        ["Log"] = ("type: 'Log' log_param { shift: 5 }", () => [Filled(1, 1f, 2, 3, 4)], 1, [true]),
        ["PReLU"] = ("type: 'PReLU'", () => [AwayFromZero(1, 0.1f, 2, 3, 4)], 1, [true]),
        ["Pooling"] = ("type: 'Pooling' pooling_param { pool: MAX kernel_size: 2 stride: 1 }", () => [Filled(1, 1f, 2, 3, 5, 4)], 2, [true]),
        ["Power"] = ("type: 'Power' power_param { power: 2 shift: 3 }", () => [Filled(1, 1f, 2, 3, 4)], 1, [true]),
        ["ReLU"] = ("type: 'ReLU'", () => [AwayFromZero(1, 0.1f, 2, 3, 4)], 1, [true]),
        ["Reshape"] = ("type: 'Reshape' reshape_param { shape { dim: 0 dim: -1 } }", () => [Filled(1, 1f, 2, 3, 4)], 1, [true]),
        ["Scale"] = ("type: 'Scale' scale_param { bias_term: true }", () => [Filled(1, 1f, 2, 3, 4, 5)], 1, [true]),
        ["Sigmoid"] = ("type: 'Sigmoid'", () => [Filled(1, 1f, 2, 3, 4)], 1, [true]),
        ["SigmoidCrossEntropyLoss"] = ("type: 'SigmoidCrossEntropyLoss'", () => [Filled(1, 1f, 4, 5), Labels(2, 2, 4, 5)], 1, [true, false]),
        ["Silence"] = ("type: 'Silence'", () => [Filled(1, 1f, 2, 3)], 0, [true]),
        ["Slice"] = ("type: 'Slice' slice_param { axis: 1 }", () => [Filled(1, 1f, 2, 4, 3)], 2, [true]),
        ["Softmax"] = ("type: 'Softmax'", () => [Filled(1, 1f, 2, 3, 4)], 1, [true]),
        ["SoftmaxWithLoss"] = ("type: 'SoftmaxWithLoss'", () => [Filled(1, 1f, 4, 5), Labels(5, 2, 4)], 1, [true, false]),
        ["Split"] = ("type: 'Split'", () => [Filled(1, 1f, 2, 3)], 2, [true]),
        ["TanH"] = ("type: 'TanH'", () => [Filled(1, 1f, 2, 3, 4)], 1, [true]),
        ["Threshold"] = ("type: 'Threshold'", () => [Filled(1, 1f, 2, 3, 4)], 1, [false]),
        ["BatchReindex"] = ("type: 'BatchReindex'", () => [Filled(1, 1f, 4, 3), Labels(4, 2, 6)], 1, [true, false]),
        ["Clip"] = ("type: 'Clip' clip_param { min: -0.5 max: 0.5 }", () => [Filled(1, 1f, 2, 3, 4)], 1, [true]),
        ["ContrastiveLoss"] = ("type: 'ContrastiveLoss'", () => [Filled(1, 1f, 4, 5), Filled(2, 1f, 4, 5), Labels(2, 3, 4)], 1, [true, true, false]),
        ["LSTM"] = ("type: 'LSTM' recurrent_param { num_output: 3 weight_filler { type: 'gaussian' std: 0.3 } }", () => [Filled(1, 1f, 3, 2, 4), Labels(2, 2, 3, 2), Filled(3, 1f, 2, 2)], 1, [true, false, true]),
        ["LSTMUnit"] = ("type: 'LSTMUnit'", () => [Filled(1, 1f, 1, 2, 3), Filled(2, 1f, 1, 2, 12), Labels(2, 3, 1, 2)], 2, [true, true, false]),
        ["RNN"] = ("type: 'RNN' recurrent_param { num_output: 3 weight_filler { type: 'gaussian' std: 0.3 } expose_hidden: true }", () => [Filled(1, 1f, 3, 2, 4), Labels(2, 2, 3, 2), Filled(3, 1f, 1, 2, 3)], 2, [true, false, false]),
        ["Im2col"] = ("type: 'Im2col' convolution_param { kernel_size: 2 pad: 1 }", () => [Filled(1, 1f, 2, 3, 4, 4)], 1, [true]),
        ["MVN"] = ("type: 'MVN'", () => [Filled(1, 1f, 2, 3, 4, 5)], 1, [true]),
        ["MultinomialLogisticLoss"] = ("type: 'MultinomialLogisticLoss'", () => [Filled(1, 1f, 4, 5), Labels(5, 2, 4)], 1, [true, false]),
        ["Parameter"] = ("type: 'Parameter' parameter_param { shape { dim: 2 dim: 3 } }", () => [], 1, []),
        ["Reduction"] = ("type: 'Reduction' reduction_param { operation: ASUM axis: 1 }", () => [Filled(1, 1f, 2, 3, 4)], 1, [true]),
        ["Swish"] = ("type: 'Swish'", () => [Filled(1, 1f, 2, 3, 4)], 1, [true]),
        ["InfogainLoss"] = ("type: 'InfogainLoss'", () => [Filled(1, 1f, 4, 5), Labels(5, 2, 4), Filled(3, 1f, 5, 5)], 1, [true, false, false]),
        ["SPP"] = ("type: 'SPP' spp_param { pyramid_height: 3 }", () => [Filled(1, 1f, 2, 3, 9, 7)], 1, [true]),
        ["Tile"] = ("type: 'Tile' tile_param { axis: 1 tiles: 3 }", () => [Filled(1, 1f, 2, 3, 4)], 1, [true]),
        ["Permute"] = ("type: 'Permute' permute_param { order: 0 order: 2 order: 3 order: 1 }", () => [Filled(1, 1f, 2, 3, 4, 2)], 1, [true]),
    };

    [Fact]
    public void EveryLayerThatIsNotHostByNatureHasAConfigurationHere()
    {
        // "Python" creates the user's C# class that python_param names; the examples' layers are users' own.
        var onDevice = LayerRegistry.Types.Where(type => type != "Python" && typeof(Layer).Assembly == Create($"type: '{type}'").GetType().Assembly && !Create($"type: '{type}'").RunsOnHost)
            .Order().ToArray();
        Assert.Equal(onDevice, Configurations.Keys.Order().ToArray());
    }

    public static TheoryData<string, string> DeviceLayers
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var device in CountingDevices)
                foreach (var type in Configurations.Keys.Order()) data.Add(type, device);
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(DeviceLayers))]
    public void ALayerOnTheDeviceComputesWithoutCopies(string type, string deviceName)
    {
        var (prototxt, makeBottoms, topCount, propagate) = Configurations[type];
        var device = Device(deviceName);
        var counter = ((ICopyCounting)device).Copies;
        var layer = Create(prototxt, device);
        var bottom = makeBottoms();
        var top = Tops(topCount);
        layer.SetUp(bottom, top);
        layer.Forward(bottom, top);
        for (int t = 0; t < top.Count; t++)
            if (layer.LossWeight(t) == 0f) Cortado.Tests.Compute.Reference.Random(top[t].Count, 7 + t).CopyTo(top[t].Diff);
        layer.Backward(top, propagate, bottom);

        counter.Reset();
        layer.Forward(bottom, top);
        layer.Backward(top, propagate, bottom);
        Assert.True(counter.ToDevice + counter.ToHost == 0,
            $"{type} on the {deviceName}: a forward and backward pass on values already on the device made {counter.ToDevice} copies in and {counter.ToHost} out");
    }

    // A layer or solver file that computes through the backend names none of these (a solverstate's resume.Data is a proto field, not a blob).
    private static readonly Regex HostAccess = new(@"(?<!resume)\.(Data|Diff|HostData|HostDiff)\b|\b(Blas|Elementwise|Im2Col|Rectifier|BernoulliHash|OperatorDriver|Lrn)\.|TensorPrimitives|Gemm\.Compute|\bPooling\.(Max|Average)|\bSoftmax\.(Forward|Backward|Loss)|new float\[");

    [Fact]
    public void NoLayerOrSolverFileReachesPastTheSeam()
    {
        string src = Path.Combine(RepoPaths.Root, "src/Cortado");
        var offenders = new List<string>();
        foreach (string file in Directory.GetFiles(Path.Combine(src, "Layers"), "*Layer.cs").Concat(Directory.GetFiles(Path.Combine(src, "Solvers"), "*Solver.cs")))
        {
            string text = File.ReadAllText(file);
            if (text.Contains("RunsOnHost => true")) continue;
            var lines = text.Split('\n');
            for (int i = 0; i < lines.Length; i++)
            {
                string line = lines[i];
                if (line.TrimStart().StartsWith("//")) continue;
                // The solver logs its outputs, read once per display: the "out" of the copy contract.
                if (Path.GetFileName(file) == "Solver.cs" && line.Contains(".HostData") && line.Contains("Outputs")) continue;
                if (HostAccess.IsMatch(line)) offenders.Add($"{Path.GetFileName(file)}:{i + 1}: {line.Trim()}");
            }
        }
        Assert.True(offenders.Count == 0, "host memory or CPU kernels used past the seam:\n" + string.Join("\n", offenders));
    }
}
