using System.Globalization;
using Cortado.Errors;

namespace Cortado.Keras;

/// <summary>
/// Keras's functional Model(inputs, outputs): the layers called on tensors from Input up to the
/// outputs, with several inputs and outputs and shared layers (a layer called twice keeps one set
/// of weights). Fit takes one array per input and one label array per output; the outputs' losses
/// are summed, as Keras sums them at equal weights.
/// </summary>
public sealed class Model : KerasModel
{
    private readonly ModelGraph _graph;
    private readonly List<KerasLayer> _layers;

    public Model(KerasTensor input, KerasTensor output, string? name = null) : this([input], [output], name) { }

    public Model(IReadOnlyList<KerasTensor> inputs, IReadOnlyList<KerasTensor> outputs, string? name = null)
    {
        if (inputs.Count == 0 || outputs.Count == 0) throw new CortadoException("a Model needs at least one input and one output tensor");
        if (inputs.FirstOrDefault(t => t.Input == null) is { } notInput) throw new CortadoException($"model inputs must be Input tensors; {notInput} is a layer's output");
        var nodes = new List<KerasNode>();
        var visited = new HashSet<KerasNode>();
        void Visit(KerasTensor tensor)
        {
            if (tensor.Node is not { } node)
            {
                if (!inputs.Contains(tensor)) throw new CortadoException($"the graph reads {tensor}, which is not among the model's inputs");
                return;
            }
            if (!visited.Add(node)) return;
            foreach (var input in node.Inputs) Visit(input);
            nodes.Add(node);
        }
        foreach (var output in outputs) Visit(output);
        _layers = nodes.Select(n => n.Layer).Distinct().ToList();
        var names = inputs.Select(t => t.Input!.Name!).Concat(_layers.Select(l => l.Name!)).ToList();
        if (names.GroupBy(n => n).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new CortadoException($"two layers of the model are named '{twice.Key}'; Keras needs every layer name unique");
        _graph = new ModelGraph(inputs.ToList(), outputs.ToList(), nodes);
        Name = name ?? KerasLayer.AutomaticName("model");
    }

    public override string Name { get; init; }
    public override IReadOnlyList<KerasLayer> Layers => _layers;
    internal override ModelGraph Graph => _graph;
    public IReadOnlyList<KerasTensor> Inputs => _graph.Inputs;
    public IReadOnlyList<KerasTensor> Outputs => _graph.Outputs;

    /// <summary>Keras's functional summary: layer (type), output shape, parameters and the calls each reads ("conv2d_1[0][0]").</summary>
    public void Summary(TextWriter output)
    {
        int[] ends = [32, 53, 65, 98];
        string rule = new('_', 98), doubleRule = new('=', 98);
        output.WriteLine(rule);
        output.WriteLine(Sequential.Row(ends, "Layer (type)", "Output Shape", "Param #", "Connected to"));
        output.WriteLine(doubleRule);
        var rows = Inputs.Select(t => ($"{t.Input!.Name} (InputLayer)", Shape(t), 0L, "")).ToList();
        var seen = new HashSet<KerasLayer>();
        foreach (var node in _graph.Nodes)
        {
            long count = seen.Add(node.Layer) ? node.Layer.ParamCount(node.Inputs[0].Shape) : 0;
            rows.Add(($"{node.Layer.Name} ({node.Layer.ClassName})", Shape(node.Output), count, string.Join(", ", node.Inputs.Select(Source))));
        }
        for (int i = 0; i < rows.Count; i++)
        {
            output.WriteLine(Sequential.Row(ends, rows[i].Item1, rows[i].Item2, rows[i].Item3.ToString(CultureInfo.InvariantCulture), rows[i].Item4));
            output.WriteLine(i == rows.Count - 1 ? doubleRule : rule);
        }
        long total = ParamCount(), frozen = _layers.Sum(l => l.NonTrainableCount(InputOf(l)));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Total params: {total:N0}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Trainable params: {total - frozen:N0}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Non-trainable params: {frozen:N0}"));
        output.WriteLine(rule);

        static string Shape(KerasTensor t) => "(None, " + string.Join(", ", t.Shape) + ")";
        static string Source(KerasTensor t) => t.Input != null ? $"{t.Input.Name}[0][0]" : $"{t.Node!.Layer.Name}[{t.Node.CallIndex}][0]";
    }
}
