using System.Diagnostics;
using Cortado.Compute;

namespace Cortado.Bench;

/// <summary>
/// The convolution products of the seed net and CIFAR-10 quick, one image at a time on one thread
/// as the convolution layer runs them: the columns written out by im2col (and summed back by
/// col2im) against the columns read from the image as GEMM packs them, and Winograd's F(2x2, 3x3)
/// or F(2x2, 5x5) where the layer uses it (taking narrow images several a call, as the layer
/// does). Interleaved rounds, best of each.
/// </summary>
internal static unsafe class ConvolutionBenchmark
{
    private sealed record Layer(string Name, int Channels, int Size, int Kernel, int Pad, int Outputs, int Images);

    private static readonly Layer[] Layers =
    [
        new("seed conv1", 1, 28, 3, 0, 32, 128),
        new("seed conv2", 32, 26, 3, 0, 32, 128),
        new("CIFAR-10 quick conv1", 3, 32, 5, 2, 32, 100),
        new("CIFAR-10 quick conv2", 32, 16, 5, 2, 32, 100),
        new("CIFAR-10 quick conv3", 32, 8, 5, 2, 64, 100),
    ];

    public static int Run(string[] args)
    {
        Console.WriteLine($"CPU: {MachineInfo.Describe()}; Cortado's GEMM kernel: {GemmKernel.Best.Name}; 1 thread");
        Console.WriteLine();
        Console.WriteLine($"{"ms per batch",-22} {"batch",5} {"forward: im2col",15} {"implicit",9} {"winograd",9} {"wgrad: im2col",14} {"implicit",9} {"winograd",9} {"dgrad: col2im",14} {"flipped",8} {"winograd",9}");
        ComputeSettings.Threads = 1;
        foreach (var layer in Layers) Measure(layer);
        Console.WriteLine();
        Console.WriteLine("im2col: columns written, then GEMM; implicit: GEMM packs the columns from the image;");
        Console.WriteLine("col2im: W^T*dY, then col2im; flipped: the flipped-kernel convolution of dY; winograd: F(2x2, 3x3) or F(2x2, 5x5) tiles and");
        Console.WriteLine("16 or 36 GEMMs (for wgrad, the per-image sums; G^T S G runs once per batch), narrow images taken");
        Console.WriteLine("several a call as the layer takes them");
        Console.WriteLine("(flipped and winograd only where the layer uses them).");
        return 0;
    }

    private static void Measure(Layer l)
    {
        var g = new ConvolutionGeometry(l.Size, l.Size, l.Kernel, l.Kernel, l.Pad, l.Pad);
        int k = l.Channels * l.Kernel * l.Kernel, spatial = g.OutputHeight * g.OutputWidth, m = l.Outputs;
        var random = new Random(1);
        float[] Random(int n) => Enumerable.Range(0, n).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var image = Random(l.Channels * l.Size * l.Size);
        var weights = Random(m * k);
        var outputDiff = Random(m * spatial);
        var columns = new float[k * spatial];
        var output = new float[m * spatial];
        var weightDiff = new float[m * k];
        var imageDiff = new float[image.Length];
        var padded = new float[Math.Max(1, ImplicitColumns.PaddedLength(l.Channels, g))];
        var offsets = new ImplicitColumns.Offsets(l.Channels, g);

        var shape = new ConvolutionShape(1, l.Channels, m, 1, g, Reversed: false);
        var gradientGeometry = DataGradientAsConvolution.Geometry(shape);
        var flipped = new float[weights.Length];
        DataGradientAsConvolution.FlipKernels(weights, shape, flipped);
        var gg = gradientGeometry ?? g;
        var gradientPadded = new float[Math.Max(1, ImplicitColumns.PaddedLength(m, gg))];
        var gradientShape = new ConvolutionShape(1, m, l.Channels, 1, gg, Reversed: false);
        bool forwardWinograd = Winograd.Suits(shape), gradientWinograd = gradientGeometry is not null && Winograd.Suits(gradientShape);
        var gradientOffsets = gradientGeometry is null || gradientWinograd ? null : new ImplicitColumns.Offsets(m, gg);
        var filters = new float[Winograd.FilterLength(shape)];
        var gradientFilters = new float[Winograd.FilterLength(gradientShape)];
        if (forwardWinograd) Winograd.TransformFilters(shape, weights, filters);
        if (gradientWinograd) Winograd.TransformFilters(gradientShape, flipped, gradientFilters);
        // Winograd takes narrow images several a call, as the layer does (CIFAR-10 quick's conv3: four).
        int forwardPerCall = forwardWinograd ? Winograd.ImagesPerCall(shape) : 1, gradientPerCall = gradientWinograd ? Winograd.ImagesPerCall(gradientShape) : 1;
        int perCall = Math.Max(forwardPerCall, gradientPerCall);
        float[] Repeated(float[] one) => Enumerable.Repeat(one, perCall).SelectMany(v => v).ToArray();
        var images = Repeated(image);
        var outputDiffs = Repeated(outputDiff);
        var outputs = new float[perCall * output.Length];
        var imageDiffs = new float[perCall * image.Length];
        var scratch = new float[Math.Max(Winograd.ScratchLength(shape, perCall), Winograd.ScratchLength(gradientShape, perCall))];

        var sums = new float[Winograd.FilterLength(shape)];
        var times = new double[9];
        Array.Fill(times, double.MaxValue);
        for (int round = 0; round < 5; round++)
        {
            times[0] = Math.Min(times[0], Time(l.Images, () =>
            {
                Im2Col.Forward(image, l.Channels, g, columns);
                Gemm.Compute(Transpose.No, Transpose.No, m, spatial, k, 1f, weights, columns, 0f, output);
            }));
            times[1] = Math.Min(times[1], Time(l.Images, () =>
            {
                fixed (float* x = image, p = padded, w = weights, y = output)
                    Gemm.ComputeOnImage(Transpose.No, m, spatial, k, w, k, offsets.Over(ImplicitColumns.Pad(x, l.Channels, g, p)), 0f, y, spatial);
            }));
            times[2] = Math.Min(times[2], Time(l.Images, () =>
            {
                Im2Col.Forward(image, l.Channels, g, columns);
                Gemm.Compute(Transpose.No, Transpose.Yes, m, k, spatial, 1f, outputDiff, columns, 1f, weightDiff);
            }));
            times[3] = Math.Min(times[3], Time(l.Images, () =>
            {
                fixed (float* x = image, p = padded, dy = outputDiff, dw = weightDiff)
                    Gemm.ComputeOnImage(Transpose.Yes, m, k, spatial, dy, spatial, offsets.Over(ImplicitColumns.Pad(x, l.Channels, g, p)), 1f, dw, k);
            }));
            times[4] = Math.Min(times[4], Time(l.Images, () =>
            {
                Gemm.Compute(Transpose.Yes, Transpose.No, k, spatial, m, 1f, weights, outputDiff, 0f, columns);
                Im2Col.Backward(columns, l.Channels, g, imageDiff);
            }));
            if (forwardWinograd)
                times[6] = Math.Min(times[6], TimeCalls(l.Images, forwardPerCall, count =>
                {
                    fixed (float* x = images, u = filters, y = outputs, buffer = scratch)
                        Winograd.Forward(shape, x, u, y, buffer, 0, g.OutputHeight, count);
                }));
            if (gradientWinograd)
                times[7] = Math.Min(times[7], TimeCalls(l.Images, gradientPerCall, count =>
                {
                    fixed (float* dy = outputDiffs, u = gradientFilters, dx = imageDiffs, buffer = scratch)
                        Winograd.Forward(gradientShape, dy, u, dx, buffer, 0, gg.OutputHeight, count);
                }));
            if (forwardWinograd)
                times[8] = Math.Min(times[8], TimeCalls(l.Images, forwardPerCall, count =>
                {
                    fixed (float* x = images, dy = outputDiffs, u = sums, buffer = scratch)
                        Winograd.AccumulateWeightGradient(shape, x, dy, u, buffer, count);
                }));
            if (gradientOffsets is null) continue;
            times[5] = Math.Min(times[5], Time(l.Images, () =>
            {
                int depth = m * l.Kernel * l.Kernel;
                fixed (float* dy = outputDiff, p = gradientPadded, w = flipped, dx = imageDiff)
                    Gemm.ComputeOnImage(Transpose.No, l.Channels, l.Size * l.Size, depth, w, depth, gradientOffsets.Over(ImplicitColumns.Pad(dy, m, gg, p)), 0f, dx, l.Size * l.Size);
            }));
        }
        string Optional(bool used, double time) => used ? $"{time:F2}" : "-";
        Console.WriteLine($"{l.Name,-22} {l.Images,5} {times[0],15:F2} {times[1],9:F2} {Optional(forwardWinograd, times[6]),9} {times[2],14:F2} {times[3],9:F2} {Optional(forwardWinograd, times[8]),9} " +
            $"{times[4],14:F2} {Optional(gradientOffsets is not null, times[5]),8} {Optional(gradientWinograd, times[7]),9}");
    }

    private static double Time(int images, Action perImage)
    {
        var watch = Stopwatch.StartNew();
        for (int n = 0; n < images; n++) perImage();
        return watch.Elapsed.TotalMilliseconds;
    }

    /// <summary>The batch in calls of up to <paramref name="perCall"/> images, the last call taking what is left.</summary>
    private static double TimeCalls(int images, int perCall, Action<int> call)
    {
        var watch = Stopwatch.StartNew();
        for (int n = 0; n < images; n += perCall) call(Math.Min(perCall, images - n));
        return watch.Elapsed.TotalMilliseconds;
    }
}
