using System.Text.Json.Nodes;
using Cortado.Proto;

namespace Cortado.Keras;

/// <summary>
/// Keras's merge layers, called on two or more tensors of one shape: Add, Subtract (two inputs),
/// Multiply, Average and Maximum. Each is Caffe's Eltwise: SUM, SUM with coefficients 1 and -1,
/// PROD, SUM with coefficients 1/n, MAX.
/// </summary>
public abstract class Merge : KerasLayer
{
    private protected abstract EltwiseParameter Operation(int inputs);

    internal override int[] OutputShape(int[] input) => throw Error("merges two or more tensors; call it on them: layer.Call(a, b)");

    internal override int[] OutputShape(IReadOnlyList<int[]> inputs)
    {
        if (inputs.Count < 2) throw Error($"merges two or more tensors, got {inputs.Count}");
        if (inputs.Any(s => !s.SequenceEqual(inputs[0])))
            throw Error($"its inputs must have one shape, got {string.Join(" and ", inputs.Select(s => "(" + string.Join(", ", s) + ")"))}");
        return inputs[0];
    }

    internal override string ToCaffe(string bottom, int[] input, List<LayerParameter> layers, List<string> notes) => throw Error("merges two or more tensors");

    internal override string ToCaffe(IReadOnlyList<string> bottoms, IReadOnlyList<int[]> inputs, List<LayerParameter> layers, List<string> notes)
    {
        var layer = new LayerParameter { Name = Name, Type = "Eltwise", Top = { Name }, EltwiseParam = Operation(bottoms.Count) };
        layer.Bottom.AddRange(bottoms);
        layers.Add(layer);
        return Name!;
    }

    internal override JsonObject Config(KerasVersion format) => [];
}

public sealed class Add : Merge
{
    public override string ClassName => "Add";
    public override string NamePrefix => "add";
    private protected override EltwiseParameter Operation(int inputs) => new() { Operation = EltwiseParameter.Types.EltwiseOp.Sum };
}

public sealed class Subtract : Merge
{
    public override string ClassName => "Subtract";
    public override string NamePrefix => "subtract";

    internal override int[] OutputShape(IReadOnlyList<int[]> inputs) =>
        inputs.Count == 2 ? base.OutputShape(inputs) : throw Error($"subtracts exactly two tensors, got {inputs.Count}");

    private protected override EltwiseParameter Operation(int inputs) => new() { Operation = EltwiseParameter.Types.EltwiseOp.Sum, Coeff = { 1, -1 } };
}

public sealed class Multiply : Merge
{
    public override string ClassName => "Multiply";
    public override string NamePrefix => "multiply";
    private protected override EltwiseParameter Operation(int inputs) => new() { Operation = EltwiseParameter.Types.EltwiseOp.Prod };
}

public sealed class Average : Merge
{
    public override string ClassName => "Average";
    public override string NamePrefix => "average";

    private protected override EltwiseParameter Operation(int inputs)
    {
        var sum = new EltwiseParameter { Operation = EltwiseParameter.Types.EltwiseOp.Sum };
        for (int i = 0; i < inputs; i++) sum.Coeff.Add(1f / inputs);
        return sum;
    }
}

public sealed class Maximum : Merge
{
    public override string ClassName => "Maximum";
    public override string NamePrefix => "maximum";
    private protected override EltwiseParameter Operation(int inputs) => new() { Operation = EltwiseParameter.Types.EltwiseOp.Max };
}

/// <summary>
/// Keras's Concatenate(axis = -1): tensors joined along an axis, the others equal. Keras's axes
/// count the batch as 0 and images as (height, width, channels); Caffe's Concat joins the same axis
/// of its channel-first blobs (channels 1, height 2, width 3).
/// </summary>
public sealed class Concatenate(int axis = -1) : KerasLayer
{
    public override string ClassName => "Concatenate";
    public override string NamePrefix => "concatenate";
    public int Axis { get; } = axis;

    /// <summary>The axis within a sample (0-based, batch excluded) for a sample of the given rank.</summary>
    private int SampleAxis(int rank)
    {
        int axis = Axis < 0 ? rank + Axis : Axis - 1;
        if (axis < 0 || axis >= rank) throw Error($"axis {Axis} is outside a sample of {rank} dimensions (plus the batch)");
        return axis;
    }

    internal override int[] OutputShape(int[] input) => throw Error("joins two or more tensors; call it on them: layer.Call(a, b)");

    internal override int[] OutputShape(IReadOnlyList<int[]> inputs)
    {
        if (inputs.Count < 2) throw Error($"joins two or more tensors, got {inputs.Count}");
        int rank = inputs[0].Length, axis = SampleAxis(rank);
        for (int d = 0; d < rank; d++)
            if (d != axis && inputs.Any(s => s.Length != rank || s[d] != inputs[0][d]))
                throw Error($"its inputs must agree on every axis but {Axis}, got {string.Join(" and ", inputs.Select(s => "(" + string.Join(", ", s) + ")"))}");
        var output = inputs[0].ToArray();
        output[axis] = inputs.Sum(s => s[axis]);
        return output;
    }

    internal override string ToCaffe(string bottom, int[] input, List<LayerParameter> layers, List<string> notes) => throw Error("joins two or more tensors");

    internal override string ToCaffe(IReadOnlyList<string> bottoms, IReadOnlyList<int[]> inputs, List<LayerParameter> layers, List<string> notes)
    {
        int rank = inputs[0].Length, axis = SampleAxis(rank);
        // Channel-last (h, w, c) is Caffe's (c, h, w); other ranks keep their order after the batch.
        int caffeAxis = rank == 3 ? (axis == 2 ? 1 : axis + 2) : axis + 1;
        var layer = new LayerParameter { Name = Name, Type = "Concat", Top = { Name }, ConcatParam = new ConcatParameter { Axis = caffeAxis } };
        layer.Bottom.AddRange(bottoms);
        layers.Add(layer);
        return Name!;
    }

    internal override JsonObject Config(KerasVersion format) => new() { ["axis"] = Axis };
}
