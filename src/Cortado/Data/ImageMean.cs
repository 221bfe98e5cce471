using Cortado.Proto;

namespace Cortado.Data;

/// <summary>The per-pixel mean image of an LMDB, as a 1 x C x H x W BlobProto (Caffe's compute_image_mean).</summary>
public static class ImageMean
{
    public static BlobProto Compute(string path)
    {
        using var reader = new LmdbReader(path);
        double[] sum = [];
        float[] image = [];
        int channels = 0, height = 0, width = 0;
        for (long i = 0; i < reader.Count; i++)
        {
            var (key, value) = reader.Next();
            string where = $"{path} record '{key}'";
            var datum = Datum.Parser.ParseFrom(value);
            var shape = DatumImage.Shape(datum, DatumImage.ColorMode.Native, where);
            if (i == 0) { (channels, height, width) = shape; sum = new double[channels * height * width]; image = new float[sum.Length]; }
            else if (shape != (channels, height, width))
                throw new Errors.DataException(where, $"is {shape.Channels} x {shape.Height} x {shape.Width} but the first record is {channels} x {height} x {width}");
            DatumImage.Read(datum, image, DatumImage.ColorMode.Native, where);
            for (int k = 0; k < image.Length; k++) sum[k] += image[k];
        }
        var blob = new BlobProto { Num = 1, Channels = channels, Height = height, Width = width };
        blob.Data.Add(sum.Select(s => (float)(s / reader.Count)));
        return blob;
    }
}
