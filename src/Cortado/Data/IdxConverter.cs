using Cortado.Errors;
using Cortado.Proto;
using Google.Protobuf;

namespace Cortado.Data;

/// <summary>IDX images and labels (MNIST, Fashion-MNIST) to an LMDB of 1-channel Datum records keyed %08d, as Caffe's convert_mnist_data.</summary>
public static class IdxConverter
{
    public static long Convert(string imagesPath, string labelsPath, string outputPath, bool overwrite = false)
    {
        var images = IdxFile.ReadImages(imagesPath);
        var labels = IdxFile.ReadLabels(labelsPath);
        if (images.Count != labels.Count)
            throw new DataException(labelsPath, $"holds {labels.Count} labels but {imagesPath} holds {images.Count} images");
        int size = images.Rows * images.Columns;
        using var writer = new LmdbWriter(outputPath, overwrite);
        for (int i = 0; i < images.Count; i++)
        {
            var datum = new Datum
            {
                Channels = 1, Height = images.Rows, Width = images.Columns, Label = labels.Bytes[i],
                Data = ByteString.CopyFrom(images.Bytes, i * size, size),
            };
            writer.Put(i.ToString("D8"), datum.ToByteArray());
        }
        writer.Complete();
        return images.Count;
    }
}
