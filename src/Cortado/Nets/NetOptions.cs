using Cortado.Compute;
using Cortado.Layers;
using Cortado.Logging;

namespace Cortado.Nets;

/// <summary>How a net is built: its backend, random source and log.</summary>
public sealed record NetOptions
{
    public ICompute Compute { get; init; } = CpuCompute.Instance;
    /// <summary>The net's random source; one seeded with 1 when not given.</summary>
    public CaffeRandom? Random { get; init; }
    public CaffeLog Log { get; init; } = CaffeLog.Null;
    /// <summary>This process's part of each batch when training data-parallel.</summary>
    public DataShard Shard { get; init; } = DataShard.Whole;
}
