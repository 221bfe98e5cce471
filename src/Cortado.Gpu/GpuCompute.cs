using System.Runtime.InteropServices;
using Cortado.Compute;
using Cortado.Gpu.Kernels;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace Cortado.Gpu;

/// <summary>
/// The GPU backend: every operation of the seam as an ILGPU kernel on the accelerator's memory,
/// GEMMs through cuBLAS where it loads. On a CUDA device this is Caffe's GPU mode; on ILGPU's CPU
/// accelerator (<see cref="Emulated"/>) the same kernels run in emulation, which is how CI tests
/// the GPU code path without a GPU. Work is queued on one stream in call order; only copies to
/// the host and the scalars a caller asks for (a dot product, a loss) wait for it. Calls from
/// several threads are serialised.
/// </summary>
public sealed class GpuCompute : ICompute, ICopyCounting, IDisposable
{
    private readonly Context _context;
    private readonly Accelerator _accelerator;
    private readonly KernelCache _kernels;
    private readonly Cublas? _cublas;
    private readonly object _gate = new();
    private readonly int _groupSize, _maxGroups;
    private readonly Dictionary<string, object> _scratch = [];

    private GpuCompute(Context context, Accelerator accelerator, bool emulated)
    {
        _context = context;
        _accelerator = accelerator;
        _kernels = new KernelCache(accelerator);
        IsEmulated = emulated;
        // Reductions need a power-of-two group no larger than their shared array.
        _groupSize = Math.Min(ReductionKernels.MaxGroup, 1 << (int)Math.Log2(accelerator.MaxNumThreadsPerGroup));
        _maxGroups = emulated ? 4 : accelerator.NumMultiprocessors * 8;
        if (accelerator is CudaAccelerator)
        {
            _cublas = Cublas.TryOpen(((CudaStream)accelerator.DefaultStream).StreamPtr, out string reason);
            GemmFallbackReason = _cublas is null ? reason : null;
        }
        else GemmFallbackReason = "the emulated device has no cuBLAS";
        Name = emulated ? "emulated GPU (ILGPU CPU accelerator)" : $"CUDA GPU {accelerator.Name}";
    }

    /// <summary>The CUDA device <paramref name="deviceId"/>; throws <see cref="BackendUnavailableException"/> where there is none.</summary>
    public static GpuCompute Cuda(int deviceId = 0)
    {
        var context = CudaContext();
        var devices = context.GetCudaDevices();
        if (devices.Count == 0)
        {
            context.Dispose();
            throw new BackendUnavailableException("GPU", "no CUDA device was found");
        }
        if (deviceId < 0 || deviceId >= devices.Count)
        {
            context.Dispose();
            throw new BackendUnavailableException("GPU", $"there is no CUDA device {deviceId}; this machine has {devices.Count} (0 to {devices.Count - 1})");
        }
        return new GpuCompute(context, context.CreateCudaAccelerator(deviceId), emulated: false);
    }

    /// <summary>
    /// A CUDA context with LibDevice (the CUDA SDK's math library) where ILGPU finds the SDK: it needs
    /// it for some double-precision functions (the Gaussian draw's log and cosine), whose kernels
    /// otherwise fail to load. Without the SDK, the context has none and every other kernel works.
    /// </summary>
    private static Context CudaContext()
    {
        try
        {
            return Context.Create(builder => builder.Cuda().LibDevice().Optimize(OptimizationLevel.O1));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Context.Create(builder => builder.Cuda().Optimize(OptimizationLevel.O1));
        }
    }

    /// <summary>The GPU backend on ILGPU's CPU accelerator: every kernel runs, in emulation, on this machine.</summary>
    public static GpuCompute Emulated()
    {
        var context = Context.Create(builder => builder.CPU().Optimize(OptimizationLevel.O1));
        return new GpuCompute(context, context.CreateCPUAccelerator(0), emulated: true);
    }

    public string Name { get; }
    public bool HasOwnMemory => true;
    public bool IsEmulated { get; }

    /// <summary>Why GEMMs run on the ILGPU kernel rather than cuBLAS, or null when cuBLAS runs them.</summary>
    public string? GemmFallbackReason { get; }

    /// <summary>The accelerator's properties, as device-query prints them.</summary>
    public GpuDeviceInfo Device => GpuDeviceInfo.Of(_accelerator.Device, IsEmulated);

    public CopyCounter Copies { get; } = new();

    /// <summary>Waits for every queued kernel: what a timer needs before it reads the clock.</summary>
    public void Synchronize()
    {
        using (Enter()) _accelerator.Synchronize();
    }

    public void Dispose()
    {
        using (Enter())
        {
            _cublas?.Dispose();
            foreach (var buffer in _scratch.Values) ((IDisposable)buffer).Dispose();
            _scratch.Clear();
            _accelerator.Dispose();
            _context.Dispose();
        }
    }

    // ---- memory ----

    public DeviceBuffer<T> Allocate<T>(int length) where T : unmanaged
    {
        using (Enter()) return new GpuBuffer<T>(this, _accelerator.Allocate1D<T>(Math.Max(length, 1)), length);
    }

    public void CopyToDevice<T>(ReadOnlySpan<T> host, DeviceSpan<T> device) where T : unmanaged
    {
        if (device.Length == 0) return;
        using (Enter())
        {
            ToDevice(host, View(device), device.Length);
            Copies.Count(toDevice: true, device.Length);
        }
    }

    public void CopyToHost<T>(DeviceSpan<T> device, Span<T> host) where T : unmanaged
    {
        if (device.Length == 0) return;
        using (Enter())
        {
            ToHost(View(device), host, device.Length);
            Copies.Count(toDevice: false, device.Length);
        }
    }

    public void Copy<T>(DeviceSpan<T> source, DeviceSpan<T> target) where T : unmanaged
    {
        if (source.Length == 0) return;
        using (Enter()) View(source).CopyTo(Stream, View(target).SubView(0, source.Length));
    }

    public void Fill<T>(DeviceSpan<T> target, T value) where T : unmanaged
    {
        if (target.Length == 0) return;
        using (Enter()) _kernels.Get<ArrayView<T>, T, int>(ElementwiseKernels.Fill)(Config(target.Length), View(target), value, target.Length);
    }

    public void CopyRows(DeviceSpan<float> source, int sourceStride, DeviceSpan<float> target, int targetStride, int rows, int rowLength)
    {
        int n = rows * rowLength;
        if (n == 0) return;
        using (Enter()) _kernels.Get<Floats, int, Floats, int, int, int>(ElementwiseKernels.CopyRows)(Config(n), View(source), sourceStride, View(target), targetStride, rowLength, n);
    }

    public float Scalar(DeviceSpan<float> x)
    {
        if (x.Length != 1) throw new ArgumentException($"a scalar was asked of {x.Length} values");
        Span<float> value = stackalloc float[1];
        using (Enter())
        {
            ToHost(View(x), value, 1);
        }
        return value[0];
    }

    public void Crop(DeviceSpan<float> big, ReadOnlySpan<int> bigShape, DeviceSpan<float> small, ReadOnlySpan<int> smallShape, ReadOnlySpan<int> offsets, bool toSmall)
    {
        int rowLength = smallShape[^1];
        if (small.Length == 0 || rowLength == 0) return;
        // Each small row's start in the big array, worked out here: a short list, uploaded once.
        var starts = CropRows.Starts(bigShape, smallShape, offsets);
        using (Enter())
        {
            var rowStarts = Upload("crop rows", starts);
            _kernels.Get<Floats, Ints, Floats, int, int, int>(ElementwiseKernels.CropRows)(Config(small.Length), View(big), rowStarts, View(small), rowLength, toSmall ? 1 : 0, small.Length);
        }
    }

    // ---- BLAS ----

    public void Gemm(Transpose transA, Transpose transB, int m, int n, int k, float alpha, DeviceSpan<float> a, DeviceSpan<float> b, float beta, DeviceSpan<float> c)
    {
        if (m == 0 || n == 0) return;
        bool ta = transA == Transpose.Yes, tb = transB == Transpose.Yes;
        using (Enter())
        {
            if (k == 0) { Scale(beta, c.Slice(0, m * n)); return; }
            if (_cublas != null)
            {
                _cublas.Sgemm(ta, tb, m, n, k, alpha, Pointer(a), Pointer(b), beta, Pointer(c));
                return;
            }
            GemmKernel(ta, tb, m, n, k, alpha, a, b, beta, c);
        }
    }

    /// <summary>The ILGPU GEMM, whatever cuBLAS's presence: what runs without cuBLAS, and what a test compares it with.</summary>
    internal void GemmKernel(bool transA, bool transB, int m, int n, int k, float alpha, DeviceSpan<float> a, DeviceSpan<float> b, float beta, DeviceSpan<float> c)
    {
        int blocks = (m + GemmKernels.Block - 1) / GemmKernels.Block * ((n + GemmKernels.Block - 1) / GemmKernels.Block);
        using (Enter())
            _kernels.Get<int, int, int, float, Floats, int, int, Floats, int, int, float, Floats>(GemmKernels.Gemm)(Config(blocks), m, n, k, alpha,
                View(a), transA ? 1 : k, transA ? m : 1, View(b), transB ? 1 : n, transB ? k : 1, beta, View(c));
    }

    public void Gemv(Transpose transA, int m, int n, float alpha, DeviceSpan<float> a, DeviceSpan<float> x, float beta, DeviceSpan<float> y)
    {
        // y = op(A) x as a product with one column: A is m x n, so op(A) x has m rows, or n when transposed.
        if (transA == Transpose.No) Gemm(Transpose.No, Transpose.No, m, 1, n, alpha, a, x, beta, y);
        else Gemm(Transpose.Yes, Transpose.No, n, 1, m, alpha, a, x, beta, y);
    }

    public void Axpy(float alpha, DeviceSpan<float> x, DeviceSpan<float> y) => Map(new AddScaledOp(alpha), y, x, y);
    public void Axpby(float alpha, DeviceSpan<float> x, float beta, DeviceSpan<float> y) => Map(new LinearOp(alpha, beta), x, y, y);
    public void Scal(float alpha, DeviceSpan<float> x) => Scale(alpha, x);
    public float Dot(DeviceSpan<float> x, DeviceSpan<float> y) => (float)MapSum(new MulOp(), x, y);
    public float Asum(DeviceSpan<float> x) => (float)MapSum(new AbsoluteOp(), x, x);
    public float SumSquares(DeviceSpan<float> x) => (float)MapSum(new MulOp(), x, x);

    private void Scale(float alpha, DeviceSpan<float> x)
    {
        // alpha 0 must clear NaNs too, as BLAS's scal with 0 (and beta 0) does.
        if (alpha == 0f) Fill(x, 0f);
        else Map(new AffineOp(alpha, 0f), x, x);
    }

    // ---- elementwise maps ----

    public void Map<TOp>(TOp op, DeviceSpan<float> x, DeviceSpan<float> y) where TOp : struct, IUnaryOperator
    {
        if (y.Length == 0) return;
        using (Enter()) _kernels.Get<TOp, Floats, Floats, int>(ElementwiseKernels.Map1)(Config(y.Length), op, View(x), View(y), y.Length);
    }

    public void Map<TOp>(TOp op, DeviceSpan<float> a, DeviceSpan<float> b, DeviceSpan<float> y) where TOp : struct, IBinaryOperator
    {
        if (y.Length == 0) return;
        using (Enter()) _kernels.Get<TOp, Floats, Floats, Floats, int>(ElementwiseKernels.Map2)(Config(y.Length), op, View(a), View(b), View(y), y.Length);
    }

    public void Map<TOp>(TOp op, DeviceSpan<float> a, DeviceSpan<float> b, DeviceSpan<float> c, DeviceSpan<float> y) where TOp : struct, ITernaryOperator
    {
        if (y.Length == 0) return;
        using (Enter()) _kernels.Get<TOp, Floats, Floats, Floats, Floats, int>(ElementwiseKernels.Map3)(Config(y.Length), op, View(a), View(b), View(c), View(y), y.Length);
    }

    public double MapSum<TOp>(TOp op, DeviceSpan<float> a, DeviceSpan<float> b) where TOp : struct, IBinaryOperator
    {
        if (a.Length != b.Length) throw new ArgumentException($"a sum over {a.Length} and {b.Length} values");
        return Sum(op, a, b, a.Length);
    }

    public void MapChannels<TOp>(TOp op, DeviceSpan<float> x, DeviceSpan<float> values, ChannelLayout layout, DeviceSpan<float> y) where TOp : struct, IBinaryOperator
    {
        int n = layout.Count;
        if (n == 0) return;
        using (Enter())
            _kernels.Get<TOp, Floats, Floats, int, int, Floats, int>(ElementwiseKernels.MapChannels)(Config(n), op, View(x), View(values), layout.Dim, layout.Inner, View(y), n);
    }

    public void ChannelSums(DeviceSpan<float> x, DeviceSpan<float> factor, ChannelLayout layout, DeviceSpan<float> target, bool accumulate)
    {
        if (layout.Dim == 0) return;
        using (Enter())
            _kernels.Get<Floats, Floats, int, int, int, int, Floats, int>(ReductionKernels.ChannelSums)(
                new KernelConfig(Math.Min(layout.Dim, _maxGroups), _groupSize), View(x), View(factor), factor.IsEmpty ? 0 : 1,
                layout.Outer, layout.Dim, layout.Inner, View(target), accumulate ? 1 : 0);
    }

    public void ReluForward(DeviceSpan<float> x, float slope, DeviceSpan<float> y)
    {
        if (y.Length == 0) return;
        using (Enter()) _kernels.Get<Floats, float, Floats, int>(ElementwiseKernels.ReluForward)(Config(y.Length), View(x), slope, View(y), y.Length);
    }

    public void ReluBackward(DeviceSpan<float> x, DeviceSpan<float> dy, float slope, DeviceSpan<float> dx)
    {
        if (dx.Length == 0) return;
        using (Enter()) _kernels.Get<Floats, Floats, float, Floats, int>(ElementwiseKernels.ReluBackward)(Config(dx.Length), View(x), View(dy), slope, View(dx), dx.Length);
    }

    // ---- convolution, pooling, normalisation ----

    public IConvolution CreateConvolution() => new GpuConvolution(this);

    /// <summary>The 2-D im2col of <paramref name="batch"/> contiguous images with <paramref name="channels"/> channels, side by side in the columns.</summary>
    internal void Im2Col(DeviceSpan<float> images, int channels, int batch, in ConvolutionGeometry g, DeviceSpan<float> columns)
    {
        int n = channels * g.KernelH * g.KernelW * batch * g.OutputHeight * g.OutputWidth;
        if (n == 0) return;
        using (Enter())
            _kernels.Get<Floats, ConvolutionGeometry, int, int, Floats, int>(ConvolutionKernels.Im2Col)(Config(n), View(images), g, batch, channels * g.Height * g.Width, View(columns), n);
    }

    /// <summary>The 2-D col2im: the images (overwritten) are the columns summed back.</summary>
    internal void Col2Im(DeviceSpan<float> columns, int channels, int batch, in ConvolutionGeometry g, DeviceSpan<float> images)
    {
        int n = batch * channels * g.Height * g.Width;
        if (n == 0) return;
        using (Enter())
            _kernels.Get<Floats, ConvolutionGeometry, int, int, Floats, int>(ConvolutionKernels.Col2Im)(Config(n), View(columns), g, batch, channels, View(images), n);
    }

    /// <summary>target (b, a, s) = source (a, b, s).</summary>
    internal void SwapOuter(DeviceSpan<float> source, int a, int b, int s, DeviceSpan<float> target)
    {
        int n = a * b * s;
        if (n == 0) return;
        using (Enter()) _kernels.Get<Floats, int, int, int, Floats, int>(ConvolutionKernels.SwapOuter)(Config(n), View(source), a, b, s, View(target), n);
    }

    public void Im2ColNd(DeviceSpan<float> image, int channels, ConvolutionGeometryNd geometry, DeviceSpan<float> columns)
    {
        int n = channels * geometry.KernelSize * geometry.OutputSize;
        if (n == 0) return;
        using (Enter())
            _kernels.Get<Floats, Ints, int, int, int, Floats, int>(ConvolutionKernels.Im2ColNd)(Config(n), View(image), UploadGeometry(geometry),
                geometry.KernelSize, geometry.InputSize, geometry.OutputSize, View(columns), n);
    }

    public void Col2ImNd(DeviceSpan<float> columns, int channels, ConvolutionGeometryNd geometry, DeviceSpan<float> image)
    {
        int n = channels * geometry.InputSize;
        if (n == 0) return;
        using (Enter())
            _kernels.Get<Floats, Ints, int, int, int, Floats, int>(ConvolutionKernels.Col2ImNd)(Config(n), View(columns), UploadGeometry(geometry),
                geometry.KernelSize, geometry.InputSize, geometry.OutputSize, View(image), n);
    }

    public void MaxPoolForward(DeviceSpan<float> bottom, int planes, in PoolingGeometry geometry, DeviceSpan<float> top, DeviceSpan<int> argmax)
    {
        var g = Checked(geometry, bottom.Length, top.Length, planes);
        int n = planes * g.OutPlane;
        if (argmax.Length < n) throw new ArgumentException($"pooling: the argmax buffer holds {argmax.Length} of {n} outputs");
        if (n == 0) return;
        using (Enter()) _kernels.Get<Floats, PoolWindow, Floats, Ints, int>(PoolingKernels.MaxForward)(Config(n), View(bottom), g, View(top), View(argmax), n);
    }

    public void IndicesToFloat(DeviceSpan<int> indices, DeviceSpan<float> values)
    {
        if (indices.Length == 0) return;
        using (Enter()) _kernels.Get<Ints, Floats, int>(ElementwiseKernels.IndicesToFloat)(Config(indices.Length), View(indices), View(values), indices.Length);
    }

    public void MaxPoolBackward(DeviceSpan<float> topDiff, DeviceSpan<int> argmax, int planes, in PoolingGeometry geometry, DeviceSpan<float> bottomDiff,
        DeviceSpan<float> rectifiedBy = default)
    {
        var g = Checked(geometry, bottomDiff.Length, topDiff.Length, planes);
        int n = planes * g.InPlane;
        if (n == 0) return;
        using (Enter()) _kernels.Get<Floats, Ints, PoolWindow, Floats, int>(PoolingKernels.MaxBackward)(Config(n), View(topDiff), View(argmax), g, View(bottomDiff), n);
        // On the device the ReLU's mask is one more elementwise pass: memory there is not the bottleneck.
        if (!rectifiedBy.IsEmpty) ReluBackward(rectifiedBy, bottomDiff, 0f, bottomDiff);
    }

    public void AveragePoolForward(DeviceSpan<float> bottom, int planes, in PoolingGeometry geometry, DeviceSpan<float> top)
    {
        var g = Checked(geometry, bottom.Length, top.Length, planes);
        int n = planes * g.OutPlane;
        if (n == 0) return;
        using (Enter()) _kernels.Get<Floats, PoolWindow, Floats, int>(PoolingKernels.AverageForward)(Config(n), View(bottom), g, View(top), n);
    }

    public void AveragePoolBackward(DeviceSpan<float> topDiff, int planes, in PoolingGeometry geometry, DeviceSpan<float> bottomDiff,
        DeviceSpan<float> rectifiedBy = default)
    {
        var g = Checked(geometry, bottomDiff.Length, topDiff.Length, planes);
        int n = planes * g.InPlane;
        if (n == 0) return;
        using (Enter()) _kernels.Get<Floats, PoolWindow, Floats, int>(PoolingKernels.AverageBackward)(Config(n), View(topDiff), g, View(bottomDiff), n);
        if (!rectifiedBy.IsEmpty) ReluBackward(rectifiedBy, bottomDiff, 0f, bottomDiff);
    }

    public void StochasticPoolForward(DeviceSpan<float> bottom, int planes, in PoolingGeometry geometry, DeviceSpan<float> uniform, DeviceSpan<float> top, DeviceSpan<int> picked)
    {
        var g = Checked(geometry, bottom.Length, top.Length, planes);
        int n = planes * g.OutPlane;
        if (n == 0) return;
        using (Enter())
            _kernels.Get<Floats, PoolWindow, Floats, Floats, Ints, int>(PoolingKernels.StochasticForward)(Config(n), View(bottom), g, View(uniform), View(top), View(picked), n);
    }

    public void StochasticPoolTest(DeviceSpan<float> bottom, int planes, in PoolingGeometry geometry, DeviceSpan<float> top)
    {
        var g = Checked(geometry, bottom.Length, top.Length, planes);
        int n = planes * g.OutPlane;
        if (n == 0) return;
        using (Enter()) _kernels.Get<Floats, PoolWindow, Floats, int>(PoolingKernels.StochasticTest)(Config(n), View(bottom), g, View(top), n);
    }

    public void LrnForward(in LrnShape shape, DeviceSpan<float> x, DeviceSpan<float> scale, DeviceSpan<float> squares, DeviceSpan<float> y)
    {
        int n = x.Length;
        if (n == 0) return;
        var s = LrnWindow.Of(shape);
        using (Enter())
        {
            if (shape.AcrossChannels)
                _kernels.Get<Floats, LrnWindow, Floats, Floats, int>(NormalizationKernels.LrnAcrossScale)(Config(n), View(x), s, View(scale), View(squares), n);
            else
            {
                // scale = 1 + alpha times the squares averaged over the size x size window.
                Map(new MulOp(), x, x, squares);
                AveragePoolForward(squares, shape.Num * shape.Channels, WithinWindow(shape), scale);
                Map(new AffineOp(shape.Alpha, 1f), scale, scale);
            }
            _kernels.Get<Floats, Floats, float, Floats, int>(NormalizationKernels.LrnOutput)(Config(n), View(x), View(scale), shape.Beta, View(y), n);
        }
    }

    public void LrnBackward(in LrnShape shape, DeviceSpan<float> x, DeviceSpan<float> y, DeviceSpan<float> dy, DeviceSpan<float> scale, DeviceSpan<float> work, DeviceSpan<float> squares, DeviceSpan<float> dx)
    {
        int n = x.Length;
        if (n == 0) return;
        var s = LrnWindow.Of(shape);
        using (Enter())
        {
            var ratio = _kernels.Get<Floats, Floats, Floats, float, Floats, int>(NormalizationKernels.LrnRatio);
            if (shape.AcrossChannels)
            {
                ratio(Config(n), View(dy), View(y), View(scale), 1f, View(work), n);
                _kernels.Get<Floats, Floats, Floats, Floats, LrnWindow, Floats, int>(NormalizationKernels.LrnAcrossBackward)(Config(n), View(x), View(dy), View(scale), View(work), s, View(dx), n);
            }
            else
            {
                // Through the averaged squares: d/dx = 2 x avg^T(-beta alpha ratio); the squares hold avg^T here.
                ratio(Config(n), View(dy), View(y), View(scale), -shape.Beta * shape.Alpha, View(work), n);
                AveragePoolBackward(work, shape.Num * shape.Channels, WithinWindow(shape), squares);
                _kernels.Get<Floats, Floats, Floats, Floats, float, Floats, int>(NormalizationKernels.LrnWithinBackward)(Config(n), View(x), View(dy), View(scale), View(squares), shape.Beta, View(dx), n);
            }
        }
    }

    private static PoolingGeometry WithinWindow(in LrnShape s) => new(s.Height, s.Width, s.Size, s.Size, (s.Size - 1) / 2, (s.Size - 1) / 2, 1, 1);

    // ---- softmax and its loss ----

    public void Softmax(DeviceSpan<float> x, DeviceSpan<float> y, ChannelLayout layout)
    {
        int positions = layout.Outer * layout.Inner;
        if (positions == 0) return;
        using (Enter()) _kernels.Get<Floats, Floats, int, int, int>(NormalizationKernels.Softmax)(Config(positions), View(x), View(y), layout.Dim, layout.Inner, positions);
    }

    public void SoftmaxBackward(DeviceSpan<float> y, DeviceSpan<float> dy, DeviceSpan<float> dx, ChannelLayout layout)
    {
        int positions = layout.Outer * layout.Inner;
        if (positions == 0) return;
        using (Enter())
            _kernels.Get<Floats, Floats, Floats, int, int, int>(NormalizationKernels.SoftmaxBackward)(Config(positions), View(y), View(dy), View(dx), layout.Dim, layout.Inner, positions);
    }

    public LabelledLoss SoftmaxLoss(DeviceSpan<float> prob, DeviceSpan<float> labels, ChannelLayout layout, int? ignoreLabel)
    {
        int positions = layout.Outer * layout.Inner;
        if (positions == 0) return new LabelledLoss(0, 0, float.NaN);
        using (Enter())
        {
            var terms = Scratch<float>("loss terms", positions);
            var counted = Scratch<float>("loss counts", positions);
            var firstBad = FirstBadReset();
            _kernels.Get<Floats, Floats, int, int, int, int, Floats, Floats, Ints, int>(NormalizationKernels.SoftmaxLossTerms)(Config(positions), View(prob), View(labels),
                layout.Dim, layout.Inner, ignoreLabel.HasValue ? 1 : 0, ignoreLabel ?? 0, terms, counted, firstBad, positions);
            int bad = ReadFirstBad();
            if (bad != int.MaxValue) return new LabelledLoss(0, 0, Scalar(labels.Slice(bad, 1)));
            double loss = Sum(new FirstOp(), terms.SubView(0, positions), terms.SubView(0, positions), positions);
            double count = Sum(new FirstOp(), counted.SubView(0, positions), counted.SubView(0, positions), positions);
            return new LabelledLoss(loss, (int)Math.Round(count), float.NaN);
        }
    }

    public void SoftmaxLossGradient(DeviceSpan<float> prob, DeviceSpan<float> labels, ChannelLayout layout, int? ignoreLabel, float scale, DeviceSpan<float> dx)
    {
        int n = layout.Count;
        if (n == 0) return;
        using (Enter())
            _kernels.Get<Floats, Floats, int, int, int, int, float, Floats, int>(NormalizationKernels.SoftmaxLossGradient)(Config(n), View(prob), View(labels),
                layout.Dim, layout.Inner, ignoreLabel.HasValue ? 1 : 0, ignoreLabel ?? 0, scale, View(dx), n);
    }

    // ---- lookups and labelled losses ----

    public float Gather(DeviceSpan<float> table, int rows, DeviceSpan<float> indices, int rowLength, DeviceSpan<float> target)
    {
        int n = indices.Length * rowLength;
        if (n == 0) return float.NaN;
        using (Enter())
        {
            var firstBad = FirstBadReset();
            _kernels.Get<Floats, int, Floats, int, Floats, Ints, int>(LookupKernels.Gather)(Config(n), View(table), rows, View(indices), rowLength, View(target), firstBad, n);
            int bad = ReadFirstBad();
            return bad == int.MaxValue ? float.NaN : Scalar(indices.Slice(bad, 1));
        }
    }

    public void ScatterAdd(DeviceSpan<float> source, DeviceSpan<float> indices, int rowLength, DeviceSpan<float> table)
    {
        if (indices.Length == 0 || rowLength == 0) return;
        using (Enter())
            _kernels.Get<Floats, Floats, int, Floats, int>(LookupKernels.ScatterAdd)(Config(rowLength), View(source), View(indices), indices.Length, View(table), rowLength);
    }

    public float HingeMargins(DeviceSpan<float> x, DeviceSpan<float> labels, int num, int dim, DeviceSpan<float> margins)
    {
        int n = num * dim;
        if (n == 0) return float.NaN;
        using (Enter())
        {
            var firstBad = FirstBadReset();
            _kernels.Get<Floats, Floats, int, Floats, Ints, int>(LookupKernels.HingeMargins)(Config(n), View(x), View(labels), dim, View(margins), firstBad, n);
            int bad = ReadFirstBad();
            return bad == int.MaxValue ? float.NaN : Scalar(labels.Slice(bad, 1));
        }
    }

    public void HingeGradient(DeviceSpan<float> margins, DeviceSpan<float> labels, int num, int dim, float scale, bool squared, DeviceSpan<float> dx)
    {
        int n = num * dim;
        if (n == 0) return;
        using (Enter())
            _kernels.Get<Floats, Floats, int, float, int, Floats, int>(LookupKernels.HingeGradient)(Config(n), View(margins), View(labels), dim, scale, squared ? 1 : 0, View(dx), n);
    }

    public void MaxWithWinner(DeviceSpan<float> x, int index, DeviceSpan<float> y, DeviceSpan<int> winner)
    {
        if (y.Length == 0) return;
        using (Enter()) _kernels.Get<Floats, int, Floats, Ints, int>(ElementwiseKernels.MaxWithWinner)(Config(y.Length), View(x), index, View(y), View(winner), y.Length);
    }

    public void RouteToWinner(DeviceSpan<float> dy, DeviceSpan<int> winner, int index, DeviceSpan<float> dx)
    {
        if (dx.Length == 0) return;
        using (Enter()) _kernels.Get<Floats, Ints, int, Floats, int>(ElementwiseKernels.RouteToWinner)(Config(dx.Length), View(dy), View(winner), index, View(dx), dx.Length);
    }

    // ---- recurrent cells ----

    public void LstmCellForward(int num, int hidden, DeviceSpan<float> cPrev, DeviceSpan<float> gates, DeviceSpan<float> cont, DeviceSpan<float> c, DeviceSpan<float> h)
    {
        int n = num * hidden;
        if (n == 0) return;
        using (Enter())
            _kernels.Get<int, Floats, Floats, Floats, Floats, Floats, int>(RecurrentKernels.LstmForward)(Config(n), hidden, View(cPrev), View(gates), View(cont), View(c), View(h), n);
    }

    public void LstmCellBackward(int num, int hidden, DeviceSpan<float> cPrev, DeviceSpan<float> gates, DeviceSpan<float> cont, DeviceSpan<float> c,
        DeviceSpan<float> dc, DeviceSpan<float> dh, DeviceSpan<float> dcPrev, DeviceSpan<float> dgates)
    {
        int n = num * hidden;
        if (n == 0) return;
        using (Enter())
            _kernels.Get<int, Floats, Floats, Floats, Floats, Floats, int, Floats, int, Floats, Floats, int>(RecurrentKernels.LstmBackward)(Config(n), hidden,
                View(cPrev), View(gates), View(cont), View(c), View(dc), dc.IsEmpty ? 0 : 1, View(dh), dh.IsEmpty ? 0 : 1, View(dcPrev), View(dgates), n);
    }

    // ---- random streams keyed by counter ----

    public void Bernoulli(DeviceSpan<float> y, double p, float one, ulong key, long offset = 0)
    {
        if (y.Length == 0) return;
        using (Enter())
            _kernels.Get<Floats, uint, int, float, ulong, uint, int>(RandomKernels.Bernoulli)(Config(y.Length), View(y), BernoulliHash.Threshold(p), p >= 1.0 ? 1 : 0,
                one, key, (uint)offset, y.Length);
    }

    public void MultiplyBernoulli(DeviceSpan<float> x, double p, float one, ulong key, long offset, DeviceSpan<float> y)
    {
        if (y.Length == 0) return;
        using (Enter())
            _kernels.Get<Floats, uint, int, float, ulong, uint, Floats, int>(RandomKernels.MultiplyBernoulli)(Config(y.Length), View(x), BernoulliHash.Threshold(p), p >= 1.0 ? 1 : 0,
                one, key, (uint)offset, View(y), y.Length);
    }

    public void Uniform(DeviceSpan<float> y, float min, float max, ulong key)
    {
        if (y.Length == 0) return;
        using (Enter()) _kernels.Get<Floats, float, float, ulong, int>(RandomKernels.Uniform)(Config(y.Length), View(y), min, max, key, y.Length);
    }

    public void Gaussian(DeviceSpan<float> y, float mean, float std, ulong key)
    {
        if (y.Length == 0) return;
        using (Enter()) _kernels.Get<Floats, float, float, ulong, int>(RandomKernels.Gaussian)(Config((y.Length + 1) / 2), View(y), mean, std, key, y.Length);
    }

    // ---- fused solver updates ----

    public void SolverUpdate<TRule>(TRule rule, DeviceSpan<float> diff, DeviceSpan<float> history, DeviceSpan<float> history2) where TRule : struct, IUpdateRule
    {
        if (diff.Length == 0) return;
        using (Enter())
            _kernels.Get<TRule, Floats, Floats, Floats, int, int>(ElementwiseKernels.Update)(Config(diff.Length), rule, View(diff), View(history), View(history2),
                TRule.Histories, diff.Length);
    }

    // ---- helpers ----

    private AcceleratorStream Stream => _accelerator.DefaultStream;

    /// <summary>
    /// Takes the backend for one operation: calls are serialised, and the accelerator is made
    /// current on the calling thread (ILGPU and CUDA keep the current context per thread).
    /// </summary>
    private Entered Enter()
    {
        Monitor.Enter(_gate);
        _accelerator.Bind();
        return new Entered(_gate);
    }

    private readonly struct Entered(object gate) : IDisposable
    {
        public void Dispose() => Monitor.Exit(gate);
    }

    /// <summary>The grid for n elements (or blocks): whole groups, no more than the device keeps busy.</summary>
    private KernelConfig Config(long n) => new((int)Math.Clamp((n + _groupSize - 1) / _groupSize, 1, _maxGroups), _groupSize);

    /// <summary>The view of a span of this backend's memory; an empty span is a one-element dummy that the kernel does not read.</summary>
    private ArrayView<T> View<T>(DeviceSpan<T> span) where T : unmanaged
    {
        if (span.Buffer is null) return Scratch<T>("empty", 1);
        if (span.Buffer is not GpuBuffer<T> own || !ReferenceEquals(own.Owner, this))
            throw new InvalidOperationException($"the {Name} backend was handed memory of {span.Buffer.Owner.Name}; a layer reached past the seam");
        return own.Memory.View.SubView(span.Offset, span.Length);
    }

    private IntPtr Pointer(DeviceSpan<float> span) => View(span).LoadEffectiveAddressAsPtr();

    /// <summary>
    /// Host to device, the host memory pinned for the copy: ILGPU takes a reference, and a
    /// managed array the collector moved mid-copy was seen to give garbage on the CPU accelerator.
    /// </summary>
    private unsafe void ToDevice<T>(ReadOnlySpan<T> host, ArrayView<T> device, int length) where T : unmanaged
    {
        fixed (T* source = host) device.SubView(0, length).CopyFromCPU(Stream, ref *source, length);
    }

    /// <summary>Device to host, pinned likewise; returns once the values are there.</summary>
    private unsafe void ToHost<T>(ArrayView<T> device, Span<T> host, int length) where T : unmanaged
    {
        fixed (T* target = host) device.SubView(0, length).CopyToCPU(Stream, ref *target, length);
        Stream.Synchronize();
    }

    /// <summary>A device array of at least <paramref name="length"/> kept under a name for reuse (calls are serialised, so one user at a time).</summary>
    private ArrayView<T> Scratch<T>(string name, int length) where T : unmanaged
    {
        string key = $"{name}/{typeof(T).Name}";
        if (_scratch.TryGetValue(key, out var held) && ((MemoryBuffer1D<T, Stride1D.Dense>)held).Length >= length)
            return ((MemoryBuffer1D<T, Stride1D.Dense>)held).View;
        if (held != null) ((IDisposable)held).Dispose();
        var buffer = _accelerator.Allocate1D<T>(Math.Max(length, 16));
        _scratch[key] = buffer;
        return buffer.View;
    }

    private Ints Upload(string name, int[] values)
    {
        var view = Scratch<int>(name, values.Length);
        ToDevice<int>(values, view, values.Length);
        return view;
    }

    /// <summary>axes, then input, kernel, pad, stride, dilation and output per axis, as the N-D kernels read them.</summary>
    private Ints UploadGeometry(ConvolutionGeometryNd g) =>
        Upload("geometry", [g.Axes, .. g.Input, .. g.Kernel, .. g.Pad, .. g.Stride, .. g.Dilation, .. g.Output]);

    private Ints FirstBadReset()
    {
        var view = Scratch<int>("first bad", 1);
        _kernels.Get<ArrayView<int>, int, int>(ElementwiseKernels.Fill)(Config(1), view, int.MaxValue, 1);
        return view;
    }

    private int ReadFirstBad()
    {
        Span<int> bad = stackalloc int[1];
        ToHost(Scratch<int>("first bad", 1), bad, 1);
        return bad[0];
    }

    /// <summary>Sum of op(a[i], b[i]): a partial per group on the device, added in group order here.</summary>
    private double Sum<TOp>(TOp op, Floats a, Floats b, int n) where TOp : struct, IBinaryOperator
    {
        if (n == 0) return 0;
        using (Enter())
        {
            var config = Config(n);
            int groups = config.GridDim.X;
            var partials = Scratch<double>("partials", _maxGroups);
            _kernels.Get<TOp, Floats, Floats, int, Doubles>(ReductionKernels.PartialSums)(config, op, a, b, n, partials);
            var values = new double[groups];
            ToHost<double>(partials, values, groups);
            double sum = 0;
            foreach (double value in values) sum += value;
            return sum;
        }
    }

    private double Sum<TOp>(TOp op, DeviceSpan<float> a, DeviceSpan<float> b, int n) where TOp : struct, IBinaryOperator
    {
        using (Enter()) return Sum(op, View(a), View(b), n);
    }

    private static PoolWindow Checked(in PoolingGeometry g, int bottomLength, int topLength, int planes)
    {
        g.Check(bottomLength, topLength, planes);
        return PoolWindow.Of(g);
    }
}
