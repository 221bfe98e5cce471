namespace Cortado.Compute;

/// <summary>The CPU backend: managed SIMD kernels, multi-threaded where the work is large.</summary>
public sealed class CpuCompute : ICompute
{
    public static CpuCompute Instance { get; } = new();

    public string Name => $"cpu ({GemmKernel.Best.Name}, {ComputeSettings.Threads} threads)";

    public void Gemm(Transpose transA, Transpose transB, int m, int n, int k, float alpha, ReadOnlySpan<float> a, ReadOnlySpan<float> b, float beta, Span<float> c) =>
        Compute.Gemm.Compute(transA, transB, m, n, k, alpha, a, b, beta, c);
    public void Gemm(Transpose transA, Transpose transB, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc) =>
        Compute.Gemm.Compute(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    public void Gemv(Transpose transA, int m, int n, float alpha, ReadOnlySpan<float> a, ReadOnlySpan<float> x, float beta, Span<float> y) =>
        Blas.Gemv(transA, m, n, alpha, a, x, beta, y);
    public void Axpy(float alpha, ReadOnlySpan<float> x, Span<float> y) => Blas.Axpy(alpha, x, y);
    public void Axpby(float alpha, ReadOnlySpan<float> x, float beta, Span<float> y) => Blas.Axpby(alpha, x, beta, y);
    public void Scal(float alpha, Span<float> x) => Blas.Scal(alpha, x);
    public float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y) => Blas.Dot(x, y);
    public float Asum(ReadOnlySpan<float> x) => Blas.Asum(x);

    public void Add(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => Elementwise.Add(a, b, y);
    public void Sub(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => Elementwise.Sub(a, b, y);
    public void Mul(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => Elementwise.Mul(a, b, y);
    public void Div(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => Elementwise.Div(a, b, y);
    public void Max(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => Elementwise.Max(a, b, y);
    public void Exp(ReadOnlySpan<float> a, Span<float> y) => Elementwise.Exp(a, y);
    public void Log(ReadOnlySpan<float> a, Span<float> y) => Elementwise.Log(a, y);
    public void Pow(ReadOnlySpan<float> a, float power, Span<float> y) => Elementwise.Pow(a, power, y);
    public void Abs(ReadOnlySpan<float> a, Span<float> y) => Elementwise.Abs(a, y);
    public void Sqrt(ReadOnlySpan<float> a, Span<float> y) => Elementwise.Sqrt(a, y);

    public void ReluForward(ReadOnlySpan<float> x, float slope, Span<float> y) => Rectifier.Forward(x, slope, y);
    public void ReluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, float slope, Span<float> dx) => Rectifier.Backward(x, dy, slope, dx);

    public void Im2Col(ReadOnlySpan<float> image, int channels, in ConvolutionGeometry geometry, Span<float> columns, int firstRow = 0, int rowCount = -1) =>
        Compute.Im2Col.Forward(image, channels, geometry, columns, firstRow, rowCount);
    public void Col2Im(ReadOnlySpan<float> columns, int channels, in ConvolutionGeometry geometry, Span<float> image) =>
        Compute.Im2Col.Backward(columns, channels, geometry, image);

    public void MaxPoolForward(ReadOnlySpan<float> bottom, int planes, in PoolingGeometry geometry, Span<float> top, Span<int> argmax) =>
        Pooling.MaxForward(bottom, planes, geometry, top, argmax);
    public void MaxPoolBackward(ReadOnlySpan<float> topDiff, ReadOnlySpan<int> argmax, int planes, in PoolingGeometry geometry, Span<float> bottomDiff) =>
        Pooling.MaxBackward(topDiff, argmax, planes, geometry, bottomDiff);
    public void AveragePoolForward(ReadOnlySpan<float> bottom, int planes, in PoolingGeometry geometry, Span<float> top) =>
        Pooling.AverageForward(bottom, planes, geometry, top);
    public void AveragePoolBackward(ReadOnlySpan<float> topDiff, int planes, in PoolingGeometry geometry, Span<float> bottomDiff) =>
        Pooling.AverageBackward(topDiff, planes, geometry, bottomDiff);
}
