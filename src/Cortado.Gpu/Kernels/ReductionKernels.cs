using Cortado.Compute;

namespace Cortado.Gpu.Kernels;

/// <summary>
/// Sums in two passes: each group of the fixed grid sums its elements into one partial (in double,
/// by a tree in shared memory), and the host adds the partials in group order. The grid does not
/// depend on the data, so a sum is the same on every run.
/// </summary>
internal static class ReductionKernels
{
    /// <summary>The largest group a reduction runs with: the shared array's size.</summary>
    public const int MaxGroup = 256;

    public static void PartialSums<TOp>(TOp op, Floats a, Floats b, int n, Doubles partials) where TOp : struct, IBinaryOperator
    {
        var shared = SharedMemory.Allocate<double>(MaxGroup);
        double sum = 0;
        for (int i = Lane.First; i < n; i += Lane.Step) sum += op.Invoke(a[i], b[i]);
        shared[Group.IdxX] = sum;
        Group.Barrier();
        TreeSum(shared);
        if (Group.IsFirstThread) partials[Grid.IdxX] = shared[0];
    }

    /// <summary>
    /// target[d] (+)= sum over (outer, inner) of x (times factor when hasFactor): one group per
    /// channel at a time, its threads striding over the channel's elements.
    /// </summary>
    public static void ChannelSums(Floats x, Floats factor, int hasFactor, int outer, int dim, int inner, Floats target, int accumulate)
    {
        var shared = SharedMemory.Allocate<double>(MaxGroup);
        int count = outer * inner;
        for (int d = Grid.IdxX; d < dim; d += Grid.DimX)
        {
            double sum = 0;
            for (int j = Group.IdxX; j < count; j += Group.DimX)
            {
                int o = j / inner, at = (o * dim + d) * inner + j - o * inner;
                sum += hasFactor != 0 ? x[at] * factor[at] : x[at];
            }
            shared[Group.IdxX] = sum;
            Group.Barrier();
            TreeSum(shared);
            if (Group.IsFirstThread) target[d] = (float)((accumulate != 0 ? target[d] : 0f) + shared[0]);
            Group.Barrier();
        }
    }

    /// <summary>Leaves the sum of the group's values in shared[0]; the group size is a power of two.</summary>
    private static void TreeSum(ArrayView<double> shared)
    {
        for (int half = Group.DimX / 2; half > 0; half /= 2)
        {
            if (Group.IdxX < half) shared[Group.IdxX] += shared[Group.IdxX + half];
            Group.Barrier();
        }
    }
}

/// <summary>|a|: Asum as a sum of a binary map (the second operand is ignored).</summary>
internal readonly struct AbsoluteOp : IBinaryOperator
{
    public static bool Vectorized => false;
    public float Invoke(float a, float b) => MathF.Abs(a);
    public System.Numerics.Vector<float> Invoke(System.Numerics.Vector<float> a, System.Numerics.Vector<float> b) => System.Numerics.Vector.Abs(a);
}

/// <summary>a itself: a plain sum.</summary>
internal readonly struct FirstOp : IBinaryOperator
{
    public static bool Vectorized => false;
    public float Invoke(float a, float b) => a;
    public System.Numerics.Vector<float> Invoke(System.Numerics.Vector<float> a, System.Numerics.Vector<float> b) => a;
}

/// <summary>alpha a + beta b: Axpby.</summary>
internal readonly struct LinearOp(float alpha, float beta) : IBinaryOperator
{
    public static bool Vectorized => false;
    public float Invoke(float a, float b) => alpha * a + beta * b;
    public System.Numerics.Vector<float> Invoke(System.Numerics.Vector<float> a, System.Numerics.Vector<float> b) => a * alpha + b * beta;
}
