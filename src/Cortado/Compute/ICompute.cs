namespace Cortado.Compute;

/// <summary>
/// The seam between layers and the hardware: the vocabulary every layer and solver is
/// written in. Layers call these methods instead of kernels, so another backend replaces
/// the vocabulary without touching a layer.
/// </summary>
public interface ICompute
{
    string Name { get; }

    void Gemm(Transpose transA, Transpose transB, int m, int n, int k, float alpha, ReadOnlySpan<float> a, ReadOnlySpan<float> b, float beta, Span<float> c);
    /// <summary>Gemm with explicit leading dimensions, for products on sub-blocks of a matrix.</summary>
    void Gemm(Transpose transA, Transpose transB, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc);
    void Gemv(Transpose transA, int m, int n, float alpha, ReadOnlySpan<float> a, ReadOnlySpan<float> x, float beta, Span<float> y);
    void Axpy(float alpha, ReadOnlySpan<float> x, Span<float> y);
    void Axpby(float alpha, ReadOnlySpan<float> x, float beta, Span<float> y);
    void Scal(float alpha, Span<float> x);
    float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y);
    float Asum(ReadOnlySpan<float> x);

    void Add(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y);
    void Sub(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y);
    void Mul(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y);
    void Div(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y);
    void Max(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y);
    void Exp(ReadOnlySpan<float> a, Span<float> y);
    void Log(ReadOnlySpan<float> a, Span<float> y);
    void Pow(ReadOnlySpan<float> a, float power, Span<float> y);
    void Abs(ReadOnlySpan<float> a, Span<float> y);
    void Sqrt(ReadOnlySpan<float> a, Span<float> y);

    /// <summary>y = x &gt; 0 ? x : slope * x.</summary>
    void ReluForward(ReadOnlySpan<float> x, float slope, Span<float> y);
    /// <summary>dx = x &gt; 0 ? dy : slope * dy.</summary>
    void ReluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, float slope, Span<float> dx);

    /// <summary>The columns of all output rows, or of rowCount rows from firstRow.</summary>
    void Im2Col(ReadOnlySpan<float> image, int channels, in ConvolutionGeometry geometry, Span<float> columns, int firstRow = 0, int rowCount = -1);
    void Col2Im(ReadOnlySpan<float> columns, int channels, in ConvolutionGeometry geometry, Span<float> image);

    void MaxPoolForward(ReadOnlySpan<float> bottom, int planes, in PoolingGeometry geometry, Span<float> top, Span<int> argmax);
    void MaxPoolBackward(ReadOnlySpan<float> topDiff, ReadOnlySpan<int> argmax, int planes, in PoolingGeometry geometry, Span<float> bottomDiff);
    void AveragePoolForward(ReadOnlySpan<float> bottom, int planes, in PoolingGeometry geometry, Span<float> top);
    void AveragePoolBackward(ReadOnlySpan<float> topDiff, int planes, in PoolingGeometry geometry, Span<float> bottomDiff);
}
