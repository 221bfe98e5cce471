using Cortado.Errors;
using Cortado.Proto;
using Google.Protobuf;

namespace Cortado.Data;

/// <summary>
/// Caffe's convert_imageset: the images of a list file to an LMDB of Datum records keyed
/// "%08d_&lt;path&gt;", decoded to pixels or kept encoded, optionally gray, resized and shuffled.
/// </summary>
public static class ImageSetConverter
{
    public sealed record Options(bool Gray = false, int ResizeHeight = 0, int ResizeWidth = 0, bool Shuffle = false, bool Encoded = false, bool Overwrite = false, int Seed = 1, RecordBackend Backend = RecordBackend.Lmdb);

    public static long Convert(string root, string listPath, string outputPath, Options options)
    {
        var entries = ImageList.Read(listPath);
        if (options.Shuffle)
        {
            var random = new Random(options.Seed);
            for (int i = entries.Count - 1; i > 0; i--) { int j = random.Next(i + 1); (entries[i], entries[j]) = (entries[j], entries[i]); }
        }
        bool resize = options.ResizeHeight > 0 && options.ResizeWidth > 0;
        using var writer = RecordDatabases.CreateWriter(outputPath, options.Backend, options.Overwrite);
        for (int i = 0; i < entries.Count; i++)
        {
            var (path, label) = entries[i];
            string file = Path.Combine(root, path);
            Datum datum;
            if (options.Encoded && !resize && !options.Gray)
            {
                if (!File.Exists(file)) throw new DataException(file, $"image file not found (line {i + 1} of {listPath})");
                datum = new Datum { Encoded = true, Data = ByteString.CopyFrom(File.ReadAllBytes(file)), Label = label };
            }
            else
            {
                var (channels, height, width, pixels) = ImageFiles.Load(file, !options.Gray, options.ResizeHeight, options.ResizeWidth);
                datum = new Datum { Channels = channels, Height = height, Width = width, Data = ByteString.CopyFrom(pixels), Label = label };
            }
            writer.Put($"{i:D8}_{path}", datum.ToByteArray());
        }
        writer.Complete();
        return entries.Count;
    }
}
