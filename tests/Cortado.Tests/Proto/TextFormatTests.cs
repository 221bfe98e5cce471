using Cortado.Proto;

namespace Cortado.Tests.Proto;

public class TextFormatTests
{
    [Fact]
    public void ParsesLeNet()
    {
        var net = TextFormat.Parse<NetParameter>(SampleNets.LeNet);
        Assert.Equal("LeNet", net.Name);
        Assert.Equal(["mnist", "conv1", "pool1", "ip1", "relu1", "ip2", "accuracy", "loss"], net.Layer.Select(l => l.Name));
        var data = net.Layer[0];
        Assert.Equal(Phase.Train, data.Include[0].Phase);
        Assert.Equal(0.00390625f, data.TransformParam.Scale);
        Assert.Equal(DataParameter.Types.DB.Lmdb, data.DataParam.Backend);
        var conv = net.Layer[1].ConvolutionParam;
        Assert.Equal(20u, conv.NumOutput);
        Assert.Equal([5u], conv.KernelSize);
        Assert.Equal("xavier", conv.WeightFiller.Type);
        Assert.Equal([1f, 2f], net.Layer[1].Param.Select(p => p.LrMult));
        Assert.False(net.Layer[3].InnerProductParam.BiasFiller.HasValue);
    }

    [Fact]
    public void ParsesCompactCifarQuickStyle()
    {
        var net = TextFormat.Parse<NetParameter>(SampleNets.Cifar10Quick);
        Assert.Equal(10, net.Layer.Count);
        Assert.Equal([2u], net.Layer[1].ConvolutionParam.Pad);
        Assert.Equal(0.0001f, net.Layer[1].ConvolutionParam.WeightFiller.Std);
        Assert.Equal(PoolingParameter.Types.PoolMethod.Ave, net.Layer[6].PoolingParam.Pool);
        Assert.Equal("examples/cifar10/mean.binaryproto", net.Layer[0].TransformParam.MeanFile);
    }

    [Theory]
    [InlineData(nameof(SampleNets.LeNet))]
    [InlineData(nameof(SampleNets.Cifar10Quick))]
    [InlineData(nameof(SampleNets.V1LeNet))]
    public void PrintThenParseGivesTheSameNet(string sample)
    {
        string text = (string)typeof(SampleNets).GetField(sample)!.GetValue(null)!;
        var net = TextFormat.Parse<NetParameter>(text);
        var printed = TextFormat.Print(net);
        Assert.Equal(net, TextFormat.Parse<NetParameter>(printed));
        Assert.Equal(printed, TextFormat.Print(TextFormat.Parse<NetParameter>(printed)));
    }

    [Fact]
    public void PrintsLikeCaffeTools()
    {
        var net = TextFormat.Parse<NetParameter>("""layer { name: "p" type: "Pooling" pooling_param { stride: 2 pool: AVE } include { phase: TEST } } name: "n" """);
        // Field-number order, two-space indent, enums by name, only the fields that were set.
        Assert.Equal("""
            name: "n"
            layer {
              name: "p"
              type: "Pooling"
              include {
                phase: TEST
              }
              pooling_param {
                pool: AVE
                stride: 2
              }
            }

            """.Replace("\r", ""), TextFormat.Print(net));
    }

    [Theory]
    [InlineData("base_lr: 1e-4", 1e-4f)]
    [InlineData("base_lr: .5", 0.5f)]
    [InlineData("base_lr: 5.", 5f)]
    [InlineData("base_lr: -inf", float.NegativeInfinity)]
    [InlineData("base_lr: inf", float.PositiveInfinity)]
    [InlineData("base_lr: 2f", 2f)]
    [InlineData("base_lr: 1.5E+2", 150f)]
    [InlineData("base_lr: 3", 3f)]
    [InlineData("base_lr: -0.25", -0.25f)]
    public void ReadsNumbersInEveryForm(string text, float expected)
    {
        Assert.Equal(expected, TextFormat.Parse<SolverParameter>(text).BaseLr);
    }

    [Fact]
    public void ReadsNanAndPrintsSpecialValuesInCSpelling()
    {
        var solver = TextFormat.Parse<SolverParameter>("base_lr: nan delta: -inf momentum: 1e-08");
        Assert.True(float.IsNaN(solver.BaseLr));
        string printed = TextFormat.Print(solver);
        Assert.Contains("base_lr: nan", printed);
        Assert.Contains("momentum: 1e-08", printed);
        Assert.Contains("delta: -inf", printed);
    }

    [Fact]
    public void ReadsIntegersInHexAndNegative()
    {
        var solver = TextFormat.Parse<SolverParameter>("max_iter: 0x10 random_seed: -7 test_iter: [1, 2, 3]");
        Assert.Equal(16, solver.MaxIter);
        Assert.Equal(-7, solver.RandomSeed);
        Assert.Equal([1, 2, 3], solver.TestIter);
    }

    [Fact]
    public void ReadsStringsWithEscapesQuotesAndConcatenation()
    {
        var net = TextFormat.Parse<NetParameter>("""name: 'it\'s' "_a\tb\n" "\101\x42" """);
        Assert.Equal("it's_a\tb\nAB", net.Name);
        Assert.Equal(net, TextFormat.Parse<NetParameter>(TextFormat.Print(net)));
    }

    [Fact]
    public void ReadsBytesAndWritesThemBack()
    {
        var datum = new Datum { Data = Google.Protobuf.ByteString.CopyFrom(0, 1, 200, 255, 34, 92, 65) };
        var text = TextFormat.Print(datum);
        Assert.Equal(datum, TextFormat.Parse<Datum>(text));
    }

    [Fact]
    public void AcceptsCommentsAngleBracketsColonsBeforeBracesAndSeparators()
    {
        var net = TextFormat.Parse<NetParameter>("""
            # a comment line
            name: "x"  # trailing comment
            layer: < name: "a"; type: "ReLU", >
            layer { name: "b" param: [ { lr_mult: 0 }, { lr_mult: 3 } ] }
            """);
        Assert.Equal(["a", "b"], net.Layer.Select(l => l.Name));
        Assert.Equal([0f, 3f], net.Layer[1].Param.Select(p => p.LrMult));
    }

    [Fact]
    public void ReadsEnumsByNumberAndBoolsInEveryForm()
    {
        var layer = TextFormat.Parse<LayerParameter>("pooling_param { pool: 1 global_pooling: True } propagate_down: t propagate_down: 0");
        Assert.Equal(PoolingParameter.Types.PoolMethod.Ave, layer.PoolingParam.Pool);
        Assert.True(layer.PoolingParam.GlobalPooling);
        Assert.Equal([true, false], layer.PropagateDown);
    }

    [Fact]
    public void ParsesSolverWithEveryLearningRatePolicy()
    {
        foreach (var policy in new[] { "fixed", "step", "exp", "inv", "multistep", "poly", "sigmoid" })
        {
            var solver = TextFormat.Parse<SolverParameter>($$"""
                net: "n.prototxt" base_lr: 0.01 lr_policy: "{{policy}}" gamma: 0.1 power: 0.75 stepsize: 100
                stepvalue: 10 stepvalue: 20 max_iter: 1000 type: "Adam" momentum2: 0.99 regularization_type: "L1"
                clip_gradients: 10 iter_size: 2 snapshot_format: HDF5 test_state { stage: "val" }
                """);
            Assert.Equal(policy, solver.LrPolicy);
            Assert.Equal([10, 20], solver.Stepvalue);
            Assert.Equal(SolverParameter.Types.SnapshotFormat.Hdf5, solver.SnapshotFormat);
            Assert.Equal(solver, TextFormat.Parse<SolverParameter>(TextFormat.Print(solver)));
        }
    }

    [Fact]
    public void ParsesTheSeedSolver()
    {
        var solver = TextFormat.Parse<SolverParameter>(File.ReadAllText(Path.Combine(RepoPaths.Root, "examples/fneishnet_numbers/solver.prototxt")));
        Assert.Equal(3000000, solver.MaxIter);
        Assert.Equal(0.5f, solver.Power);
        Assert.Equal(SolverParameter.Types.SolverMode.Cpu, solver.SolverMode);
        Assert.False(solver.TestInitialization);
    }
}
