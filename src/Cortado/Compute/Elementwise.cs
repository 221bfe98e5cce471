using System.Numerics.Tensors;

namespace Cortado.Compute;

/// <summary>
/// The CPU kernels' own sums over host spans (caffe_add, caffe_add_scalar), used inside the CPU
/// convolution; layers' elementwise work goes through the operator structs on the backend.
/// Output may alias an input. Vectorised through TensorPrimitives.
/// </summary>
public static class Elementwise
{
    public static void Add(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y)
    {
        Check(a, b, y);
        ParallelWork.ForRanges(a, b, y, TensorPrimitives.Add);
    }
    public static void AddScalar(ReadOnlySpan<float> a, float alpha, Span<float> y) { Check(a, y); TensorPrimitives.Add(a, alpha, y); }

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
