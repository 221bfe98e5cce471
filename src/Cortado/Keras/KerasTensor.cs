namespace Cortado.Keras;

/// <summary>
/// A symbolic tensor of Keras's functional API: an Input, or a layer's output on its inputs
/// (<see cref="KerasLayer.Call"/>). It holds its shape (without the batch axis) and how it was made;
/// a <see cref="Model"/> is built from its input and output tensors.
/// </summary>
public sealed class KerasTensor
{
    internal KerasTensor(int[] shape, KerasNode? node, Input? input) => (Shape, Node, Input) = (shape, node, input);

    public int[] Shape { get; }
    /// <summary>The call that made it; null for a model input.</summary>
    internal KerasNode? Node { get; }
    /// <summary>The Input layer it is, for a model input.</summary>
    internal Input? Input { get; }

    public override string ToString() => $"KerasTensor(shape=(None, {string.Join(", ", Shape)}), from {(Input != null ? Input.Name : Node!.Layer.Name)})";
}

/// <summary>One call of a layer on its inputs (Keras's node): a layer called twice has two nodes and one set of weights.</summary>
internal sealed class KerasNode(KerasLayer layer, KerasTensor[] inputs, int callIndex)
{
    public KerasLayer Layer { get; } = layer;
    public KerasTensor[] Inputs { get; } = inputs;
    /// <summary>Which call of the layer this is (Keras's node index): 0 for the first.</summary>
    public int CallIndex { get; } = callIndex;
    public KerasTensor Output { get; set; } = null!;
}
