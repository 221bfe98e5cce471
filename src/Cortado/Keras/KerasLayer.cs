using System.Text.Json.Nodes;
using Cortado.Errors;
using Cortado.Proto;

namespace Cortado.Keras;

/// <summary>
/// A layer of a Keras Sequential model: Keras's defaults, Keras's channel-last output shape and
/// parameter count, and the Caffe layers that compute the same thing. Shapes exclude the batch
/// axis: (height, width, channels) for images, (features) after Flatten or Dense.
/// </summary>
public abstract class KerasLayer
{
    /// <summary>The layer's name (Keras's name=...); a model or the first call gives an unnamed layer Keras's automatic one.</summary>
    public string? Name { get; set; }
    private readonly List<KerasNode> _nodes = [];
    private static readonly Dictionary<string, int> CallNames = [];
    /// <summary>Keras's class name, as Summary() and model JSON show it.</summary>
    public abstract string ClassName { get; }
    /// <summary>Keras's automatic name prefix (conv2d, max_pooling2d, ...).</summary>
    public abstract string NamePrefix { get; }
    /// <summary>The input shape given to the first layer (Keras's input_shape), if any.</summary>
    public int[]? InputShape { get; set; }

    internal abstract int[] OutputShape(int[] input);

    /// <summary>The layer's calls in the functional API, in order.</summary>
    internal IReadOnlyList<KerasNode> Nodes => _nodes;

    /// <summary>
    /// Keras's layer(x): the layer applied to tensors of the functional API, giving its output tensor.
    /// Calling a layer again reuses its weights (a shared layer). A shape that does not fit is refused here.
    /// </summary>
    public KerasTensor Call(params KerasTensor[] inputs)
    {
        if (inputs.Length == 0) throw new CortadoException($"Keras layer {ClassName}: Call needs at least one input tensor");
        Name ??= AutomaticName(NamePrefix);
        var node = new KerasNode(this, inputs, _nodes.Count);
        node.Output = new KerasTensor(OutputShape(inputs.Select(t => t.Shape).ToArray()), node, null);
        _nodes.Add(node);
        return node.Output;
    }

    /// <summary>Keras 2's automatic names (dense_1, dense_2, ...), counted over the process as Keras counts them over a session.</summary>
    internal static string AutomaticName(string prefix)
    {
        lock (CallNames)
        {
            int n = CallNames.GetValueOrDefault(prefix) + 1;
            CallNames[prefix] = n;
            return $"{prefix}_{n}";
        }
    }

    /// <summary>The output shape for several inputs (merge layers); other layers take one.</summary>
    internal virtual int[] OutputShape(IReadOnlyList<int[]> inputs) =>
        inputs.Count == 1 ? OutputShape(inputs[0]) : throw Error($"takes one input, but is called on {inputs.Count}");

    /// <summary>The Caffe layers for several inputs (merge layers); other layers take one.</summary>
    internal virtual string ToCaffe(IReadOnlyList<string> bottoms, IReadOnlyList<int[]> inputs, List<LayerParameter> layers, List<string> notes) =>
        ToCaffe(bottoms[0], inputs[0], layers, notes);
    internal virtual long ParamCount(int[] input) => 0;
    internal virtual long NonTrainableCount(int[] input) => 0;

    /// <summary>The layer's weight arrays as Keras names and shapes them (kernel, bias, ...), in Keras's order; none for most layers.</summary>
    internal virtual KerasWeightSpec[] WeightSpecs(int[] input) => [];

    /// <summary>
    /// The layer's own settings as Keras's get_config() gives them, without name, trainable and dtype
    /// (the model writer adds those): what model.to_json() and model.save() write for it.
    /// </summary>
    internal abstract JsonObject Config(KerasVersion format);

    /// <summary>Caffe layers reading <paramref name="bottom"/>; returns the name of the blob they produce.</summary>
    internal abstract string ToCaffe(string bottom, int[] input, List<LayerParameter> layers, List<string> notes);

    protected CortadoException Error(string problem) => new($"Keras layer '{Name}' ({ClassName}): {problem}");

    internal static int[] Spatial(int[] input, string layer, string className)
    {
        if (input.Length != 3) throw new CortadoException($"Keras layer '{layer}' ({className}) needs an image input (height, width, channels), got ({string.Join(", ", input)}); add it before Flatten");
        return input;
    }

    /// <summary>Adds a Caffe activation layer on <paramref name="blob"/> (none for linear); returns the blob it writes.</summary>
    internal static string AddActivation(string? activation, string name, string blob, List<LayerParameter> layers, string owner)
    {
        string? type = activation switch
        {
            null or "linear" => null,
            "relu" => "ReLU",
            "sigmoid" => "Sigmoid",
            "tanh" => "TanH",
            "elu" => "ELU",
            "softmax" => "Softmax",
            _ => throw new CortadoException($"Keras layer '{owner}': activation '{activation}' is not supported; use relu, softmax, sigmoid, tanh, elu or linear"),
        };
        if (type == null) return blob;
        // Softmax is not done in place: the loss reads the logits below it (see Sequential). ELU's
        // backward reads its input, so it cannot overwrite it either.
        string top = type is "Softmax" or "ELU" ? name : blob;
        layers.Add(new LayerParameter { Name = name, Type = type, Bottom = { blob }, Top = { top } });
        return top;
    }
}

/// <summary>One of a layer's weight arrays: Keras's name for it (kernel, bias, gamma, ...) and its shape.</summary>
internal sealed record KerasWeightSpec(string Name, int[] Shape);
