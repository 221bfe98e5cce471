using System.IO.Compression;
using Cortado.Errors;

namespace Cortado.Data;

/// <summary>
/// The IDX format of MNIST and Fashion-MNIST (gzipped or not): a big-endian header (magic
/// 0x00000803 for images with count, rows, columns; 0x00000801 for labels with count), then bytes.
/// </summary>
public sealed class IdxFile
{
    public int Count { get; private init; }
    public int Rows { get; private init; }
    public int Columns { get; private init; }
    public byte[] Bytes { get; private init; } = [];

    public static IdxFile ReadImages(string path) => Read(path, 0x803);

    public static IdxFile ReadLabels(string path) => Read(path, 0x801);

    private static IdxFile Read(string path, int expectedMagic)
    {
        byte[] raw;
        try { raw = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException(path, e is FileNotFoundException or DirectoryNotFoundException ? "file not found" : e.Message);
        }
        if (raw.Length >= 2 && raw[0] == 0x1f && raw[1] == 0x8b)
        {
            try
            {
                using var gzip = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
                using var inflated = new MemoryStream();
                gzip.CopyTo(inflated);
                raw = inflated.ToArray();
            }
            catch (InvalidDataException e) { throw new DataException(path, $"is a damaged gzip file: {e.Message}"); }
        }
        string kind = expectedMagic == 0x803 ? "an IDX image file (magic 0x00000803)" : "an IDX label file (magic 0x00000801)";
        if (raw.Length < 8 || BigEndian(raw, 0) != expectedMagic)
            throw new DataException(path, $"is not {kind}{(raw.Length >= 4 ? $"; its magic number is 0x{BigEndian(raw, 0):x8}" : "")}");
        int count = BigEndian(raw, 4), rows = 1, columns = 1, header = 8;
        if (expectedMagic == 0x803)
        {
            if (raw.Length < 16) throw new DataException(path, "ends inside its header");
            (rows, columns, header) = (BigEndian(raw, 8), BigEndian(raw, 12), 16);
        }
        long expected = header + (long)count * rows * columns;
        if (raw.Length != expected) throw new DataException(path, $"holds {raw.Length} bytes but its header announces {count} items of {rows} x {columns} ({expected} bytes); is it truncated?");
        return new IdxFile { Count = count, Rows = rows, Columns = columns, Bytes = raw[header..] };
    }

    private static int BigEndian(byte[] bytes, int offset) => (bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3];
}
