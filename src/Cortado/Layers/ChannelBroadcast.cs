using Cortado.Compute;
using Cortado.Errors;
using Cortado.Tensors;

namespace Cortado.Layers;

/// <summary>
/// The (outer, dim, inner) layout Scale and Bias use to apply a per-"dim" value to a bottom:
/// the operand covers the bottom's axes [axis, axis + its rank).
/// </summary>
internal static class ChannelBroadcast
{
    public static ChannelLayout Of(Blob bottom, IReadOnlyList<int> operandShape, int axis, Func<string, LayerException> error)
    {
        int start = operandShape.Count == 0 ? 0 : bottom.CanonicalAxis(axis);
        if (start + operandShape.Count > bottom.NumAxes)
            throw error($"an operand of shape {string.Join(" ", operandShape)} from axis {start} reaches past the bottom's {bottom.NumAxes} axes ({bottom.ShapeString})");
        for (int i = 0; i < operandShape.Count; i++)
            if (operandShape[i] != bottom.Shape[start + i])
                throw error($"operand dimension {i} is {operandShape[i]} but the bottom's axis {start + i} is {bottom.Shape[start + i]} ({bottom.ShapeString})");
        int dim = operandShape.Aggregate(1, (a, b) => a * b);
        return new ChannelLayout(bottom.CountRange(0, start), dim, bottom.CountFrom(start + operandShape.Count));
    }

    /// <summary>The operand's shape for a learned parameter: num_axes axes of the bottom from axis (-1: all the rest).</summary>
    public static int[] ParameterShape(Blob bottom, int axis, int numAxes, Func<string, LayerException> error)
    {
        int start = bottom.CanonicalAxis(axis);
        if (numAxes < -1) throw error($"num_axes must be -1 or more, got {numAxes}");
        int end = numAxes == -1 ? bottom.NumAxes : start + numAxes;
        if (end > bottom.NumAxes) throw error($"axis {axis} with num_axes {numAxes} reaches past the bottom's {bottom.NumAxes} axes");
        return bottom.Shape.Skip(start).Take(end - start).ToArray();
    }
}
