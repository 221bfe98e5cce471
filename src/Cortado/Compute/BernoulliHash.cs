using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Cortado.Compute;

/// <summary>
/// Bernoulli masks from a counter-based hash: element i is kept when hash(key, i) falls below
/// p * 2^32. One 64-bit key per mask (drawn from the net's random stream) fixes the whole mask,
/// so it is vectorised, split across threads, and identical on any thread count. The hash is
/// two rounds of a 32-bit integer mixer with full avalanche; dropout needs independence between
/// neighbours, not cryptographic strength.
/// </summary>
public static unsafe class BernoulliHash
{
    /// <summary>
    /// values[i] = <paramref name="one"/> with probability <paramref name="p"/>, else 0, decided by
    /// hash(key, <paramref name="offset"/> + i): a rank holding samples from the offset on draws the
    /// part of the mask one process would draw for the whole batch.
    /// </summary>
    public static void Fill(Span<float> values, double p, float one, ulong key, long offset = 0)
    {
        fixed (float* target = values)
        {
            nint address = (nint)target;
            uint threshold = Threshold(p);
            bool always = p >= 1.0;
            uint first = (uint)offset;
            ParallelWork.For(values.Length, 4, (_, start, end) => Range<StoreMask>(null, (float*)address, start, end, threshold, always, one, key, first));
        }
    }

    /// <summary>
    /// y[i] = x[i] * (<paramref name="one"/> or 0), the factor drawn as <see cref="Fill"/> draws
    /// values[i] for the same key and offset: dropout multiplies the data forward and the gradient
    /// backward by one mask in one pass each, without storing the mask.
    /// </summary>
    public static void Multiply(ReadOnlySpan<float> x, double p, float one, ulong key, long offset, Span<float> y)
    {
        if (x.Length != y.Length) throw new ArgumentException($"bernoulli multiply: {x.Length} inputs for {y.Length} outputs");
        fixed (float* source = x, target = y)
        {
            nint input = (nint)source, output = (nint)target;
            uint threshold = Threshold(p);
            bool always = p >= 1.0;
            uint first = (uint)offset;
            ParallelWork.For(y.Length, 4, (_, start, end) => Range<MultiplyByMask>((float*)input, (float*)output, start, end, threshold, always, one, key, first));
        }
    }

    /// <summary>The hash value below which an element is kept: p * 2^32, clamped.</summary>
    public static uint Threshold(double p) => p <= 0 ? 0u : p >= 1 ? uint.MaxValue : (uint)(p * 4294967296.0);

    /// <summary>What a pass does with each element's factor (one or 0): store it, or multiply an input by it.</summary>
    private interface IMaskUse
    {
        static abstract Vector256<float> Apply(float* x, int i, Vector256<float> factor);
        static abstract float Apply(float* x, int i, float factor);
    }

    private readonly struct StoreMask : IMaskUse
    {
        public static Vector256<float> Apply(float* x, int i, Vector256<float> factor) => factor;
        public static float Apply(float* x, int i, float factor) => factor;
    }

    private readonly struct MultiplyByMask : IMaskUse
    {
        public static Vector256<float> Apply(float* x, int i, Vector256<float> factor) => Vector256.Load(x + i) * factor;
        public static float Apply(float* x, int i, float factor) => x[i] * factor;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Range<TUse>(float* x, float* y, int start, int end, uint threshold, bool always, float one, ulong key, uint first) where TUse : struct, IMaskUse
    {
        uint k0 = (uint)key, k1 = (uint)(key >> 32);
        int i = start;
        if (Vector256.IsHardwareAccelerated)
        {
            var lanes = Vector256.Create(0u, 1, 2, 3, 4, 5, 6, 7);
            var vk0 = Vector256.Create(k0);
            var vk1 = Vector256.Create(k1);
            var vthreshold = Vector256.Create(threshold);
            var vone = Vector256.Create(one);
            for (; i <= end - 8; i += 8)
            {
                var hash = Mix(Mix(Vector256.Create((uint)i + first) + lanes + vk0) ^ vk1);
                var keep = always ? Vector256<uint>.AllBitsSet : Vector256.LessThan(hash, vthreshold);
                TUse.Apply(x, i, keep.AsSingle() & vone).Store(y + i);
            }
        }
        for (; i < end; i++)
            y[i] = TUse.Apply(x, i, always || Keeps((uint)i + first, key, threshold) ? one : 0f);
    }

    /// <summary>Whether the element at <paramref name="counter"/> (offset plus index) is kept; the vector loops compute the same per lane.</summary>
    public static bool Keeps(uint counter, ulong key, uint threshold) => Mix(Mix(counter + (uint)key) ^ (uint)(key >> 32)) < threshold;

    // Chris Wellons's "lowbias32" mixer.
    public static uint Mix(uint x)
    {
        x ^= x >> 16; x *= 0x7feb352d;
        x ^= x >> 15; x *= 0x846ca68b;
        x ^= x >> 16;
        return x;
    }

    private static Vector256<uint> Mix(Vector256<uint> x)
    {
        x ^= Vector256.ShiftRightLogical(x, 16); x *= Vector256.Create(0x7feb352du);
        x ^= Vector256.ShiftRightLogical(x, 15); x *= Vector256.Create(0x846ca68bu);
        x ^= Vector256.ShiftRightLogical(x, 16);
        return x;
    }
}
