using Cortado.Errors;
using Cortado.Proto;

namespace Cortado.Tests.Proto;

public class UpgradeTests
{
    [Fact]
    public void V1LayersBecomeCurrentLayers()
    {
        var net = TextFormat.Parse<NetParameter>(SampleNets.V1LeNet);
        Assert.True(NetUpgrader.Upgrade(net));
        Assert.Empty(net.Layers);
        Assert.Equal(["Data", "Convolution", "ReLU", "Pooling", "InnerProduct", "SoftmaxWithLoss"], net.Layer.Select(l => l.Type));

        var conv = net.Layer[1];
        Assert.Equal([1f, 2f], conv.Param.Select(p => p.LrMult));
        Assert.Equal([1f, 0f], conv.Param.Select(p => p.DecayMult));
        Assert.Equal(20u, conv.ConvolutionParam.NumOutput);
        Assert.Equal("xavier", conv.ConvolutionParam.WeightFiller.Type);

        // scale moved from data_param into transform_param
        var data = net.Layer[0];
        Assert.Equal(0.00390625f, data.TransformParam.Scale);
        Assert.False(data.DataParam.HasScale);
        Assert.Equal(Phase.Train, data.Include[0].Phase);

        Assert.Equal("shared_w", net.Layer[4].Param[0].Name);
        Assert.Equal([1f], net.Layer[5].LossWeight);
        Assert.Equal(net.Layer[0].Top, ["data", "label"]);
    }

    [Fact]
    public void EveryV1TypeHasACurrentName()
    {
        foreach (V1LayerParameter.Types.LayerType type in Enum.GetValues<V1LayerParameter.Types.LayerType>())
        {
            if (type == V1LayerParameter.Types.LayerType.None) continue;
            Assert.False(string.IsNullOrEmpty(NetUpgrader.V1TypeName(type)));
        }
        Assert.Equal("SoftmaxWithLoss", NetUpgrader.V1TypeName(V1LayerParameter.Types.LayerType.SoftmaxLoss));
        Assert.Equal("HDF5Data", NetUpgrader.V1TypeName(V1LayerParameter.Types.LayerType.Hdf5Data));
    }

    [Fact]
    public void V0NetWithPaddingLayerIsUpgradedToTheCurrentForm()
    {
        var net = TextFormat.Parse<NetParameter>("""
            name: "v0"
            layers { layer { name: "data" type: "data" source: "db" batchsize: 10 scale: 0.5 cropsize: 20 } top: "data" top: "label" }
            layers { layer { name: "pad1" type: "padding" pad: 2 } bottom: "data" top: "pad1" }
            layers { layer { name: "conv1" type: "conv" num_output: 8 kernelsize: 5 stride: 2 biasterm: false
                             weight_filler { type: "gaussian" std: 0.01 } blobs_lr: 1 blobs_lr: 2 }
                     bottom: "pad1" top: "conv1" }
            layers { layer { name: "pool1" type: "pool" pool: AVE kernelsize: 3 stride: 2 } bottom: "conv1" top: "pool1" }
            layers { layer { name: "fc" type: "innerproduct" num_output: 4 } bottom: "pool1" top: "fc" }
            layers { layer { name: "loss" type: "softmax_loss" } bottom: "fc" bottom: "label" }
            """);
        NetUpgrader.Upgrade(net);
        Assert.Equal(["data", "conv1", "pool1", "fc", "loss"], net.Layer.Select(l => l.Name));
        Assert.Equal(["Data", "Convolution", "Pooling", "InnerProduct", "SoftmaxWithLoss"], net.Layer.Select(l => l.Type));
        var conv = net.Layer[1];
        Assert.Equal(["data"], conv.Bottom);
        Assert.Equal([2u], conv.ConvolutionParam.Pad);
        Assert.Equal([5u], conv.ConvolutionParam.KernelSize);
        Assert.Equal([2u], conv.ConvolutionParam.Stride);
        Assert.False(conv.ConvolutionParam.BiasTerm);
        Assert.Equal([1f, 2f], conv.Param.Select(p => p.LrMult));
        Assert.Equal(PoolingParameter.Types.PoolMethod.Ave, net.Layer[2].PoolingParam.Pool);
        Assert.Equal(0.5f, net.Layer[0].TransformParam.Scale);
        Assert.Equal(20u, net.Layer[0].TransformParam.CropSize);
        Assert.Equal(10u, net.Layer[0].DataParam.BatchSize);
    }

    [Fact]
    public void DeprecatedInputFieldsBecomeAnInputLayer()
    {
        var net = TextFormat.Parse<NetParameter>("""
            input: "data" input_dim: 1 input_dim: 3 input_dim: 224 input_dim: 224
            layer { name: "relu" type: "ReLU" bottom: "data" top: "out" }
            """);
        NetUpgrader.Upgrade(net);
        var input = net.Layer[0];
        Assert.Equal("Input", input.Type);
        Assert.Equal(["data"], input.Top);
        Assert.Equal([1L, 3, 224, 224], input.InputParam.Shape[0].Dim);
        Assert.Empty(net.Input);
        Assert.Empty(net.InputDim);
    }

    [Fact]
    public void InputDimCountThatDoesNotFitIsAnError()
    {
        var net = TextFormat.Parse<NetParameter>("input: \"data\" input_dim: 1 input_dim: 3");
        var e = Assert.Throws<CortadoException>(() => NetUpgrader.Upgrade(net));
        Assert.Contains("expected 4 per input", e.Message);
    }

    [Fact]
    public void BatchNormFixedParamsAreDropped()
    {
        var net = TextFormat.Parse<NetParameter>("layer { type: \"BatchNorm\" param { lr_mult: 0 } param { lr_mult: 0 } param { lr_mult: 0 } }");
        NetUpgrader.Upgrade(net);
        Assert.Empty(net.Layer[0].Param);
    }

    [Fact]
    public void CurrentNetIsLeftAlone()
    {
        var net = TextFormat.Parse<NetParameter>(SampleNets.LeNet);
        var copy = net.Clone();
        Assert.False(NetUpgrader.Upgrade(net));
        Assert.Equal(copy, net);
    }

    [Fact]
    public void MixedOldAndNewLayersAreRejected()
    {
        var net = TextFormat.Parse<NetParameter>("layers { name: \"a\" type: RELU } layer { name: \"b\" type: \"ReLU\" }");
        Assert.Throws<CortadoException>(() => NetUpgrader.Upgrade(net));
    }

    [Theory]
    [InlineData("NESTEROV", "Nesterov")]
    [InlineData("ADAGRAD", "AdaGrad")]
    [InlineData("RMSPROP", "RMSProp")]
    [InlineData("ADADELTA", "AdaDelta")]
    [InlineData("ADAM", "Adam")]
    [InlineData("SGD", "SGD")]
    public void SolverTypeEnumBecomesTypeString(string old, string expected)
    {
        var solver = TextFormat.Parse<SolverParameter>($"solver_type: {old}");
        Assert.True(SolverUpgrader.Upgrade(solver));
        Assert.Equal(expected, solver.Type);
        Assert.False(solver.HasSolverType);
    }

    [Fact]
    public void ConflictingSolverTypesAreRejected()
    {
        var solver = TextFormat.Parse<SolverParameter>("solver_type: ADAM type: \"SGD\"");
        Assert.Throws<CortadoException>(() => SolverUpgrader.Upgrade(solver));
    }
}
