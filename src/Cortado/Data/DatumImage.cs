using System.Runtime.Intrinsics;
using Cortado.Errors;
using Cortado.Proto;
using SkiaSharp;

namespace Cortado.Data;

/// <summary>
/// The pixels of a Datum as floats in C x H x W order: from its uint8 <c>data</c>, its
/// <c>float_data</c>, or its <c>encoded</c> image (JPEG, PNG, ...) decoded as Caffe's OpenCV
/// path does: 3 channels in BGR order for colour, 1 for grayscale, or as forced.
/// </summary>
public static class DatumImage
{
    public enum ColorMode { Native, ForceColor, ForceGray }

    /// <summary>Channels, height and width the Datum decodes to.</summary>
    public static (int Channels, int Height, int Width) Shape(Datum datum, ColorMode mode, string where)
    {
        if (!datum.Encoded)
        {
            if (datum.Channels < 1 || datum.Height < 1 || datum.Width < 1)
                throw new DataException(where, $"is {datum.Channels} x {datum.Height} x {datum.Width} (channels x height x width); each must be at least 1");
            long count = (long)datum.Channels * datum.Height * datum.Width;
            if (count > Array.MaxLength)
                throw new DataException(where, $"is {datum.Channels} x {datum.Height} x {datum.Width}, more values than one image buffer can hold");
            // The size is checked against what the record carries before anyone allocates for it.
            if (datum.Data.Length != count && datum.FloatData.Count != count)
                throw new DataException(where, $"claims {datum.Channels} x {datum.Height} x {datum.Width} = {count} values but holds {datum.Data.Length} data bytes and {datum.FloatData.Count} float_data values");
            return (datum.Channels, datum.Height, datum.Width);
        }
        using var bitmap = Decode(datum, where);
        return (Channels(bitmap, mode), bitmap.Height, bitmap.Width);
    }

    public static void Read(Datum datum, Span<float> chw, ColorMode mode, string where)
    {
        if (datum.Encoded) { ReadEncoded(datum, chw, mode, where); return; }
        Shape(datum, mode, where);
        int count = datum.Channels * datum.Height * datum.Width;
        if (chw.Length != count) throw new DataException(where, $"holds a {datum.Channels} x {datum.Height} x {datum.Width} image but {chw.Length} values were expected");
        if (datum.Data.Length > 0)
        {
            if (datum.Data.Length != count) throw new DataException(where, $"has {datum.Data.Length} data bytes for a {datum.Channels} x {datum.Height} x {datum.Width} image ({count} expected)");
            ToFloats(datum.Data.Span, chw);
        }
        else
        {
            // Shape has checked that a record without data bytes holds count float_data values.
            for (int i = 0; i < count; i++) chw[i] = datum.FloatData[i];
        }
    }

    /// <summary>uint8 pixels as floats, 32 a step (a Data layer's reading thread converts every pixel of every batch).</summary>
    private static void ToFloats(ReadOnlySpan<byte> bytes, Span<float> floats)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 32 <= bytes.Length; i += 32)
            {
                var (low, high) = Vector256.Widen(Vector256.Create(bytes.Slice(i, 32)));
                var (q0, q1) = Vector256.Widen(low);
                var (q2, q3) = Vector256.Widen(high);
                Vector256.ConvertToSingle(q0.AsInt32()).CopyTo(floats.Slice(i, 8));
                Vector256.ConvertToSingle(q1.AsInt32()).CopyTo(floats.Slice(i + 8, 8));
                Vector256.ConvertToSingle(q2.AsInt32()).CopyTo(floats.Slice(i + 16, 8));
                Vector256.ConvertToSingle(q3.AsInt32()).CopyTo(floats.Slice(i + 24, 8));
            }
        }
        for (; i < bytes.Length; i++) floats[i] = bytes[i];
    }

    /// <summary>
    /// The most pixels an encoded image may claim before it is decoded (default 64 M, 8192 x 8192):
    /// a header can claim 65535 x 65535 in a few bytes, and decoding it would take gigabytes.
    /// </summary>
    public static long MaxPixels { get; set; } = 64L << 20;

    /// <summary>Refuses, from its header alone, an image that claims more than <see cref="MaxPixels"/> pixels.</summary>
    internal static void CheckPixelLimit(SKCodec codec, string where, string what)
    {
        if (codec.Info.Width > 0 && codec.Info.Height > 0 && (long)codec.Info.Width * codec.Info.Height <= MaxPixels) return;
        throw new DataException(where, $"{what} of {codec.Info.Width} x {codec.Info.Height} pixels, over the limit of " +
            $"{MaxPixels:N0} pixels (raise it with --max_image_pixels N if the image is real)");
    }

    private static SKBitmap Decode(Datum datum, string where)
    {
        using var data = SKData.CreateCopy(datum.Data.Span);
        using var codec = SKCodec.Create(data)
            ?? throw new DataException(where, "holds an encoded image that cannot be decoded (not a JPEG, PNG, BMP, GIF or WebP file?)");
        CheckPixelLimit(codec, where, "holds an encoded image");
        return SKBitmap.Decode(codec)
            ?? throw new DataException(where, "holds an encoded image that cannot be decoded (damaged or cut short?)");
    }

    private static int Channels(SKBitmap bitmap, ColorMode mode) => mode switch
    {
        ColorMode.ForceColor => 3,
        ColorMode.ForceGray => 1,
        _ => bitmap.ColorType is SKColorType.Gray8 or SKColorType.Alpha8 ? 1 : 3,
    };

    private static void ReadEncoded(Datum datum, Span<float> chw, ColorMode mode, string where)
    {
        using var bitmap = Decode(datum, where);
        int channels = Channels(bitmap, mode), height = bitmap.Height, width = bitmap.Width, plane = height * width;
        if (chw.Length != channels * plane) throw new DataException(where, $"decodes to {channels} x {height} x {width} but {chw.Length} values were expected; all images of a dataset must have one size");
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                var pixel = bitmap.GetPixel(x, y);
                int i = y * width + x;
                if (channels == 1) chw[i] = bitmap.ColorType == SKColorType.Gray8 ? pixel.Red : MathF.Round(0.299f * pixel.Red + 0.587f * pixel.Green + 0.114f * pixel.Blue);
                else { chw[i] = pixel.Blue; chw[plane + i] = pixel.Green; chw[2 * plane + i] = pixel.Red; }
            }
        }
    }
}
