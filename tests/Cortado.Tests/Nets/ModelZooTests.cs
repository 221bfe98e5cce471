using Cortado.Tests.Devices;
using Cortado.Nets;
using Cortado.Proto;

namespace Cortado.Tests.Nets;

/// <summary>The common model-zoo architectures build from prototxt with every top shape as published, and run forward at batch 1.</summary>
public abstract class ModelZooTests<TDevice> where TDevice : ITestDevice
{
    internal static Net BuildAndRun(string prototxt, IDictionary<string, int[]> expected, int parameters)
    {
        var net = new Net(TextFormat.Parse<NetParameter>(prototxt), Phase.Test, new NetOptions { Compute = TDevice.Compute });
        foreach (var (blob, shape) in expected) Assert.True(shape.SequenceEqual(net.Blob(blob).Shape), $"{blob}: expected {string.Join(" ", shape)}, got {net.Blob(blob).ShapeString}");
        Assert.Equal(parameters, net.LearnableParams.Sum(p => (long)p.Count));
        Cortado.Tests.Compute.Reference.Random(net.Blob("data").Count, 1).CopyTo(net.Blob("data").Data);
        net.Forward();
        var prob = net.Blob("prob").Data.ToArray();
        Assert.All(prob, p => Assert.True(float.IsFinite(p)));
        Assert.Equal(1.0, prob.Sum(p => (double)p), 3);
        return net;
    }

    [Fact]
    public void LeNet() => BuildAndRun(ModelZoo.LeNet, new Dictionary<string, int[]>
    {
        ["conv1"] = [1, 20, 24, 24], ["pool1"] = [1, 20, 12, 12], ["conv2"] = [1, 50, 8, 8], ["pool2"] = [1, 50, 4, 4],
        ["ip1"] = [1, 500], ["prob"] = [1, 10],
    }, 431080);

    [Fact]
    public void Cifar10Quick() => BuildAndRun(ModelZoo.Cifar10Quick, new Dictionary<string, int[]>
    {
        ["conv1"] = [1, 32, 32, 32], ["pool1"] = [1, 32, 16, 16], ["pool2"] = [1, 32, 8, 8], ["pool3"] = [1, 64, 4, 4], ["prob"] = [1, 10],
    }, 145578);

    [Fact]
    public void CaffeNet() => BuildAndRun(ModelZoo.CaffeNet, new Dictionary<string, int[]>
    {
        ["conv1"] = [1, 96, 55, 55], ["pool1"] = [1, 96, 27, 27], ["conv2"] = [1, 256, 27, 27], ["pool2"] = [1, 256, 13, 13],
        ["conv5"] = [1, 256, 13, 13], ["pool5"] = [1, 256, 6, 6], ["fc6"] = [1, 4096], ["prob"] = [1, 1000],
    }, 60965224);

    [Fact]
    public void GoogLeNetWithInceptionConcats() => BuildAndRun(ModelZoo.GoogLeNet, new Dictionary<string, int[]>
    {
        ["pool1/3x3_s2"] = [1, 64, 56, 56], ["pool2/3x3_s2"] = [1, 192, 28, 28], ["inception_3a/output"] = [1, 256, 28, 28],
        ["inception_3b/output"] = [1, 480, 28, 28], ["inception_4a/output"] = [1, 512, 14, 14], ["inception_4e/output"] = [1, 832, 14, 14],
        ["inception_5b/output"] = [1, 1024, 7, 7], ["pool5/7x7_s1"] = [1, 1024, 1, 1], ["prob"] = [1, 1000],
    }, 6998552);
}

/// <summary>
/// The two largest nets (15 and 8 GFLOP a forward pass): on the CPU backends only, since ILGPU's
/// CPU accelerator would take most of a minute for each. Every layer they use runs on the emulated
/// GPU in the layer suites and in the smaller nets above.
/// </summary>
public abstract class LargeModelZooTests<TDevice> where TDevice : ITestDevice
{
    private static Net BuildAndRun(string prototxt, IDictionary<string, int[]> expected, int parameters) => ModelZooTests<TDevice>.BuildAndRun(prototxt, expected, parameters);

    [Fact]
    public void Vgg16() => BuildAndRun(ModelZoo.Vgg16, new Dictionary<string, int[]>
    {
        ["conv1_2"] = [1, 64, 224, 224], ["pool1"] = [1, 64, 112, 112], ["pool3"] = [1, 256, 28, 28], ["pool5"] = [1, 512, 7, 7], ["prob"] = [1, 1000],
    }, 138357544);

    [Fact]
    public void ResNet50WithBatchNormScaleAndEltwise()
    {
        var net = BuildAndRun(ModelZoo.ResNet50, new Dictionary<string, int[]>
        {
            ["conv1"] = [1, 64, 112, 112], ["pool1"] = [1, 64, 56, 56], ["res2c"] = [1, 256, 56, 56], ["res3d"] = [1, 512, 28, 28],
            ["res4f"] = [1, 1024, 14, 14], ["res5c"] = [1, 2048, 7, 7], ["pool5"] = [1, 2048, 1, 1], ["prob"] = [1, 1000],
        },
            // conv weights 23,454,912 + conv1 bias 64 + fc1000 2,049,000 + 26,560 channels x (BN mean, variance + Scale gamma, beta) + 53 BN factors
            23454912 + 64 + 2049000 + 4 * 26560 + 53);
        Assert.Equal(53, net.Layers.Count(l => l.Type == "BatchNorm"));
    }
}

public sealed class ModelZooTestsOnCpu : ModelZooTests<OnCpu>;
public sealed class ModelZooTestsOnEmulatedDevice : ModelZooTests<OnEmulatedDevice>;
public sealed class ModelZooTestsOnEmulatedGpu : ModelZooTests<OnEmulatedGpu>;
public sealed class LargeModelZooTestsOnCpu : LargeModelZooTests<OnCpu>;
public sealed class LargeModelZooTestsOnEmulatedDevice : LargeModelZooTests<OnEmulatedDevice>;
