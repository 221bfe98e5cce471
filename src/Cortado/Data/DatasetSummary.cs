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
        using var reader = new LmdbReader(path);
        var counts = new SortedDictionary<int, long>();
        float min = float.MaxValue, max = float.MinValue;
        double sum = 0;
        long pixels = 0;
        int runs = 0, previousLabel = int.MinValue, channels = 0, height = 0, width = 0;
        bool encoded = false;
        string first = "", last = "";
        float[] image = [];
        for (long i = 0; i < reader.Count; i++)
        {
            var (key, value) = reader.Next();
            if (i == 0) first = key;
            last = key;
            string where = $"{path} record '{key}'";
            Datum datum;
            try { datum = Datum.Parser.ParseFrom(value); }
            catch (Google.Protobuf.InvalidProtocolBufferException e) { throw new Errors.DataException(where, $"is not a Caffe Datum: {e.Message}"); }
            var shape = DatumImage.Shape(datum, DatumImage.ColorMode.Native, where);
            if (i == 0) { (channels, height, width) = shape; encoded = datum.Encoded; image = new float[channels * height * width]; }
            else if (shape != (channels, height, width))
                throw new Errors.DataException(where, $"is {shape.Channels} x {shape.Height} x {shape.Width} but the first record is {channels} x {height} x {width}");
            DatumImage.Read(datum, image, DatumImage.ColorMode.Native, where);
            foreach (float v in image) { min = Math.Min(min, v); max = Math.Max(max, v); sum += v; }
            pixels += image.Length;
            counts[datum.Label] = counts.GetValueOrDefault(datum.Label) + 1;
            if (datum.Label != previousLabel) runs++;
            previousLabel = datum.Label;
        }
        return new DatasetSummary(reader.Count, channels, height, width, encoded, min, max, sum / Math.Max(pixels, 1), counts, runs, first, last);
    }

    /// <summary>Labels come in long runs of one class: the database was not shuffled.</summary>
    public bool LooksSorted => LabelCounts.Count > 1 && LabelRuns <= LabelCounts.Count * 2;
}
