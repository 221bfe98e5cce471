using System.Diagnostics;
using Cortado.Compute;
using Cortado.Layers;
using Cortado.Proto;
using Cortado.Solvers;

namespace Cortado.GpuCheck;

/// <summary>Training images/s and the GEMM-bound layers' rate against the backend's own GEMM at the same product.</summary>
internal static class Throughput
{
    /// <summary>Training images/s over <paramref name="seconds"/> after a warm-up (the kernels compile on first use).</summary>
    public static double TrainingImagesPerSecond(TrainingNet spec, ICompute compute, double seconds)
    {
        using var solver = SolverFactory.Create(TextFormat.Parse<SolverParameter>(spec.Solver), new SolverOptions { Compute = compute });
        var random = new Random(1);
        var data = solver.Net.Blob("data").Data;
        for (int i = 0; i < data.Length; i++) data[i] = (float)(random.NextDouble() * 2 - 1);
        var labels = solver.Net.Blob("label").Data;
        for (int i = 0; i < labels.Length; i++) labels[i] = random.Next(spec.Classes);
        for (var warm = Stopwatch.StartNew(); warm.Elapsed.TotalSeconds < Math.Min(2, seconds);) solver.Step(1);
        compute.Synchronize();
        var watch = Stopwatch.StartNew();
        int steps = 0;
        while (watch.Elapsed.TotalSeconds < seconds) { solver.Step(1); steps++; }
        compute.Synchronize();
        return steps * spec.Batch / watch.Elapsed.TotalSeconds;
    }

    public sealed record GemmRow(string Layer, double LayerGflops, double GemmGflops, string Shape);

    /// <summary>
    /// Each convolution and inner product of the net: its forward and backward GFLOP/s (timed per
    /// layer, synchronised), and the backend's GEMM GFLOP/s on the layer's whole-batch forward
    /// product (M outputs, N = batch x output positions, K inputs per output): what the layer could reach.
    /// </summary>
    public static List<GemmRow> GemmBoundLayers(TrainingNet spec, ICompute compute, int repeats)
    {
        using var solver = SolverFactory.Create(TextFormat.Parse<SolverParameter>(spec.Solver), new SolverOptions { Compute = compute });
        var net = solver.Net;
        net.Forward();
        net.Backward();
        var rows = new List<GemmRow>();
        for (int i = 0; i < net.Layers.Count; i++)
        {
            var layer = net.Layers[i];
            if (layer is not (ConvolutionLayer or InnerProductLayer)) continue;
            int m = layer is ConvolutionLayer ? net.Tops[i][0].Shape[1] : net.Tops[i][0].CountFrom(1);
            int k = layer.Blobs[0].CountFrom(1);
            int n = layer is ConvolutionLayer ? spec.Batch * net.Tops[i][0].CountFrom(2) : spec.Batch;
            bool dataGradient = net.BottomNeedsBackward(i)[0];
            double flops = 2.0 * m * n * k * (dataGradient ? 3 : 2);
            double seconds = Timed(compute, repeats, () =>
            {
                layer.Forward(net.Bottoms[i], net.Tops[i]);
                layer.Backward(net.Tops[i], net.BottomNeedsBackward(i), net.Bottoms[i]);
            });
            var a = compute.Allocate<float>(m * k).All;
            var b = compute.Allocate<float>(k * n).All;
            var c = compute.Allocate<float>(m * n).All;
            compute.Fill(a, 0.01f);
            compute.Fill(b, 0.01f);
            double gemm = Timed(compute, repeats, () => compute.Gemm(Transpose.No, Transpose.No, m, n, k, 1f, a, b, 0f, c));
            rows.Add(new GemmRow(layer.Name, flops / seconds / 1e9, 2.0 * m * n * k / gemm / 1e9, $"{m}x{n}x{k}"));
        }
        return rows;
    }

    /// <summary>Seconds per call of <paramref name="work"/>, after one call and with the device synchronised around the timed ones.</summary>
    private static double Timed(ICompute compute, int repeats, Action work)
    {
        work();
        compute.Synchronize();
        var watch = Stopwatch.StartNew();
        for (int r = 0; r < repeats; r++) work();
        compute.Synchronize();
        return watch.Elapsed.TotalSeconds / repeats;
    }
}
