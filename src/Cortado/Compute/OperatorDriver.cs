using System.Numerics;
using System.Runtime.CompilerServices;

namespace Cortado.Compute;

/// <summary>
/// The one loop behind every elementwise map, reduction and solver update on host memory: vector
/// lanes where the operator has a vector form, then a scalar tail. Long arrays are split among
/// threads in blocks of <see cref="Block"/> elements, so which elements take the vector path
/// depends only on their index, and results are identical on any thread count.
/// Outputs may be the same memory as inputs (each element is read before it is written).
/// </summary>
public static unsafe class OperatorDriver
{
    /// <summary>A multiple of every vector width, so block edges never split a vector.</summary>
    public const int Block = 4096;

    public static void Map<TOp>(TOp op, ReadOnlySpan<float> x, Span<float> y) where TOp : struct, IUnaryOperator
    {
        Check(x.Length, y.Length);
        fixed (float* px = x, py = y)
        {
            if (Splits(y.Length)) MapSplit(op, (nint)px, (nint)py, y.Length);
            else Unary(op, px, py, 0, y.Length);
        }
    }

    public static void Map<TOp>(TOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) where TOp : struct, IBinaryOperator
    {
        Check(a.Length, y.Length); Check(b.Length, y.Length);
        fixed (float* pa = a, pb = b, py = y)
        {
            if (Splits(y.Length)) MapSplit(op, (nint)pa, (nint)pb, (nint)py, y.Length);
            else Binary(op, pa, pb, py, 0, y.Length);
        }
    }

    public static void Map<TOp>(TOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, Span<float> y) where TOp : struct, ITernaryOperator
    {
        Check(a.Length, y.Length); Check(b.Length, y.Length); Check(c.Length, y.Length);
        fixed (float* pa = a, pb = b, pc = c, py = y)
        {
            if (Splits(y.Length)) MapSplit(op, (nint)pa, (nint)pb, (nint)pc, (nint)py, y.Length);
            else Ternary(op, pa, pb, pc, py, 0, y.Length);
        }
    }

    /// <summary>Sum of op(a[i], b[i]) in double, in index order (one thread: a loss is short, and its sum must not depend on the split).</summary>
    public static double Sum<TOp>(TOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b) where TOp : struct, IBinaryOperator
    {
        Check(a.Length, b.Length);
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += op.Invoke(a[i], b[i]);
        return sum;
    }

    public static void Update<TRule>(TRule rule, Span<float> g, Span<float> h, Span<float> h2) where TRule : struct, IUpdateRule
    {
        if (TRule.Histories > 0) Check(h.Length, g.Length);
        if (TRule.Histories > 1) Check(h2.Length, g.Length);
        fixed (float* pg = g, ph = h, ph2 = h2)
        {
            if (Splits(g.Length)) UpdateSplit(rule, (nint)pg, (nint)ph, (nint)ph2, g.Length);
            else UpdateRange(rule, pg, ph, ph2, 0, g.Length);
        }
    }

    // Short maps run inline, without a closure: most of a net's maps are below the split size.
    private static bool Splits(int length)
    {
        int blocks = (length + Block - 1) / Block;
        return blocks > 1 && ParallelWork.PartsFor(blocks, Block) > 1;
    }

    // The split paths live apart so that their closures are allocated only when a map is split.
    private static void MapSplit<TOp>(TOp op, nint x, nint y, int length) where TOp : struct, IUnaryOperator =>
        ForBlocks(length, (start, end) => Unary(op, (float*)x, (float*)y, start, end));

    private static void MapSplit<TOp>(TOp op, nint a, nint b, nint y, int length) where TOp : struct, IBinaryOperator =>
        ForBlocks(length, (start, end) => Binary(op, (float*)a, (float*)b, (float*)y, start, end));

    private static void MapSplit<TOp>(TOp op, nint a, nint b, nint c, nint y, int length) where TOp : struct, ITernaryOperator =>
        ForBlocks(length, (start, end) => Ternary(op, (float*)a, (float*)b, (float*)c, (float*)y, start, end));

    private static void UpdateSplit<TRule>(TRule rule, nint g, nint h, nint h2, int length) where TRule : struct, IUpdateRule =>
        ForBlocks(length, (start, end) => UpdateRange(rule, (float*)g, (float*)h, (float*)h2, start, end));

    private static void ForBlocks(int length, Action<int, int> range)
    {
        int blocks = (length + Block - 1) / Block;
        ParallelWork.For(blocks, Block, (_, first, last) => range(first * Block, Math.Min(length, last * Block)));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Unary<TOp>(TOp op, float* x, float* y, int start, int end) where TOp : struct, IUnaryOperator
    {
        int i = start;
        if (TOp.Vectorized && Vector.IsHardwareAccelerated)
            for (int w = Vector<float>.Count; i <= end - w; i += w)
                op.Invoke(Unsafe.ReadUnaligned<Vector<float>>(x + i)).Store(y + i);
        for (; i < end; i++) y[i] = op.Invoke(x[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Binary<TOp>(TOp op, float* a, float* b, float* y, int start, int end) where TOp : struct, IBinaryOperator
    {
        int i = start;
        if (TOp.Vectorized && Vector.IsHardwareAccelerated)
            for (int w = Vector<float>.Count; i <= end - w; i += w)
                op.Invoke(Unsafe.ReadUnaligned<Vector<float>>(a + i), Unsafe.ReadUnaligned<Vector<float>>(b + i)).Store(y + i);
        for (; i < end; i++) y[i] = op.Invoke(a[i], b[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Ternary<TOp>(TOp op, float* a, float* b, float* c, float* y, int start, int end) where TOp : struct, ITernaryOperator
    {
        int i = start;
        if (TOp.Vectorized && Vector.IsHardwareAccelerated)
            for (int w = Vector<float>.Count; i <= end - w; i += w)
                op.Invoke(Unsafe.ReadUnaligned<Vector<float>>(a + i), Unsafe.ReadUnaligned<Vector<float>>(b + i), Unsafe.ReadUnaligned<Vector<float>>(c + i)).Store(y + i);
        for (; i < end; i++) y[i] = op.Invoke(a[i], b[i], c[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void UpdateRange<TRule>(TRule rule, float* g, float* h, float* h2, int start, int end) where TRule : struct, IUpdateRule
    {
        float none = 0f, none2 = 0f;
        Vector<float> noneV = default, none2V = default;
        int i = start;
        if (TRule.Vectorized && Vector.IsHardwareAccelerated)
            for (int w = Vector<float>.Count; i <= end - w; i += w)
            {
                ref var vg = ref Unsafe.AsRef<Vector<float>>(g + i);
                ref var vh = ref TRule.Histories > 0 ? ref Unsafe.AsRef<Vector<float>>(h + i) : ref noneV;
                ref var vh2 = ref TRule.Histories > 1 ? ref Unsafe.AsRef<Vector<float>>(h2 + i) : ref none2V;
                rule.Invoke(ref vg, ref vh, ref vh2);
            }
        for (; i < end; i++)
        {
            ref float sh = ref TRule.Histories > 0 ? ref h[i] : ref none;
            ref float sh2 = ref TRule.Histories > 1 ? ref h2[i] : ref none2;
            rule.Invoke(ref g[i], ref sh, ref sh2);
        }
    }

    /// <summary>y[i] = op(x[i], value) over one run: a channel's stretch of a broadcast.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MapRun<TOp>(TOp op, ReadOnlySpan<float> x, float value, Span<float> y) where TOp : struct, IBinaryOperator
    {
        Check(x.Length, y.Length);
        int i = 0;
        if (TOp.Vectorized && Vector.IsHardwareAccelerated)
        {
            var broadcast = new Vector<float>(value);
            for (int w = Vector<float>.Count; i <= x.Length - w; i += w)
                op.Invoke(new Vector<float>(x.Slice(i, w)), broadcast).CopyTo(y.Slice(i, w));
        }
        for (; i < x.Length; i++) y[i] = op.Invoke(x[i], value);
    }

    private static void Check(int length, int expected)
    {
        if (length != expected) throw new ArgumentException($"elementwise: an operand has {length} elements but the output has {expected}");
    }
}
