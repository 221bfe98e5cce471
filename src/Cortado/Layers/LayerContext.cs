using Cortado.Compute;
using Cortado.Logging;
using Cortado.Proto;

namespace Cortado.Layers;

/// <summary>What every layer of one net shares: the phase, the compute backend, the net's seeded random source and its log.</summary>
public sealed class LayerContext(Phase phase, ICompute compute, CaffeRandom random, CaffeLog log)
{
    public Phase Phase { get; } = phase;
    public ICompute Compute { get; } = compute;
    public CaffeRandom Random { get; } = random;
    public CaffeLog Log { get; } = log;
    /// <summary>This process's part of each batch in data-parallel training (the whole batch otherwise): data layers read it, dropout keys its masks by it.</summary>
    public DataShard Shard { get; init; } = DataShard.Whole;

    public static LayerContext ForTests(Phase phase = Phase.Train, int seed = 1, ICompute? compute = null) =>
        new(phase, compute ?? CpuCompute.Instance, new CaffeRandom(seed), CaffeLog.Null);
}
