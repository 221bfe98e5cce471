using Cortado.Tests.Devices;
using Cortado.Errors;
using Cortado.Proto;
using Cortado.Tensors;
using static Cortado.Tests.Layers.LayerTestKit;

namespace Cortado.Tests.Layers;

/// <summary>Layers without a gradient (or whose work is only shapes), checked on their outputs.</summary>
public abstract class LayerForwardTests<TDevice> where TDevice : ITestDevice
{
    private static Cortado.Layers.Layer Create(string prototxt, Phase phase = Phase.Train, int seed = 1) => LayerTestKit.Create(prototxt, TDevice.Compute, phase, seed);

    [Fact]
    public void ThresholdAndItsMissingGradient()
    {
        var layer = Create("type: 'Threshold' threshold_param { threshold: 0.5 }");
        var bottom = new Blob(4);
        new float[] { 0.2f, 0.5f, 0.7f, -1f }.CopyTo(bottom.Data);
        var top = Tops(1);
        layer.SetUp([bottom], top);
        layer.Forward([bottom], top);
        Assert.Equal([0f, 0f, 1f, 0f], top[0].Data.ToArray());
        Assert.Throws<LayerException>(() => layer.Backward(top, [true], [bottom]));
    }

    [Fact]
    public void InputShapesOneForAllOrOnePerTop()
    {
        var layer = Create("type: 'Input' input_param { shape { dim: 2 dim: 3 } }");
        var tops = Tops(2);
        layer.SetUp([], tops);
        Assert.All(tops, t => Assert.Equal([2, 3], t.Shape));
        var e = Assert.Throws<LayerException>(() => Create("type: 'Input' input_param { shape { dim: 1 } shape { dim: 2 } }").SetUp([], Tops(3)));
        Assert.Contains("gives 2 shapes for 3 tops", e.Message);
    }

    [Fact]
    public void DummyDataFillsConstantsOnceAndRandomEveryPass()
    {
        var layer = Create("type: 'DummyData' dummy_data_param { num: 2 channels: 3 height: 1 width: 1 data_filler { type: 'constant' value: 7 } }");
        var top = Tops(1);
        layer.SetUp([], top);
        Assert.Equal([2, 3, 1, 1], top[0].Shape);
        Assert.All(top[0].Data.ToArray(), v => Assert.Equal(7f, v));

        var random = Create("type: 'DummyData' dummy_data_param { shape { dim: 5 } data_filler { type: 'gaussian' } }");
        var randomTop = Tops(1);
        random.SetUp([], randomTop);
        var first = randomTop[0].Data.ToArray();
        random.Forward([], randomTop);
        Assert.NotEqual(first, randomTop[0].Data.ToArray());
    }

    [Fact]
    public void ReshapeInfersAndCopiesDims()
    {
        var layer = Create("type: 'Reshape' reshape_param { shape { dim: 0 dim: -1 } }");
        var top = Tops(1);
        layer.SetUp([new Blob(2, 3, 4)], top);
        Assert.Equal([2, 12], top[0].Shape);
        var bad = Create("type: 'Reshape' reshape_param { shape { dim: 5 dim: -1 } }");
        var e = Assert.Throws<LayerException>(() => bad.SetUp([new Blob(2, 3, 4)], Tops(1)));
        Assert.Contains("cannot infer the -1 dim: 24 values do not divide into 5", e.Message);
    }

    [Fact]
    public void SoftmaxValues()
    {
        var layer = Create("type: 'Softmax'");
        var bottom = new Blob(1, 3);
        new float[] { 1, 2, 3 }.CopyTo(bottom.Data);
        var top = Tops(1);
        layer.SetUp([bottom], top);
        layer.Forward([bottom], top);
        double z = Math.Exp(1) + Math.Exp(2) + Math.Exp(3);
        Assert.Equal(Math.Exp(1) / z, top[0].Data[0], 6);
        Assert.Equal(Math.Exp(3) / z, top[0].Data[2], 6);
    }

    [Fact]
    public void SilenceConsumesAndZeroesGradients()
    {
        var layer = Create("type: 'Silence'");
        var bottom = Filled(1, 1f, 3);
        bottom.Diff.Fill(5f);
        layer.SetUp([bottom], []);
        layer.Forward([bottom], []);
        layer.Backward([], [true], [bottom]);
        Assert.All(bottom.Diff.ToArray(), v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData("AbsVal")]
    [InlineData("BNLL")]
    [InlineData("ELU")]
    [InlineData("Log")]
    [InlineData("Flatten")]
    public void LayersThatNeedTheirInputRefuseToWorkInPlace(string type)
    {
        var layer = Create($"name: 'x' type: '{type}'");
        var blob = Filled(1, 1f, 2, 3);
        var e = Assert.Throws<LayerException>(() => layer.SetUp([blob], [blob]));
        Assert.Equal($"layer 'x' ({type}): cannot work in place (a top is also a bottom); give the top its own name", e.Message);
    }

    [Fact]
    public void ScalarBlobShapeStringIsCaffes()
    {
        var blob = new Blob();
        blob.Reshape(Array.Empty<int>());
        Assert.Equal("(1)", blob.ShapeString);
    }
}

public sealed class LayerForwardTestsOnCpu : LayerForwardTests<OnCpu>;
public sealed class LayerForwardTestsOnEmulatedDevice : LayerForwardTests<OnEmulatedDevice>;
public sealed class LayerForwardTestsOnEmulatedGpu : LayerForwardTests<OnEmulatedGpu>;
