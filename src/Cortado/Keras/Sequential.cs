using System.Globalization;
using Cortado.Errors;

namespace Cortado.Keras;

/// <summary>
/// Keras's Sequential model in C#, with Keras's names and defaults: a chain of layers, each reading
/// the one before. It trains on Cortado's one engine as every <see cref="KerasModel"/> does, and can be
/// exported to prototxt and compared with a Caffe port layer by layer. Data follow Keras's layout:
/// samples of (height, width, channels), channel-last.
/// </summary>
public sealed class Sequential : KerasModel
{
    private readonly List<KerasLayer> _layers = [];
    private readonly Dictionary<string, int> _nameCounts = [];
    private int[]? _pendingInput;
    private ModelGraph? _graph;

    public Sequential(params KerasLayer[] layers)
    {
        foreach (var layer in layers) Add(layer);
    }

    public override IReadOnlyList<KerasLayer> Layers => _layers;
    public int[] InputShape => _layers.Count > 0 && _layers[0].InputShape is { } shape ? shape : throw new CortadoException("the first layer needs an InputShape: (height, width, channels), or (features) for a Dense first");
    public override string Name { get; init; } = "sequential_1";

    public Sequential Add(KerasLayer layer)
    {
        if (layer is Input input)
        {
            if (_layers.Count > 0) throw new CortadoException("Input must come first");
            _pendingInput = input.Shape;
            return this;
        }
        if (_layers.Count == 0 && _pendingInput != null && layer.InputShape == null) layer.InputShape = _pendingInput;
        if (_layers.Count == 0 && layer.InputShape == null) throw new CortadoException($"the first layer ({layer.ClassName}) needs InputShape, e.g. InputShape = [24, 15, 1] (height, width, channels)");
        if (layer.Name == null)
        {
            int n = _nameCounts.GetValueOrDefault(layer.NamePrefix) + 1;
            _nameCounts[layer.NamePrefix] = n;
            layer.Name = $"{layer.NamePrefix}_{n}";
        }
        _layers.Add(layer);
        _graph = null;
        GraphChanged();
        return this;
    }

    /// <summary>The chain as calls: each layer once, on the output of the one before.</summary>
    internal override ModelGraph Graph
    {
        get
        {
            if (_graph != null) return _graph;
            if (InputShape.Length is not (1 or 3)) throw new CortadoException($"InputShape must be (height, width, channels) or (features), got ({string.Join(", ", InputShape)})");
            var input = new KerasTensor(InputShape, null, null);
            var nodes = new List<KerasNode>();
            var current = input;
            foreach (var layer in _layers)
            {
                var node = new KerasNode(layer, [current], 0);
                node.Output = new KerasTensor(layer.OutputShape(current.Shape), node, null);
                nodes.Add(node);
                current = node.Output;
            }
            return _graph = new ModelGraph([input], [current], nodes);
        }
    }

    /// <summary>Loads a model saved by Save or by Keras (.keras, or .h5 from model.save), compiled as it was saved unless <paramref name="compile"/> is false.</summary>
    public static new Sequential Load(string path, bool compile = true) => KerasModelFile.Load(path, compile);

    /// <summary>Each layer's output shape (Keras's, without the batch axis); a layer that does not fit its input names itself.</summary>
    public IReadOnlyList<int[]> OutputShapes() => Graph.Nodes.Select(n => n.Output.Shape).ToList();

    /// <summary>Keras's summary table: layer (type), output shape, parameter count, and the totals.</summary>
    public void Summary(TextWriter output)
    {
        var shapes = OutputShapes();
        string rule = new('_', 65), doubleRule = new('=', 65);
        output.WriteLine(rule);
        output.WriteLine(Row("Layer (type)", "Output Shape", "Param #"));
        output.WriteLine(doubleRule);
        long total = 0, frozen = 0;
        var input = InputShape;
        for (int i = 0; i < _layers.Count; i++)
        {
            long count = _layers[i].ParamCount(input);
            total += count;
            frozen += _layers[i].NonTrainableCount(input);
            string shape = "(None, " + string.Join(", ", shapes[i]) + ")";
            output.WriteLine(Row($"{_layers[i].Name} ({_layers[i].ClassName})", shape, count.ToString(CultureInfo.InvariantCulture)));
            output.WriteLine(i == _layers.Count - 1 ? doubleRule : rule);
            input = shapes[i];
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Total params: {total:N0}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Trainable params: {total - frozen:N0}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Non-trainable params: {frozen:N0}"));
        output.WriteLine(rule);
    }

    /// <summary>Keras's print_row: each field is cut at its column's end (29, 55, 65), and the last character before the next field becomes a space.</summary>
    internal static string Row(int[] ends, params string[] fields)
    {
        var line = "";
        for (int i = 0; i < fields.Length; i++)
        {
            if (i > 0) line = line[..^1] + " ";
            line += fields[i];
            if (line.Length > ends[i]) line = line[..ends[i]];
            line = line.PadRight(ends[i]);
        }
        return line;
    }

    private static string Row(params string[] fields) => Row([29, 55, 65], fields);

    /// <summary>
    /// Trains on samples <paramref name="x"/> (channel-last, flattened) with class labels <paramref name="y"/>,
    /// printing Keras-style lines per epoch; validation from validationData or the last validationSplit of x.
    /// </summary>
    public History Fit(float[] x, int[] y, int batchSize = 32, int epochs = 1, (float[] X, int[] Y)? validationData = null,
        double validationSplit = 0, bool shuffle = true, TextWriter? output = null, IEnumerable<Callbacks.Callback>? callbacks = null,
        float[]? sampleWeight = null, IReadOnlyDictionary<int, double>? classWeight = null) =>
        Fit([x], [y], batchSize, epochs, validationData is { } v ? ([v.X], [v.Y]) : null, validationSplit, shuffle, output, callbacks,
            sampleWeight == null ? null : [sampleWeight], classWeight);

    /// <summary>Fit with target values (binary_crossentropy, mse, mae): the output's shape per sample, channel-last and flattened.</summary>
    public History Fit(float[] x, float[] y, int batchSize = 32, int epochs = 1, (float[] X, float[] Y)? validationData = null,
        double validationSplit = 0, bool shuffle = true, TextWriter? output = null, IEnumerable<Callbacks.Callback>? callbacks = null, float[]? sampleWeight = null) =>
        Fit([x], [y], batchSize, epochs, validationData is { } v ? ([v.X], [v.Y]) : null, validationSplit, shuffle, output, callbacks,
            sampleWeight == null ? null : [sampleWeight]);

    /// <summary>Fit with one-hot targets (categorical_crossentropy's form): each row's largest entry is the class.</summary>
    public History Fit(float[] x, float[][] oneHot, int batchSize = 32, int epochs = 1, double validationSplit = 0, bool shuffle = true, TextWriter? output = null,
        IEnumerable<Callbacks.Callback>? callbacks = null) =>
        Fit(x, oneHot.Select(ArgMax).ToArray(), batchSize, epochs, null, validationSplit, shuffle, output, callbacks);

    private static int ArgMax(float[] row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++) if (row[i] > row[best]) best = i;
        return best;
    }

    /// <summary>Mean loss and accuracy over the samples, with dropout off (Keras's test mode).</summary>
    public (double Loss, double Accuracy) Evaluate(float[] x, int[] y, int batchSize = 32)
    {
        var metrics = EvaluateMetrics(x, y, batchSize);
        return (metrics["loss"], metrics["acc"]);
    }

    /// <summary>Every compiled metric's mean over the samples, by Keras's history name (loss, acc, then the top-k metrics).</summary>
    public IReadOnlyDictionary<string, double> EvaluateMetrics(float[] x, int[] y, int batchSize = 32) => EvaluateMetrics([x], [y], batchSize);

    /// <summary>EvaluateMetrics with target values (binary_crossentropy, mse, mae).</summary>
    public IReadOnlyDictionary<string, double> EvaluateMetrics(float[] x, float[] y, int batchSize = 32) => EvaluateMetrics([x], [y], batchSize);

    public float[] Predict(float[] x, int batchSize = 32) => Predict([x], batchSize)[0];
}
