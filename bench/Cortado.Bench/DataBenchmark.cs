using System.Diagnostics;
using Cortado.Compute;
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
    public static int Run(string[] args)
    {
        ComputeSettings.Threads = 1;
        Console.WriteLine($"CPU: {MachineInfo.Describe()}");
        var (db, _) = SeedNet.Databases();
        string data = SeedNet.Data(db, 128, "TRAIN");

        double delivered = ImagesPerSecond(data, batches: 200, out _);
        Console.WriteLine($"Data layer alone: {delivered:F0} images/s (batch 128, 28x28, scale; one reader thread)");
        foreach (int stride in new[] { 1, 2 })
        {
            double consumed = ImagesPerSecond(data + SeedNet.Layers(stride) + SeedNet.Loss, batches: 8, out _, train: true);
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
}
