using Cortado.Compute;

namespace Cortado.Gpu.Kernels;

/// <summary>
/// The counter-based draws of <see cref="BernoulliHash"/> and <see cref="CounterRandom"/>: element i
/// depends on (key, i) only, so the device draws exactly the CPU backend's values.
/// </summary>
internal static class RandomKernels
{
    public static void Bernoulli(Floats y, uint threshold, int always, float one, ulong key, uint first, int n)
    {
        for (int i = Lane.First; i < n; i += Lane.Step)
            y[i] = always != 0 || BernoulliHash.Keeps((uint)i + first, key, threshold) ? one : 0f;
    }

    public static void MultiplyBernoulli(Floats x, uint threshold, int always, float one, ulong key, uint first, Floats y, int n)
    {
        for (int i = Lane.First; i < n; i += Lane.Step)
            y[i] = x[i] * (always != 0 || BernoulliHash.Keeps((uint)i + first, key, threshold) ? one : 0f);
    }

    public static void Uniform(Floats y, float min, float max, ulong key, int n)
    {
        for (int i = Lane.First; i < n; i += Lane.Step) y[i] = min + (max - min) * CounterRandom.Unit(key, (uint)i);
    }

    /// <summary>Box-Muller per pair (2j, 2j + 1), in double as on the CPU.</summary>
    public static void Gaussian(Floats y, float mean, float std, ulong key, int n)
    {
        int pairs = (n + 1) / 2;
        for (int j = Lane.First; j < pairs; j += Lane.Step)
        {
            int i = 2 * j;
            double u1 = 1.0 - CounterRandom.Unit(key, (uint)i), u2 = CounterRandom.Unit(key, (uint)i + 1);
            double radius = Math.Sqrt(-2.0 * Math.Log(u1)), angle = 2.0 * Math.PI * u2;
            y[i] = mean + std * (float)(radius * Math.Cos(angle));
            if (i + 1 < n) y[i + 1] = mean + std * (float)(radius * Math.Sin(angle));
        }
    }
}
