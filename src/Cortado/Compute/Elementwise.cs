using System.Numerics.Tensors;

namespace Cortado.Compute;

/// <summary>
/// Elementwise operations over spans of equal length (caffe_add, caffe_sub, caffe_mul,
/// caffe_div, caffe_exp, caffe_log, caffe_powx, caffe_abs, caffe_sqrt, caffe_sqr, ...).
/// Output may alias an input. Vectorised through TensorPrimitives.
/// </summary>
public static class Elementwise
{
    public static void Set(float value, Span<float> y) => y.Fill(value);
    public static void Add(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y)
    {
        Check(a, b, y);
        ParallelWork.ForRanges(a, b, y, TensorPrimitives.Add);
    }
    public static void Sub(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) { Check(a, b, y); TensorPrimitives.Subtract(a, b, y); }
    public static void Mul(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y)
    {
        Check(a, b, y);
        ParallelWork.ForRanges(a, b, y, TensorPrimitives.Multiply);
    }
    public static void Div(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) { Check(a, b, y); TensorPrimitives.Divide(a, b, y); }
    /// <summary>Elementwise maximum of two spans.</summary>
    public static void Max(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) { Check(a, b, y); TensorPrimitives.Max(a, b, y); }
    public static void AddScalar(ReadOnlySpan<float> a, float alpha, Span<float> y) { Check(a, y); TensorPrimitives.Add(a, alpha, y); }
    /// <summary>y = alpha * a (caffe_cpu_scale).</summary>
    public static void Scale(float alpha, ReadOnlySpan<float> a, Span<float> y) { Check(a, y); TensorPrimitives.Multiply(a, alpha, y); }
    public static void Exp(ReadOnlySpan<float> a, Span<float> y) { Check(a, y); TensorPrimitives.Exp(a, y); }
    public static void Log(ReadOnlySpan<float> a, Span<float> y) { Check(a, y); TensorPrimitives.Log(a, y); }
    /// <summary>y = a ^ power (caffe_powx).</summary>
    public static void Pow(ReadOnlySpan<float> a, float power, Span<float> y) { Check(a, y); TensorPrimitives.Pow(a, power, y); }
    public static void Abs(ReadOnlySpan<float> a, Span<float> y) { Check(a, y); TensorPrimitives.Abs(a, y); }
    public static void Sqrt(ReadOnlySpan<float> a, Span<float> y) { Check(a, y); TensorPrimitives.Sqrt(a, y); }
    public static void Sqr(ReadOnlySpan<float> a, Span<float> y) { Check(a, y); TensorPrimitives.Multiply(a, a, y); }

    /// <summary>-1, 0 or 1 per element (caffe_cpu_sign).</summary>
    public static void Sign(ReadOnlySpan<float> a, Span<float> y)
    {
        Check(a, y);
        for (int i = 0; i < a.Length; i++) y[i] = a[i] > 0f ? 1f : a[i] < 0f ? -1f : 0f;
    }

    private static void Check(ReadOnlySpan<float> a, Span<float> y)
    {
        if (a.Length != y.Length) throw new ArgumentException($"elementwise: input has {a.Length} elements but output has {y.Length}");
    }

    private static void Check(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y)
    {
        if (a.Length != b.Length || a.Length != y.Length)
            throw new ArgumentException($"elementwise: lengths differ ({a.Length}, {b.Length} -> {y.Length})");
    }
}
