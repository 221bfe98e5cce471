namespace Cortado.Compute;

/// <summary>
/// Uniform and Gaussian arrays from the same counter-based hash as <see cref="BernoulliHash"/>:
/// element i depends only on (key, i), so an array repeats exactly on any backend and thread
/// count, and a device can draw it in parallel without a stream to share.
/// </summary>
public static class CounterRandom
{
    /// <summary>A uniform value in [0, 1) from the hash of (key, counter): 24 random bits, every float of the form k / 2^24.</summary>
    public static float Unit(ulong key, uint counter)
    {
        uint hash = BernoulliHash.Mix(BernoulliHash.Mix(counter + (uint)key) ^ (uint)(key >> 32));
        return (hash >> 8) * (1f / 16777216f);
    }

    public static void Uniform(Span<float> values, float min, float max, ulong key)
    {
        for (int i = 0; i < values.Length; i++) values[i] = min + (max - min) * Unit(key, (uint)i);
    }

    /// <summary>Normal values by Box-Muller: element pair (2j, 2j + 1) comes from the uniforms at counters 2j and 2j + 1.</summary>
    public static void Gaussian(Span<float> values, float mean, float std, ulong key)
    {
        for (int i = 0; i < values.Length; i += 2)
        {
            double u1 = 1.0 - Unit(key, (uint)i), u2 = Unit(key, (uint)i + 1);
            double radius = Math.Sqrt(-2.0 * Math.Log(u1)), angle = 2.0 * Math.PI * u2;
            values[i] = mean + std * (float)(radius * Math.Cos(angle));
            if (i + 1 < values.Length) values[i + 1] = mean + std * (float)(radius * Math.Sin(angle));
        }
    }
}
