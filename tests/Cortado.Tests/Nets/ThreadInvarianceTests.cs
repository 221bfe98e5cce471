using Cortado.Layers;
using Cortado.Nets;
using Cortado.Proto;
using Cortado.Tests.Compute;

namespace Cortado.Tests.Nets;

/// <summary>
/// The batch is split among threads (convolution per image, elementwise layers and pooling by
/// range, dropout by a keyed hash; conv1b's forward and weight gradient by Winograd tiles, its forward by rows at batch 1), and parameter gradients are summed per fixed chunk: so a
/// training step gives the same bits on 1 thread and on 2.
/// </summary>
[Collection(ThreadCountCollection.Name)]
public class ThreadInvarianceTests
{
    private const string Prototxt = """
        layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 13 dim: 2 dim: 40 dim: 36 } } }
        layer { name: "label" type: "Input" top: "label" input_param { shape { dim: 13 } } }
        layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 16 kernel_size: 3 pad: 1 weight_filler { type: "xavier" } bias_filler { type: "constant" value: 0.1 } } }
        layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
        layer { name: "conv1b" type: "Convolution" bottom: "conv1" top: "conv1b" convolution_param { num_output: 16 kernel_size: 3 pad: 1 weight_filler { type: "xavier" } } }
        layer { name: "conv2" type: "Convolution" bottom: "conv1b" top: "conv2" convolution_param { num_output: 16 kernel_size: 3 stride: 2 weight_filler { type: "xavier" } } }
        layer { name: "relu2" type: "ReLU" bottom: "conv2" top: "conv2" }
        layer { name: "pool1" type: "Pooling" bottom: "conv2" top: "pool1" pooling_param { pool: MAX kernel_size: 2 stride: 1 } }
        layer { name: "drop1" type: "Dropout" bottom: "pool1" top: "pool1" dropout_param { dropout_ratio: 0.25 } }
        layer { name: "deconv" type: "Deconvolution" bottom: "pool1" top: "deconv" convolution_param { num_output: 4 kernel_size: 2 stride: 2 weight_filler { type: "xavier" } } }
        layer { name: "fc1" type: "InnerProduct" bottom: "deconv" top: "fc1" inner_product_param { num_output: 10 weight_filler { type: "xavier" } } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc1" bottom: "label" top: "loss" }
        """;

    [Theory]
    [InlineData(13)]
    [InlineData(1)] // fewer images than threads: convolution splits each image by output rows
    public void ATrainingStepIsBitIdenticalOnOneAndTwoThreads(int batch)
    {
        var one = Step(threads: 1, batch);
        var two = Step(threads: 2, batch);
        Assert.Equal(one.Count, two.Count);
        foreach (var (name, values) in one)
            Assert.True(values.SequenceEqual(two[name]), $"{name} differs between 1 and 2 threads");
    }

    private static Dictionary<string, int[]> Step(int threads, int batch)
    {
        using var _ = new ThreadCount(threads);
        var param = TextFormat.Parse<NetParameter>(Prototxt.Replace("dim: 13", $"dim: {batch}"));
        param.ForceBackward = true;
        using var net = new Net(param, Phase.Train, new NetOptions { Random = new CaffeRandom(5) });
        Reference.Random(net.Blob("data").Count, 3).CopyTo(net.Blob("data").Data);
        var labels = net.Blob("label").Data;
        for (int i = 0; i < labels.Length; i++) labels[i] = i % 10;
        for (int i = 0; i < 2; i++) net.ForwardBackward(); // the second step accumulates onto the first's gradients
        var bits = new Dictionary<string, int[]>();
        foreach (var blob in net.Blobs) bits[blob.Name + " data"] = Bits(blob.Data);
        bits["data diff"] = Bits(net.Blob("data").Diff);
        for (int i = 0; i < net.LearnableParams.Count; i++) bits[net.LearnableParamName(i) + " diff"] = Bits(net.LearnableParams[i].Diff);
        return bits;
    }

    private static int[] Bits(Span<float> values) => values.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();
}
