using System.Text.Json.Nodes;
using Cortado.Proto;

namespace Cortado.Keras;

/// <summary>
/// Keras's Reshape(target_shape): the sample's values in Keras's channel-last order, laid out in a new
/// shape (one size may be -1, inferred). Caffe's blobs are channel-first, so an image is first put in
/// Keras's order with a Permute (SSD's layer, which Cortado carries), reshaped with Caffe's Reshape, and
/// an image result permuted back to channel-first: exactly Keras's values, not Caffe's c-h-w reading.
/// </summary>
public sealed class Reshape(params int[] targetShape) : KerasLayer
{
    public override string ClassName => "Reshape";
    public override string NamePrefix => "reshape";
    public int[] TargetShape { get; } = targetShape;

    internal override int[] OutputShape(int[] input)
    {
        int count = input.Aggregate(1, (a, b) => a * b), unknown = Array.IndexOf(TargetShape, -1);
        if (TargetShape.Length == 0 || TargetShape.Count(d => d == -1) > 1 || TargetShape.Any(d => d == 0 || d < -1))
            throw Error($"target_shape ({string.Join(", ", TargetShape)}) must be positive sizes, with at most one -1");
        int known = TargetShape.Where(d => d > 0).Aggregate(1, (a, b) => a * b);
        var output = TargetShape.ToArray();
        if (unknown >= 0) output[unknown] = count % known == 0 ? count / known : -1;
        if (output.Aggregate(1, (a, b) => a * b) != count || output.Contains(-1))
            throw Error($"cannot lay out the {count} values of ({string.Join(", ", input)}) as ({string.Join(", ", TargetShape)})");
        return output;
    }

    internal override JsonObject Config(KerasVersion format) => new() { ["target_shape"] = new JsonArray(TargetShape.Select(d => (JsonNode)d).ToArray()) };

    internal override string ToCaffe(string bottom, int[] input, List<LayerParameter> layers, List<string> notes)
    {
        var output = OutputShape(input);
        string blob = bottom;
        if (input.Length == 3) blob = Permute.Add(layers, Name + "_keras_order", blob, [0, 2, 3, 1]);
        var shape = new BlobShape { Dim = { 0 } };
        shape.Dim.AddRange(output.Select(d => (long)d));
        string reshaped = output.Length == 3 ? Name + "_channel_last" : Name!;
        layers.Add(new LayerParameter { Name = Name, Type = "Reshape", Bottom = { blob }, Top = { reshaped }, ReshapeParam = new ReshapeParameter { Shape = shape } });
        if (output.Length == 3) Permute.Add(layers, Name + "_caffe_order", reshaped, [0, 3, 1, 2], Name);
        if (input.Length == 3 || output.Length == 3)
            notes.Add($"{Name}: Keras reshapes channel-last values; Caffe's blobs are channel-first, so Permute layers (SSD's, carried by Cortado) put the values in Keras's order around Caffe's Reshape");
        return Name!;
    }
}

/// <summary>
/// Keras's Permute(dims): the sample's axes in a new order, counted from 1 (the batch stays first).
/// Written as SSD's Permute layer on Caffe's channel-first axes, with the order mapped from Keras's.
/// </summary>
public sealed class Permute(params int[] dims) : KerasLayer
{
    public override string ClassName => "Permute";
    public override string NamePrefix => "permute";
    public int[] Dims { get; } = dims;

    internal override int[] OutputShape(int[] input)
    {
        if (!Dims.Order().SequenceEqual(Enumerable.Range(1, input.Length)))
            throw Error($"dims ({string.Join(", ", Dims)}) must order the axes 1..{input.Length} of its ({string.Join(", ", input)}) input");
        return Dims.Select(d => input[d - 1]).ToArray();
    }

    internal override JsonObject Config(KerasVersion format) => new() { ["dims"] = new JsonArray(Dims.Select(d => (JsonNode)d).ToArray()) };

    internal override string ToCaffe(string bottom, int[] input, List<LayerParameter> layers, List<string> notes)
    {
        var output = OutputShape(input);
        // Caffe's blob axis of a sample axis (0-based), and back: an image's (h, w, c) is Caffe's (c, h, w) after the batch.
        static int ToCaffe(int axis, int rank) => rank == 3 ? (axis == 2 ? 1 : axis + 2) : axis + 1;
        static int FromCaffe(int axis, int rank) => rank == 3 ? (axis == 1 ? 2 : axis - 2) : axis - 1;
        var order = new int[input.Length + 1];
        for (int j = 1; j <= input.Length; j++) order[j] = ToCaffe(Dims[FromCaffe(j, output.Length)] - 1, input.Length);
        return Add(layers, Name!, bottom, order);
    }

    /// <summary>Adds a Caffe Permute layer; returns its top (the layer's name unless given).</summary>
    internal static string Add(List<LayerParameter> layers, string name, string bottom, int[] order, string? top = null)
    {
        var permute = new PermuteParameter();
        permute.Order.AddRange(order.Select(a => (uint)a));
        layers.Add(new LayerParameter { Name = name, Type = "Permute", Bottom = { bottom }, Top = { top ?? name }, PermuteParam = permute });
        return top ?? name;
    }
}
