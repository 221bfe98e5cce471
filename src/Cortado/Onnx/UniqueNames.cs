namespace Cortado.Onnx;

/// <summary>A namespace of values, nodes or layers: each name taken once, a taken one given the first free numeric suffix.</summary>
internal sealed class UniqueNames
{
    private readonly HashSet<string> _taken = new(StringComparer.Ordinal);

    public string Take(string wanted)
    {
        string name = wanted;
        for (int i = 1; !_taken.Add(name); i++) name = $"{wanted}_{i}";
        return name;
    }

    public bool TryReserve(string name) => _taken.Add(name);
}
