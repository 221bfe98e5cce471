using System.Diagnostics;
using Cortado.Compute;
using Cortado.Data;
using Cortado.Nets;
using Cortado.Proto;

namespace Cortado.Bench;

/// <summary>
/// Data-layer throughput (images/s delivered, 28x28 gray Fashion-MNIST, batch 128, with scale)
/// against what the seed net's training step consumes on one thread: the data path must stay
/// at least 10 times ahead so it is never the bottleneck.
/// </summary>
internal static class DataBenchmark
{
    private const string Images = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
    private const string Labels = "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz";

    public static int Run(string[] args)
    {
        ComputeSettings.Threads = 1;
        string db = Path.Combine(Path.GetTempPath(), "cortado-bench-fmnist-train-lmdb");
        if (!Directory.Exists(db))
        {
            var convert = Stopwatch.StartNew();
            IdxConverter.Convert(Images, Labels, db);
            Console.WriteLine($"convert-idx: 60000 images in {convert.Elapsed.TotalSeconds:F1} s");
        }
        string data = $"layer {{ name: \"data\" type: \"Data\" top: \"data\" top: \"label\" transform_param {{ scale: 0.00390625 }} data_param {{ source: \"{db}\" batch_size: 128 backend: LMDB }} }}\n";

        double delivered = ImagesPerSecond(data, batches: 200, out _);
        Console.WriteLine($"Data layer alone: {delivered:F0} images/s (batch 128, 28x28, scale; one reader thread)");
        foreach (int stride in new[] { 1, 2 })
        {
            double consumed = ImagesPerSecond(data + SeedLayers(stride), batches: 8, out _, train: true);
            Console.WriteLine($"seed net, pooling stride {stride}, training step on 1 thread: {consumed:F0} images/s; data path ahead by {delivered / consumed:F1}x (target >= 10x)");
        }
        return 0;
    }

    private static double ImagesPerSecond(string prototxt, int batches, out Net net, bool train = false)
    {
        net = new Net(TextFormat.Parse<NetParameter>(prototxt), Phase.Train);
        using var owned = net;
        for (int i = 0; i < 3; i++) { if (train) net.ForwardBackward(); else net.Forward(); }
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < batches; i++) { if (train) net.ForwardBackward(); else net.Forward(); }
        return batches * 128 / watch.Elapsed.TotalSeconds;
    }

    private static string SeedLayers(int poolStride) => $$"""
        layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 32 kernel_size: 3 weight_filler { type: "xavier" } } }
        layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
        layer { name: "conv2" type: "Convolution" bottom: "conv1" top: "conv2" convolution_param { num_output: 32 kernel_size: 3 weight_filler { type: "xavier" } } }
        layer { name: "relu2" type: "ReLU" bottom: "conv2" top: "conv2" }
        layer { name: "pool1" type: "Pooling" bottom: "conv2" top: "pool1" pooling_param { pool: MAX kernel_size: 2 stride: {{poolStride}} } }
        layer { name: "drop1" type: "Dropout" bottom: "pool1" top: "pool1" dropout_param { dropout_ratio: 0.25 } }
        layer { name: "fc1" type: "InnerProduct" bottom: "pool1" top: "fc1" inner_product_param { num_output: 128 weight_filler { type: "xavier" } } }
        layer { name: "relu3" type: "ReLU" bottom: "fc1" top: "fc1" }
        layer { name: "drop2" type: "Dropout" bottom: "fc1" top: "fc1" dropout_param { dropout_ratio: 0.5 } }
        layer { name: "fc2" type: "InnerProduct" bottom: "fc1" top: "fc2" inner_product_param { num_output: 10 weight_filler { type: "xavier" } } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc2" bottom: "label" top: "loss" }
        """;
}
