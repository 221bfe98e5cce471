namespace Cortado.Diagnostics;

/// <summary>What the probe run recorded per iteration: the loss, and per learnable layer the rms of its output and of its weight gradient.</summary>
public sealed class ProbeTrace
{
    public List<float> Losses { get; } = [];
    /// <summary>The fraction of each training batch the net classified right (before that step's update).</summary>
    public List<float> BatchAccuracy { get; } = [];
    public Dictionary<string, List<double>> ActivationRms { get; } = [];
    public Dictionary<string, List<double>> GradientRms { get; } = [];

    internal void Add(Dictionary<string, List<double>> series, string layer, double value)
    {
        if (!series.TryGetValue(layer, out var values)) series[layer] = values = [];
        values.Add(value);
    }
}
