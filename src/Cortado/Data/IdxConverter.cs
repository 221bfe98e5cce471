using Cortado.Errors;
using Cortado.Proto;
using Google.Protobuf;

namespace Cortado.Data;

/// <summary>
/// IDX images and labels (MNIST, Fashion-MNIST) to an LMDB (or LevelDB) of 1-channel Datum records keyed %08d, as
/// Caffe's convert_mnist_data; or, as convert_mnist_siamese_data, of random pairs: 2-channel records
/// holding two images, labelled 1 when their classes agree and 0 otherwise.
/// </summary>
public static class IdxConverter
{
    public static long ConvertPairs(string imagesPath, string labelsPath, string outputPath, int seed = 1, bool overwrite = false, RecordBackend backend = RecordBackend.Lmdb)
    {
        var (images, labels) = Read(imagesPath, labelsPath);
        int size = images.Rows * images.Columns;
        var random = new Random(seed);
        var pair = new byte[2 * size];
        using var writer = RecordDatabases.CreateWriter(outputPath, backend, overwrite);
        for (int n = 0; n < images.Count; n++)
        {
            int i = random.Next(images.Count), j = random.Next(images.Count);
            Array.Copy(images.Bytes, i * size, pair, 0, size);
            Array.Copy(images.Bytes, j * size, pair, size, size);
            var datum = new Datum
            {
                Channels = 2, Height = images.Rows, Width = images.Columns, Label = labels.Bytes[i] == labels.Bytes[j] ? 1 : 0,
                Data = ByteString.CopyFrom(pair),
            };
            writer.Put(n.ToString("D8"), datum.ToByteArray());
        }
        writer.Complete();
        return images.Count;
    }

    private static (IdxFile Images, IdxFile Labels) Read(string imagesPath, string labelsPath)
    {
        var images = IdxFile.ReadImages(imagesPath);
        var labels = IdxFile.ReadLabels(labelsPath);
        if (images.Count != labels.Count)
            throw new DataException(labelsPath, $"holds {labels.Count} labels but {imagesPath} holds {images.Count} images");
        return (images, labels);
    }

    public static long Convert(string imagesPath, string labelsPath, string outputPath, bool overwrite = false, RecordBackend backend = RecordBackend.Lmdb)
    {
        var (images, labels) = Read(imagesPath, labelsPath);
        int size = images.Rows * images.Columns;
        using var writer = RecordDatabases.CreateWriter(outputPath, backend, overwrite);
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
