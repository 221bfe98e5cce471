using Cortado.Errors;

namespace Cortado.Tensors;

/// <summary>
/// Shapes read from files (prototxt dims, BlobProto shapes, Datum sizes) checked in one place:
/// each dimension fits an int and is not negative, and the element count fits one buffer. A bad
/// shape is an error naming where it came from, never an overflow deep inside a layer.
/// </summary>
public static class Shapes
{
    public static int[] FromDims(IReadOnlyList<long> dims, string where)
    {
        var shape = new int[dims.Count];
        for (int i = 0; i < dims.Count; i++)
        {
            if (dims[i] < 0 || dims[i] > int.MaxValue)
                throw new CortadoException($"{where}: dimension {i} is {dims[i]}; a dimension must be 0..{int.MaxValue} (shape {string.Join(" x ", dims)})");
            shape[i] = (int)dims[i];
        }
        Count(shape, where);
        return shape;
    }

    /// <summary>The element count, refused past what one buffer can hold.</summary>
    public static long Count(ReadOnlySpan<int> shape, string where)
    {
        long count = 1;
        foreach (int dim in shape)
        {
            if (dim < 0) throw new CortadoException($"{where}: shape {Text(shape)} has a negative dimension");
            count *= dim;
            if (count > Array.MaxLength)
                throw new CortadoException($"{where}: shape {Text(shape)} needs more than {Array.MaxLength:N0} values, more than one buffer can hold");
        }
        return count;
    }

    private static string Text(ReadOnlySpan<int> shape) => string.Join(" x ", shape.ToArray());
}
