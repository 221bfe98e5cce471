namespace Cortado.Layers;

/// <summary>
/// The net's one random source (fillers, dropout masks, data shuffling), seeded from the
/// solver's random_seed so that runs repeat exactly.
/// </summary>
public sealed class CaffeRandom(int seed)
{
    private Random _random = new(seed);

    public int Seed { get; } = seed;

    /// <summary>Restarts the stream at a new seed (the solver does this every iteration, so a resumed run draws what an uninterrupted one would).</summary>
    public void Reseed(int seed) => _random = new Random(seed);

    public static CaffeRandom FromClock() => new(Environment.TickCount);

    public float Uniform(float min, float max) => min + (max - min) * (float)_random.NextDouble();

    public void Uniform(Span<float> values, float min, float max)
    {
        for (int i = 0; i < values.Length; i++) values[i] = Uniform(min, max);
    }

    /// <summary>Normal samples by the Box-Muller transform.</summary>
    public void Gaussian(Span<float> values, float mean, float std)
    {
        for (int i = 0; i < values.Length; i += 2)
        {
            double u1 = 1.0 - _random.NextDouble(), u2 = _random.NextDouble();
            double radius = Math.Sqrt(-2.0 * Math.Log(u1)), angle = 2.0 * Math.PI * u2;
            values[i] = mean + std * (float)(radius * Math.Cos(angle));
            if (i + 1 < values.Length) values[i + 1] = mean + std * (float)(radius * Math.Sin(angle));
        }
    }

    /// <summary>
    /// <paramref name="one"/> with probability p, else 0. One draw from the stream keys the whole
    /// mask (<see cref="Compute.BernoulliHash"/>), so long masks cost little and repeat exactly.
    /// </summary>
    public void Bernoulli(Span<float> values, double p, float one = 1f) => Compute.BernoulliHash.Fill(values, p, one, NextKey());

    /// <summary>One draw from the stream as the key of a counter-based random array (a dropout mask on any backend).</summary>
    public ulong NextKey() => (ulong)_random.NextInt64();

    public int Next(int maxExclusive) => _random.Next(maxExclusive);

    /// <summary>
    /// A well-mixed seed for item <paramref name="index"/> of a stream (SplitMix64's finaliser):
    /// deterministic across processes, unlike HashCode, so a record's draws repeat on resume.
    /// </summary>
    public static int Keyed(int seed, long index)
    {
        ulong z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)index);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return (int)((z ^ (z >> 31)) & int.MaxValue);
    }
}
