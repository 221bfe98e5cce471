using Cortado.Errors;
using SkiaSharp;

namespace Cortado.Data;

/// <summary>
/// Image files as Caffe's OpenCV path reads them: 3 channels in BGR order (or 1 gray channel),
/// optionally resized (bilinear) to a fixed height and width, as C x H x W bytes.
/// </summary>
public static class ImageFiles
{
    public static (int Channels, int Height, int Width, byte[] Pixels) Load(string path, bool color, int resizeHeight = 0, int resizeWidth = 0)
    {
        if (!File.Exists(path)) throw new DataException(path, "image file not found");
        using var codec = SKCodec.Create(path) ?? throw new DataException(path, "cannot be decoded as an image (not a JPEG, PNG, BMP, GIF or WebP file?)");
        DatumImage.CheckPixelLimit(codec, path, "is an image");
        using var decoded = SKBitmap.Decode(codec) ?? throw new DataException(path, "cannot be decoded as an image");
        SKBitmap bitmap = decoded;
        if (resizeHeight > 0 && resizeWidth > 0 && (decoded.Height != resizeHeight || decoded.Width != resizeWidth))
            bitmap = decoded.Resize(new SKImageInfo(resizeWidth, resizeHeight, SKColorType.Rgba8888), new SKSamplingOptions(SKFilterMode.Linear)) ?? throw new DataException(path, "could not be resized");
        try
        {
            int channels = color ? 3 : 1, height = bitmap.Height, width = bitmap.Width, plane = height * width;
            var pixels = new byte[channels * plane];
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                {
                    var p = bitmap.GetPixel(x, y);
                    int i = y * width + x;
                    if (!color) pixels[i] = (byte)Math.Round(0.299 * p.Red + 0.587 * p.Green + 0.114 * p.Blue);
                    else { pixels[i] = p.Blue; pixels[plane + i] = p.Green; pixels[2 * plane + i] = p.Red; }
                }
            }
            return (channels, height, width, pixels);
        }
        finally
        {
            if (!ReferenceEquals(bitmap, decoded)) bitmap.Dispose();
        }
    }
}
