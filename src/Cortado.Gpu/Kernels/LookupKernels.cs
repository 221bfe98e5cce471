namespace Cortado.Gpu.Kernels;

/// <summary>
/// Row lookups and the hinge loss's margins. A bad index (not a row, not a class) is not read;
/// its position goes to firstBad (the smallest wins), and the host reports it.
/// </summary>
internal static class LookupKernels
{
    public static void Gather(Floats table, int rows, Floats indices, int rowLength, Floats target, Ints firstBad, int n)
    {
        for (int i = Lane.First; i < n; i += Lane.Step)
        {
            int item = i / rowLength;
            float value = indices[item];
            int row = (int)value;
            if (row != value || row < 0 || row >= rows) { Atomic.Min(ref firstBad[0], item); continue; }
            target[i] = table[row * rowLength + i - item * rowLength];
        }
    }

    /// <summary>table row indices[i] += source row i: one thread per column, walking the items in order, so repeated rows add up deterministically.</summary>
    public static void ScatterAdd(Floats source, Floats indices, int items, Floats table, int rowLength)
    {
        for (int j = Lane.First; j < rowLength; j += Lane.Step)
            for (int i = 0; i < items; i++) table[(int)indices[i] * rowLength + j] += source[i * rowLength + j];
    }

    public static void HingeMargins(Floats x, Floats labels, int dim, Floats margins, Ints firstBad, int n)
    {
        for (int i = Lane.First; i < n; i += Lane.Step)
        {
            int item = i / dim, c = i - item * dim;
            float value = labels[item];
            int truth = (int)value;
            if (truth != value || truth < 0 || truth >= dim) { Atomic.Min(ref firstBad[0], item); continue; }
            margins[i] = Math.Max(0f, 1f - (c == truth ? 1f : -1f) * x[i]);
        }
    }

    public static void HingeGradient(Floats margins, Floats labels, int dim, float scale, int squared, Floats dx, int n)
    {
        for (int i = Lane.First; i < n; i += Lane.Step)
        {
            int item = i / dim, c = i - item * dim;
            float t = c == (int)labels[item] ? 1f : -1f, m = margins[i];
            dx[i] = m > 0f ? -t * scale * (squared != 0 ? 2f * m : 1f) : 0f;
        }
    }
}
