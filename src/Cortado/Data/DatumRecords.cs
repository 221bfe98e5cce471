using Cortado.Errors;
using Cortado.Proto;
using Google.Protobuf;

namespace Cortado.Data;

/// <summary>The records of an LMDB as Datums: parsed with errors that name the record, and decoded with one shape checked throughout.</summary>
public static class DatumRecords
{
    public static Datum Parse(byte[] value, string source, string key)
    {
        try { return Datum.Parser.ParseFrom(value); }
        catch (InvalidProtocolBufferException e) { throw new DataException($"{source} record '{key}'", $"is not a Caffe Datum ({value.Length} bytes): {e.Message}"); }
    }

    /// <summary>
    /// Every record once, in key order, with its pixels decoded (C x H x W, the file's own colours).
    /// The pixel buffer is reused from one record to the next; a record whose shape differs from the first is an error.
    /// </summary>
    public static IEnumerable<(string Key, Datum Datum, float[] Pixels, (int Channels, int Height, int Width) Shape)> ReadAll(string path)
    {
        using var reader = RecordDatabases.OpenReader(path);
        float[] pixels = [];
        (int Channels, int Height, int Width) first = default;
        for (long i = 0; i < reader.Count; i++)
        {
            var (key, value) = reader.Next();
            string where = $"{path} record '{key}'";
            var datum = Parse(value, path, key);
            var shape = DatumImage.Shape(datum, DatumImage.ColorMode.Native, where);
            if (i == 0) { first = shape; pixels = new float[shape.Channels * shape.Height * shape.Width]; }
            else if (shape != first)
                throw new DataException(where, $"is {shape.Channels} x {shape.Height} x {shape.Width} but the first record is {first.Channels} x {first.Height} x {first.Width}");
            DatumImage.Read(datum, pixels, DatumImage.ColorMode.Native, where);
            yield return (key, datum, pixels, shape);
        }
    }
}
