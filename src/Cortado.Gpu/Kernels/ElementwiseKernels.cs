using Cortado.Compute;

namespace Cortado.Gpu.Kernels;

/// <summary>Maps, fills and copies: one element per step, the operator structs of the CPU backend compiled into the kernel.</summary>
internal static class ElementwiseKernels
{
    public static void Map1<TOp>(TOp op, Floats x, Floats y, int n) where TOp : struct, IUnaryOperator
    {
        for (int i = Lane.First; i < n; i += Lane.Step) y[i] = op.Invoke(x[i]);
    }

    public static void Map2<TOp>(TOp op, Floats a, Floats b, Floats y, int n) where TOp : struct, IBinaryOperator
    {
        for (int i = Lane.First; i < n; i += Lane.Step) y[i] = op.Invoke(a[i], b[i]);
    }

    public static void Map3<TOp>(TOp op, Floats a, Floats b, Floats c, Floats y, int n) where TOp : struct, ITernaryOperator
    {
        for (int i = Lane.First; i < n; i += Lane.Step) y[i] = op.Invoke(a[i], b[i], c[i]);
    }

    /// <summary>y[i] = op(x[i], values[d]) for x seen as (outer, dim, inner).</summary>
    public static void MapChannels<TOp>(TOp op, Floats x, Floats values, int dim, int inner, Floats y, int n) where TOp : struct, IBinaryOperator
    {
        for (int i = Lane.First; i < n; i += Lane.Step) y[i] = op.Invoke(x[i], values[i / inner % dim]);
    }

    public static void Fill<T>(ArrayView<T> y, T value, int n) where T : unmanaged
    {
        for (int i = Lane.First; i < n; i += Lane.Step) y[i] = value;
    }

    /// <summary>rows runs of rowLength values, the k-th from k * sourceStride to k * targetStride.</summary>
    public static void CopyRows(Floats source, int sourceStride, Floats target, int targetStride, int rowLength, int n)
    {
        for (int i = Lane.First; i < n; i += Lane.Step)
        {
            int row = i / rowLength, column = i - row * rowLength;
            target[row * targetStride + column] = source[row * sourceStride + column];
        }
    }

    /// <summary>Crop: row r of the small array is the run at bigOffsets[r] of the big one, copied one way or the other.</summary>
    public static void CropRows(Floats big, Ints bigOffsets, Floats small, int rowLength, int toSmall, int n)
    {
        for (int i = Lane.First; i < n; i += Lane.Step)
        {
            int row = i / rowLength, at = bigOffsets[row] + i - row * rowLength;
            if (toSmall != 0) small[i] = big[at];
            else big[at] = small[i];
        }
    }

    public static void IndicesToFloat(Ints indices, Floats values, int n)
    {
        for (int i = Lane.First; i < n; i += Lane.Step) values[i] = indices[i];
    }

    public static void ReluForward(Floats x, float slope, Floats y, int n)
    {
        for (int i = Lane.First; i < n; i += Lane.Step)
        {
            float v = x[i];
            y[i] = v > 0f ? v : slope * v;
        }
    }

    public static void ReluBackward(Floats x, Floats dy, float slope, Floats dx, int n)
    {
        for (int i = Lane.First; i < n; i += Lane.Step) dx[i] = x[i] > 0f ? dy[i] : slope * dy[i];
    }

    /// <summary>y = max(y, x), winner = index where x won (Eltwise MAX).</summary>
    public static void MaxWithWinner(Floats x, int index, Floats y, Ints winner, int n)
    {
        for (int i = Lane.First; i < n; i += Lane.Step)
            if (x[i] > y[i]) { y[i] = x[i]; winner[i] = index; }
    }

    public static void RouteToWinner(Floats dy, Ints winner, int index, Floats dx, int n)
    {
        for (int i = Lane.First; i < n; i += Lane.Step) dx[i] = winner[i] == index ? dy[i] : 0f;
    }

    /// <summary>One solver rule per element; histories says how many of h and h2 the rule reads.</summary>
    public static void Update<TRule>(TRule rule, Floats g, Floats h, Floats h2, int histories, int n) where TRule : struct, IUpdateRule
    {
        for (int i = Lane.First; i < n; i += Lane.Step)
        {
            float gradient = g[i], history = histories > 0 ? h[i] : 0f, history2 = histories > 1 ? h2[i] : 0f;
            rule.Invoke(ref gradient, ref history, ref history2);
            g[i] = gradient;
            if (histories > 0) h[i] = history;
            if (histories > 1) h2[i] = history2;
        }
    }
}
