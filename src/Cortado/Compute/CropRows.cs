namespace Cortado.Compute;

/// <summary>
/// A crop as runs of the last axis: row r of the small array (row-major over all axes but the
/// last) starts at the returned offset in the big one. Every backend's Crop copies these runs.
/// </summary>
internal static class CropRows
{
    public static int[] Starts(ReadOnlySpan<int> bigShape, ReadOnlySpan<int> smallShape, ReadOnlySpan<int> offsets)
    {
        int axes = smallShape.Length, rowLength = smallShape[axes - 1];
        int rows = 1;
        for (int a = 0; a < axes - 1; a++) rows *= smallShape[a];
        if (rowLength == 0) rows = 0;
        var starts = new int[rows];
        Span<int> index = stackalloc int[axes];
        for (int r = 0; r < rows; r++)
        {
            int rest = r;
            for (int a = axes - 2; a >= 0; a--) { index[a] = rest % smallShape[a]; rest /= smallShape[a]; }
            int offset = 0;
            for (int a = 0; a < axes - 1; a++) offset = offset * bigShape[a] + index[a] + offsets[a];
            starts[r] = offset * bigShape[axes - 1] + offsets[axes - 1];
        }
        return starts;
    }
}
