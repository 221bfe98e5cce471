using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// Gives the data a new shape without moving them: a dim of 0 copies the bottom's, one dim of
/// -1 is inferred; axis and num_axes select the part of the shape replaced.
/// </summary>
[LayerType("Reshape")]
public sealed class ReshapeLayer(LayerParameter param, LayerContext context) : Layer(param, context)
{
    public override string Type => "Reshape";
    public override int ExactNumBottomBlobs => 1;
    public override int ExactNumTopBlobs => 1;

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.ReshapeParam ?? throw Error("needs reshape_param with a shape");
        var dims = p.Shape?.Dim.Select(d => (int)d).ToList() ?? [];
        var input = bottom[0].Shape;
        int start = p.Axis >= 0 ? p.Axis : input.Count + p.Axis + 1;
        if (start < 0 || start > input.Count) throw Error($"axis {p.Axis} is out of range for a bottom of shape {bottom[0].ShapeString}");
        int end = p.NumAxes == -1 ? input.Count : start + p.NumAxes;
        if (end > input.Count) throw Error($"axis {p.Axis} with num_axes {p.NumAxes} reaches past the bottom's {input.Count} axes");
        var shape = new List<int>(input.Take(start));
        int inferred = -1;
        for (int i = 0; i < dims.Count; i++)
        {
            int dim = dims[i];
            if (dim == 0)
            {
                if (start + i >= input.Count) throw Error($"dim {i} is 0 (copy), but the bottom has no axis {start + i}");
                dim = input[start + i];
            }
            else if (dim == -1)
            {
                if (inferred >= 0) throw Error("only one dim may be -1");
                inferred = shape.Count;
            }
            else if (dim < 0) throw Error($"dim {dim} is invalid; use a positive size, 0 to copy or -1 to infer");
            shape.Add(dim);
        }
        shape.AddRange(input.Skip(end));
        if (inferred >= 0)
        {
            int known = shape.Where((d, i) => i != inferred).Aggregate(1, (a, b) => a * b);
            if (known == 0 || bottom[0].Count % known != 0) throw Error($"cannot infer the -1 dim: {bottom[0].Count} values do not divide into {known}");
            shape[inferred] = bottom[0].Count / known;
        }
        if (shape.Aggregate(1L, (a, b) => a * b) != bottom[0].Count)
            throw Error($"new shape {string.Join(" ", shape)} holds {shape.Aggregate(1L, (a, b) => a * b)} values, the bottom {bottom[0].ShapeString} holds {bottom[0].Count}");
        top[0].Reshape(shape.ToArray());
        top[0].ShareData(bottom[0]);
        top[0].ShareDiff(bottom[0]);
    }

    protected override void ForwardCpu(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) { }
    protected override void BackwardCpu(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom) { }
}
