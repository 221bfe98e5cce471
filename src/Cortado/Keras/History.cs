namespace Cortado.Keras;

/// <summary>What Fit returns, as Keras's History: one value per epoch for loss, acc, val_loss, val_acc.</summary>
public sealed class History
{
    public Dictionary<string, List<double>> Metrics { get; } = [];

    public IReadOnlyList<double> this[string name] => Metrics.TryGetValue(name, out var values) ? values : [];

    internal void Add(string name, double value)
    {
        if (!Metrics.TryGetValue(name, out var values)) Metrics[name] = values = [];
        values.Add(value);
    }
}
