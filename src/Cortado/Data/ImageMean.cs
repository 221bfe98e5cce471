using Cortado.Proto;

namespace Cortado.Data;

/// <summary>The per-pixel mean image of an LMDB, as a 1 x C x H x W BlobProto (Caffe's compute_image_mean).</summary>
public static class ImageMean
{
    public static BlobProto Compute(string path)
    {
        double[] sum = [];
        (int Channels, int Height, int Width) shape = default;
        long count = 0;
        foreach (var (_, _, image, imageShape) in DatumRecords.ReadAll(path))
        {
            if (count++ == 0) { shape = imageShape; sum = new double[image.Length]; }
            for (int k = 0; k < image.Length; k++) sum[k] += image[k];
        }
        var (channels, height, width) = shape;
        var blob = new BlobProto { Num = 1, Channels = channels, Height = height, Width = width };
        blob.Data.Add(sum.Select(s => (float)(s / count)));
        return blob;
    }
}
