using System.Diagnostics;
using Cortado.Compute;

namespace Cortado.Bench;

/// <summary>
/// The pooling layers of the seed net (on Fashion-MNIST and on the 24x15 numbers, both strides) and
/// of CIFAR-10 quick, forward and backward over a whole batch on one thread, max and average alike
/// (CIFAR-10 quick's first is max, its others average). Interleaved rounds, best of each; enough
/// rounds that the tiered JIT has optimised the callers of the per-plane loops.
/// </summary>
internal static class PoolingBenchmark
{
    private sealed record Layer(string Name, int Planes, int Height, int Width, int Kernel, int Stride, int Pad);

    private static readonly Layer[] Layers =
    [
        new("seed, Fashion-MNIST, stride 1", 128 * 32, 24, 24, 2, 1, 0),
        new("seed, Fashion-MNIST, stride 2", 128 * 32, 24, 24, 2, 2, 0),
        new("seed, numbers, stride 1", 128 * 32, 20, 11, 2, 1, 0),
        new("CIFAR-10 quick pool1", 100 * 32, 32, 32, 3, 2, 0),
        new("CIFAR-10 quick pool2", 100 * 32, 16, 16, 3, 2, 0),
        new("CIFAR-10 quick pool3", 100 * 64, 8, 8, 3, 2, 0),
    ];

    public static int Run(string[] args)
    {
        Console.WriteLine($"CPU: {MachineInfo.Describe()}; 1 thread");
        Console.WriteLine();
        Console.WriteLine($"{"ms per batch",-30} {"planes",6} {"input",6} {"window",8} {"max fwd",8} {"max bwd",8} {"ave fwd",8} {"ave bwd",8}");
        ComputeSettings.Threads = 1;
        foreach (var layer in Layers) Measure(layer);
        return 0;
    }

    private static void Measure(Layer l)
    {
        var g = new PoolingGeometry(l.Height, l.Width, l.Kernel, l.Kernel, l.Pad, l.Pad, l.Stride, l.Stride);
        int outputs = l.Planes * g.PooledHeight * g.PooledWidth;
        var random = new Random(1);
        var bottom = Enumerable.Range(0, l.Planes * l.Height * l.Width).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var top = new float[outputs];
        var topDiff = Enumerable.Range(0, outputs).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var argmax = new int[outputs];
        var bottomDiff = new float[bottom.Length];
        Action[] passes =
        [
            () => Pooling.MaxForward(bottom, l.Planes, g, top, argmax),
            () => Pooling.MaxBackward(topDiff, argmax, l.Planes, g, bottomDiff),
            () => Pooling.AverageForward(bottom, l.Planes, g, top),
            () => Pooling.AverageBackward(topDiff, l.Planes, g, bottomDiff),
        ];
        var best = new double[passes.Length];
        Array.Fill(best, double.MaxValue);
        for (int round = 0; round < 60; round++)
            for (int i = 0; i < passes.Length; i++)
            {
                var watch = Stopwatch.StartNew();
                passes[i]();
                best[i] = Math.Min(best[i], watch.Elapsed.TotalMilliseconds);
            }
        Console.WriteLine($"{l.Name,-30} {l.Planes,6} {$"{l.Height}x{l.Width}",6} {$"{l.Kernel}/{l.Stride}",8} {best[0],8:F2} {best[1],8:F2} {best[2],8:F2} {best[3],8:F2}");
    }
}
