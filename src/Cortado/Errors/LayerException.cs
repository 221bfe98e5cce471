namespace Cortado.Errors;

/// <summary>A problem with one layer of a net: its set-up, its shapes, or its input values.</summary>
public sealed class LayerException(string layerName, string layerType, string problem)
    : CortadoException($"layer '{layerName}' ({layerType}): {problem}")
{
    public string LayerName { get; } = layerName;
    public string LayerType { get; } = layerType;
    /// <summary>What is wrong, without the layer's name.</summary>
    public string Problem { get; } = problem;
}
