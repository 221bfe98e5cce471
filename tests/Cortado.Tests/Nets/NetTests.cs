using Cortado.Tests.Devices;
using Cortado.Errors;
using Cortado.Logging;
using Cortado.Nets;
using Cortado.Proto;
using Cortado.Tests.Layers;

namespace Cortado.Tests.Nets;

public abstract class NetTests<TDevice> where TDevice : ITestDevice
{
    private static Net Build(string prototxt, Phase phase = Phase.Train, StringWriter? log = null, params string[] stages)
    {
        var param = TextFormat.Parse<NetParameter>(prototxt);
        var state = new NetState { Phase = phase };
        state.Stage.AddRange(stages);
        return new Net(param, state, new NetOptions { Log = new CaffeLog(log), Compute = TDevice.Compute });
    }

    private const string SmallNet = """
        name: "small"
        layer { name: "data" type: "DummyData" top: "data" top: "label"
          dummy_data_param { shape { dim: 4 dim: 2 dim: 5 dim: 5 } shape { dim: 4 }
            data_filler { type: "gaussian" } data_filler { type: "constant" value: 1 } } }
        layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
          convolution_param { num_output: 3 kernel_size: 3 weight_filler { type: "gaussian" std: 0.3 } bias_filler { type: "gaussian" } } }
        layer { name: "relu" type: "ReLU" bottom: "conv" top: "conv" }
        layer { name: "pool" type: "Pooling" bottom: "conv" top: "pool" pooling_param { pool: AVE kernel_size: 2 stride: 1 } }
        layer { name: "ip" type: "InnerProduct" bottom: "pool" top: "ip"
          inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.3 } } }
        layer { name: "ip_b" type: "InnerProduct" bottom: "pool" top: "ip_b"
          inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.3 } } }
        layer { name: "sum" type: "Eltwise" bottom: "ip" bottom: "ip_b" top: "sum" }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "sum" bottom: "label" top: "loss" }
        layer { name: "accuracy" type: "Accuracy" bottom: "sum" bottom: "label" top: "accuracy" include { phase: TEST } }
        """;

    [Fact]
    public void BuildsLogsShapesLikeCaffeAndInsertsSplits()
    {
        var log = new StringWriter();
        var net = Build(SmallNet, log: log);
        string text = log.ToString();
        Assert.Contains("] Top shape: 4 3 3 3 (108)", text);
        Assert.Contains("] Top shape: 4 3 2 2 (48)", text);
        Assert.Contains("    with loss weight 1", text);
        Assert.Matches(@"^I\d{4} \d\d:\d\d:\d\d\.\d{6} \d+ net\.cs\] Creating Layer data", text);
        // pool feeds two layers, sum feeds one in TRAIN (accuracy is TEST only): one split.
        Assert.Contains(net.Layers, l => l.Name == "pool_pool_0_split" && l.Type == "Split");
        Assert.DoesNotContain(net.Layers, l => l.Name.StartsWith("sum_"));
        Assert.Equal(["loss"], net.Outputs.Select(b => b.Name));
        Assert.Equal(6, net.LearnableParams.Count); // weights and bias of conv, ip and ip_b
    }

    [Fact]
    public void TestPhaseKeepsTestLayersAndSplitsTheScores()
    {
        var net = Build(SmallNet, Phase.Test);
        Assert.Contains(net.Layers, l => l.Name == "accuracy");
        Assert.Contains(net.Layers, l => l.Name == "sum_sum_0_split");
        Assert.Equal(["accuracy", "loss"], net.Outputs.Select(b => b.Name).Order());
    }

    [Fact]
    public void WholeNetGradientMatchesFiniteDifferences()
    {
        var net = Build(SmallNet);
        net.Forward(); // fixes the DummyData inputs (constant filler for labels; gaussian refills each pass)
        var data = net.Blob("data");
        var frozen = data.Data.ToArray();
        // Replace the refilling data layer's output after each forward by evaluating from layer 1 on.
        float Loss() { frozen.CopyTo(data.Data); return net.ForwardFromTo(1, net.Layers.Count - 1); }
        net.ClearParamDiffs();
        Loss();
        net.Backward();
        foreach (var param in net.LearnableParams)
        {
            var analytic = param.Diff.ToArray();
            for (int i = 0; i < param.Count; i += 3)
            {
                float original = param.Data[i];
                param.Data[i] = original + 1e-3f; float plus = Loss();
                param.Data[i] = original - 1e-3f; float minus = Loss();
                param.Data[i] = original;
                double numeric = (plus - minus) / 2e-3;
                Assert.True(Math.Abs(numeric - analytic[i]) <= 2e-3 * Math.Max(1, Math.Abs(numeric)), $"{param.Name}[{i}]: analytic {analytic[i]}, numeric {numeric}");
            }
        }
    }

    [Fact]
    public void IncludeExcludeByPhaseStageAndLevel()
    {
        const string net = """
            layer { name: "in" type: "Input" top: "x" input_param { shape { dim: 1 dim: 2 } } }
            layer { name: "train_only" type: "ReLU" bottom: "x" top: "a" include { phase: TRAIN } }
            layer { name: "deploy" type: "ReLU" bottom: "x" top: "b" include { stage: "deploy" } }
            layer { name: "not_deploy" type: "ReLU" bottom: "x" top: "c" exclude { stage: "deploy" } }
            layer { name: "high" type: "ReLU" bottom: "x" top: "d" include { min_level: 2 } }
            """;
        Assert.Equal(["in", "x_in_0_split", "train_only", "not_deploy"], Build(net, Phase.Train).Layers.Select(l => l.Name));
        Assert.Equal(["in", "deploy"], Build(net, Phase.Test, null, "deploy").Layers.Select(l => l.Name));
        var param = TextFormat.Parse<NetParameter>(net);
        var leveled = new Net(param, new NetState { Phase = Phase.Test, Level = 3 }, new NetOptions { Compute = TDevice.Compute });
        Assert.Contains(leveled.Layers, l => l.Name == "high");
    }

    [Fact]
    public void SharedParametersAreOneBlobUpdatedOnce()
    {
        var net = Build("""
            layer { name: "in" type: "Input" top: "a" top: "b" input_param { shape { dim: 2 dim: 3 } } }
            layer { name: "ip1" type: "InnerProduct" bottom: "a" top: "y1" param { name: "w" } param { name: "bias" }
              inner_product_param { num_output: 2 weight_filler { type: "gaussian" } } }
            layer { name: "ip2" type: "InnerProduct" bottom: "b" top: "y2" param { name: "w" } param { name: "bias" }
              inner_product_param { num_output: 2 weight_filler { type: "gaussian" } } }
            """);
        Assert.Equal(4, net.Params.Count);
        Assert.Equal(2, net.LearnableParams.Count);
        net.Layer("ip1").Blobs[0].Data[0] = 42f;
        Assert.Equal(42f, net.Layer("ip2").Blobs[0].Data[0]);
    }

    [Fact]
    public void SharedParameterOfAnotherShapeIsNamed()
    {
        var e = Assert.Throws<LayerException>(() => Build("""
            layer { name: "in" type: "Input" top: "a" input_param { shape { dim: 2 dim: 3 } } }
            layer { name: "ip1" type: "InnerProduct" bottom: "a" top: "y1" param { name: "w" } inner_product_param { num_output: 2 } }
            layer { name: "ip2" type: "InnerProduct" bottom: "a" top: "y2" param { name: "w" } inner_product_param { num_output: 5 } }
            """));
        Assert.Contains("layer 'ip2' (InnerProduct): shares parameter 'w' of shape 2 3 (6) but its own has shape 5 3 (15)", e.Message);
    }

    [Fact]
    public void LrMultZeroAndPropagateDownAndForceBackward()
    {
        const string net = """
            layer { name: "in" type: "Input" top: "x" top: "label" input_param { shape { dim: 2 dim: 4 } shape { dim: 2 } } }
            layer { name: "frozen" type: "InnerProduct" bottom: "x" top: "h" param { lr_mult: 0 } param { lr_mult: 0 } inner_product_param { num_output: 3 } }
            layer { name: "ip" type: "InnerProduct" bottom: "h" top: "y" inner_product_param { num_output: 2 } propagate_down: false }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "y" bottom: "label" top: "loss" }
            """;
        var plain = Build(net);
        int frozen = plain.Layers.ToList().FindIndex(l => l.Name == "frozen");
        int ip = plain.Layers.ToList().FindIndex(l => l.Name == "ip");
        Assert.False(plain.LayerNeedsBackward(frozen));
        Assert.True(plain.LayerNeedsBackward(ip));
        Assert.False(plain.BottomNeedsBackward(ip)[0]);

        var forced = Build("force_backward: true\n" + net);
        Assert.True(forced.LayerNeedsBackward(frozen));
        Assert.True(forced.BottomNeedsBackward(frozen)[0]);
        int loss = forced.Layers.Count - 1;
        Assert.False(forced.BottomNeedsBackward(loss)[1]); // never into the labels
    }

    [Fact]
    public void LossWeightOnAnyTop()
    {
        var net = Build("""
            layer { name: "in" type: "DummyData" top: "x" dummy_data_param { shape { dim: 1 dim: 3 } data_filler { type: "constant" value: 2 } } }
            layer { name: "ip" type: "InnerProduct" bottom: "x" top: "y" loss_weight: 0.5
              inner_product_param { num_output: 1 weight_filler { type: "constant" value: 1 } } }
            """);
        Assert.Equal(3f, net.Forward()); // 0.5 * (2 + 2 + 2)
    }

    [Fact]
    public void UnknownTypeListsTheKnownOnes()
    {
        var e = Assert.Throws<LayerException>(() => Build("layer { name: 'c' type: 'Convolution2D' }"));
        Assert.StartsWith("layer 'c' (Convolution2D): unknown layer type \"Convolution2D\"; known types: ", e.Message);
        Assert.Contains("Convolution, ", e.Message);
        Assert.Contains("SoftmaxWithLoss", e.Message);
    }

    [Fact]
    public void MissingBottomNamesLayerAndBlob()
    {
        var e = Assert.Throws<LayerException>(() => Build("""
            layer { name: "in" type: "Input" top: "data" input_param { shape { dim: 1 dim: 1 dim: 4 dim: 4 } } }
            layer { name: "conv1" type: "Convolution" bottom: "dtaa" top: "conv1" convolution_param { num_output: 1 kernel_size: 3 } }
            """, Phase.Test));
        Assert.Equal("layer 'conv1' (Convolution): bottom 'dtaa' is not produced by any earlier layer in the TEST net", e.Message);
    }

    [Fact]
    public void KernelLargerThanItsInputNamesLayerAndShapes()
    {
        var e = Assert.Throws<LayerException>(() => Build("""
            layer { name: "in" type: "Input" top: "data" input_param { shape { dim: 1 dim: 1 dim: 4 dim: 4 } } }
            layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 1 kernel_size: 5 } }
            """));
        Assert.Equal("layer 'conv1' (Convolution): a 5x5 kernel (dilation 1) does not fit the 4x4 input padded by 0x0", e.Message);
        e = Assert.Throws<LayerException>(() => Build("""
            layer { name: "in" type: "Input" top: "data" input_param { shape { dim: 1 dim: 1 dim: 4 dim: 4 } } }
            layer { name: "pool" type: "Pooling" bottom: "data" top: "p" pooling_param { kernel_size: 5 } }
            """));
        Assert.Contains("layer 'pool' (Pooling): a 5x5 window does not fit the 4x4 input", e.Message);
    }

    [Fact]
    public void AbsurdSizeFailsClearlyInsteadOfRunningOutOfMemory()
    {
        var e = Assert.Throws<LayerException>(() => Build("""
            layer { name: "in" type: "Input" top: "data" input_param { shape { dim: 1 dim: 100000 } } }
            layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" inner_product_param { num_output: 100000 } }
            """));
        Assert.Equal("layer 'fc' (InnerProduct): blob 'fc.weights': shape 100000 x 100000 needs more than 2,147,483,591 values, more than one buffer can hold", e.Message);
    }

    [Fact]
    public void WeightsRoundTripAndMismatchedShapesAreExplained()
    {
        const string lenetish = """
            name: "n"
            layer { name: "in" type: "Input" top: "data" input_param { shape { dim: 1 dim: 1 dim: 12 dim: 12 } } }
            layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" convolution_param { num_output: 4 kernel_size: 3 weight_filler { type: "xavier" } } }
            layer { name: "pool" type: "Pooling" bottom: "conv" top: "pool" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
            layer { name: "fc" type: "InnerProduct" bottom: "pool" top: "fc" inner_product_param { num_output: 3 weight_filler { type: "xavier" } } }
            """;
        var trained = Build(lenetish, Phase.Test);
        LayerTestKit.Filled(3, 1f, 1, 1, 12, 12).Data.CopyTo(trained.Blob("data").Data);
        trained.Forward();
        var expected = trained.Blob("fc").Data.ToArray();

        var proto = trained.ToProto();
        var fresh = Build(lenetish.Replace("xavier", "gaussian"), Phase.Test);
        fresh.CopyTrainedLayersFrom(proto);
        trained.Blob("data").Data.CopyTo(fresh.Blob("data").Data);
        fresh.Forward();
        Assert.Equal(expected, fresh.Blob("fc").Data.ToArray());

        // Pooling stride 1 instead of 2: the Flatten -> InnerProduct size changes (the seed's 6080 vs 1600).
        var stride1 = Build(lenetish.Replace("stride: 2", "stride: 1"), Phase.Test);
        var e = Assert.Throws<LayerException>(() => stride1.CopyTrainedLayersFrom(proto, "w.caffemodel"));
        Assert.Equal("layer 'fc' (InnerProduct): parameter 0 in w.caffemodel has shape 3 100, but the net's has shape 3 324 (972); was the net changed (a different num_output, input size or pooling) since these weights were saved?", e.Message);
    }

    [Fact]
    public void TopProducedTwiceIsAnError()
    {
        var e = Assert.Throws<LayerException>(() => Build("""
            layer { name: "a" type: "Input" top: "x" input_param { shape { dim: 1 } } }
            layer { name: "b" type: "Input" top: "x" input_param { shape { dim: 1 } } }
            """));
        Assert.Contains("top 'x' is already produced by an earlier layer", e.Message);
    }
}

public sealed class NetTestsOnCpu : NetTests<OnCpu>;
public sealed class NetTestsOnEmulatedDevice : NetTests<OnEmulatedDevice>;
public sealed class NetTestsOnEmulatedGpu : NetTests<OnEmulatedGpu>;
