using System.Buffers;
using System.Numerics.Tensors;
using Cortado.Tensors;

namespace Cortado.Diagnostics;

/// <summary>
/// The measurements the training monitors take of a blob: scale, units that never fire, and the
/// classes a batch of scores predicts. Shared by the diagnose probe and the live monitor.
/// </summary>
public static class BlobStatistics
{
    /// <summary>Values summed in float per chunk (vectorized), the chunks in double: a large blob keeps its precision.</summary>
    private const int Chunk = 4096;

    /// <summary>Root mean square.</summary>
    public static double Rms(ReadOnlySpan<float> values)
    {
        if (values.Length == 0) return 0;
        double sum = 0;
        for (int start = 0; start < values.Length; start += Chunk)
            sum += TensorPrimitives.SumOfSquares(values.Slice(start, Math.Min(Chunk, values.Length - start)));
        return Math.Sqrt(sum / values.Length);
    }

    /// <summary>
    /// Marks the units (positions within one sample) that are positive in any sample of the batch;
    /// <paramref name="seen"/> has one entry per unit and keeps what earlier batches marked.
    /// </summary>
    public static void MarkPositive(ReadOnlySpan<float> values, Span<bool> seen)
    {
        int unit = seen.Length;
        for (int k = 0; k < values.Length; k++) if (values[k] > 0) seen[k % unit] = true;
    }

    /// <summary>The fraction of a blob's units that are not positive for any sample of its batch (the batch's maximum is at most 0).</summary>
    public static double NeverPositiveFraction(Blob blob)
    {
        int unit = blob.CountFrom(1), samples = blob.Shape[0];
        if (unit == 0 || samples == 0) return 0;
        var data = blob.Data;
        var max = ArrayPool<float>.Shared.Rent(unit);
        try
        {
            var highest = max.AsSpan(0, unit);
            data[..unit].CopyTo(highest);
            for (int s = 1; s < samples; s++) TensorPrimitives.Max(highest, data.Slice(s * unit, unit), highest);
            int never = 0;
            foreach (float m in highest) if (!(m > 0)) never++;
            return never / (double)unit;
        }
        finally { ArrayPool<float>.Shared.Return(max); }
    }

    /// <summary>Adds one to <paramref name="counts"/>[c] for each sample whose highest score is class c.</summary>
    public static void CountPredictions(Blob scores, Span<int> counts)
    {
        int n = scores.Shape[0], classes = scores.CountFrom(1);
        if (classes != counts.Length) return;
        var data = scores.Data;
        for (int s = 0; s < n; s++) counts[Argmax(data.Slice(s * classes, classes))]++;
    }

    /// <summary>The fraction of samples whose highest score is their label; NaN when the labels do not fit.</summary>
    public static float Accuracy(Blob scores, Blob labels)
    {
        int n = scores.Shape[0], classes = scores.CountFrom(1), right = 0;
        if (labels.Count != n) return float.NaN;
        var data = scores.Data;
        var truth = labels.Data;
        for (int s = 0; s < n; s++) if (Argmax(data.Slice(s * classes, classes)) == (int)truth[s]) right++;
        return (float)right / n;
    }

    private static int Argmax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int k = 1; k < row.Length; k++) if (row[k] > row[best]) best = k;
        return best;
    }
}
