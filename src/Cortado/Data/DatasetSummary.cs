using Cortado.Proto;

namespace Cortado.Data;

/// <summary>
/// What is in an LMDB of Datum records, read in full: the first thing to look at when a net does
/// not learn (raw 0..255 pixels, a label range wider than the classifier, labels in sorted runs).
/// </summary>
public sealed record DatasetSummary(
    long Count, int Channels, int Height, int Width, bool Encoded,
    float PixelMin, float PixelMax, double PixelMean,
    IReadOnlyDictionary<int, long> LabelCounts, int LabelRuns, string FirstKey, string LastKey)
{
    public static DatasetSummary Read(string path)
    {
        var counts = new SortedDictionary<int, long>();
        float min = float.MaxValue, max = float.MinValue;
        double sum = 0;
        long pixels = 0, count = 0;
        int runs = 0, previousLabel = int.MinValue;
        (int Channels, int Height, int Width) shape = default;
        bool encoded = false;
        string first = "", last = "";
        foreach (var (key, datum, image, imageShape) in DatumRecords.ReadAll(path))
        {
            if (count++ == 0) { first = key; shape = imageShape; encoded = datum.Encoded; }
            last = key;
            foreach (float v in image) { min = Math.Min(min, v); max = Math.Max(max, v); sum += v; }
            pixels += image.Length;
            counts[datum.Label] = counts.GetValueOrDefault(datum.Label) + 1;
            if (datum.Label != previousLabel) runs++;
            previousLabel = datum.Label;
        }
        return new DatasetSummary(count, shape.Channels, shape.Height, shape.Width, encoded, min, max, sum / Math.Max(pixels, 1), counts, runs, first, last);
    }

    /// <summary>Labels come in long runs of one class: the database was not shuffled.</summary>
    public bool LooksSorted => LabelCounts.Count > 1 && LabelRuns <= LabelCounts.Count * 2;
}
