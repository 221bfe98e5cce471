namespace Cortado.Monitoring;

/// <summary>How often the live monitor samples the layers: cheap enough to leave on for a whole run.</summary>
public sealed record MonitorOptions
{
    /// <summary>Sample only on iterations divisible by this.</summary>
    public int SampleEvery { get; init; } = 10;

    /// <summary>And at most this often, so a fast net is not sampled hundreds of times a second.</summary>
    public TimeSpan MinInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The losses the chance test looks back over.</summary>
    public int ChanceWindow { get; init; } = 100;

    /// <summary>The sampled batches whose predictions the one-class test pools.</summary>
    public int PredictionSamples { get; init; } = 10;
}
