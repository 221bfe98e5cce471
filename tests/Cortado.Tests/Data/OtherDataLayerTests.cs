using Cortado.Data;
using Cortado.Errors;
using Cortado.Layers;
using Cortado.Nets;
using Cortado.Proto;
using Cortado.Tests.Interop;
using SkiaSharp;

namespace Cortado.Tests.Data;

public class OtherDataLayerTests
{
    private static Net Build(string prototxt) => new(TextFormat.Parse<NetParameter>(prototxt), Phase.Train);

    [Fact]
    public void MemoryDataGoesRoundTheSamples()
    {
        using var net = Build("layer { name: 'm' type: 'MemoryData' top: 'x' top: 'y' memory_data_param { batch_size: 2 channels: 1 height: 1 width: 2 } }");
        var layer = (MemoryDataLayer)net.Layer("m");
        layer.Reset([1, 2, 3, 4, 5, 6, 7, 8], [0, 1, 2, 3], 4);
        net.Forward();
        Assert.Equal([1f, 2f, 3f, 4f], net.Blob("x").Data.ToArray());
        net.Forward();
        Assert.Equal([2f, 3f], net.Blob("y").Data.ToArray());
        net.Forward();
        Assert.Equal([0f, 1f], net.Blob("y").Data.ToArray());
        Assert.Throws<LayerException>(() => layer.Reset(new float[6], new float[3], 3));
    }

    [Fact]
    public void Hdf5DataReadsFilesWrittenByLibHdf5()
    {
        using var dir = new TempDir();
        PythonRunner.Run("""
            import sys, h5py, numpy as np
            for i, name in enumerate(sys.argv[1:]):
                with h5py.File(name, 'w') as f:
                    f['data'] = (np.arange(3 * 2 * 2, dtype=np.float32) + 100 * i).reshape(3, 1, 2, 2)
                    f['label'] = np.array([0, 1, 2], dtype=np.float32) + 10 * i
            """, dir.File("a.h5"), dir.File("b.h5"));
        File.WriteAllLines(dir.File("list.txt"), [dir.File("a.h5"), dir.File("b.h5")]);
        using var net = Build($"layer {{ name: 'h' type: 'HDF5Data' top: 'data' top: 'label' hdf5_data_param {{ source: '{dir.File("list.txt")}' batch_size: 4 }} }}");
        Assert.Equal([4, 1, 2, 2], net.Blob("data").Shape);
        net.Forward();
        Assert.Equal([0f, 1f, 2f, 10f], net.Blob("label").Data.ToArray());
        Assert.Equal([100f, 101f, 102f, 103f], net.Blob("data").Data.Slice(12, 4).ToArray());
        net.Forward();
        Assert.Equal([11f, 12f, 0f, 1f], net.Blob("label").Data.ToArray());
    }

    [Fact]
    public void Hdf5DataWithAMissingDatasetNamesIt()
    {
        using var dir = new TempDir();
        PythonRunner.Run("""
            import sys, h5py, numpy as np
            with h5py.File(sys.argv[1], 'w') as f:
                f['data'] = np.zeros((2, 3), dtype=np.float32)
            """, dir.File("a.h5"));
        File.WriteAllLines(dir.File("list.txt"), [dir.File("a.h5")]);
        var e = Assert.Throws<LayerException>(() => Build($"layer {{ name: 'h' type: 'HDF5Data' top: 'data' top: 'label' hdf5_data_param {{ source: '{dir.File("list.txt")}' batch_size: 1 }} }}"));
        Assert.Contains($"{dir.File("a.h5")}: cannot read datasets 'data', 'label'", e.Message);
    }

    private static void WritePng(string path, int width, int height, Func<int, int, SKColor> pixel)
    {
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        for (int y = 0; y < height; y++) for (int x = 0; x < width; x++) bitmap.SetPixel(x, y, pixel(x, y));
        using var image = SKImage.FromBitmap(bitmap);
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, png.ToArray());
    }

    private static TempDir ImageFolder()
    {
        var dir = new TempDir();
        Directory.CreateDirectory(dir.File("images"));
        WritePng(dir.File("images/red one.png"), 4, 2, (_, _) => new SKColor(200, 0, 0));
        WritePng(dir.File("images/blue.png"), 4, 2, (x, _) => new SKColor(0, 0, (byte)(50 * x)));
        File.WriteAllText(dir.File("list.txt"), "red one.png 1\nblue.png 0\n\n");
        return dir;
    }

    [Fact]
    public void ConvertImagesetWritesCaffesKeysAndBgrPixels()
    {
        using var dir = ImageFolder();
        long count = ImageSetConverter.Convert(dir.File("images"), dir.File("list.txt"), dir.File("db"), new ImageSetConverter.Options());
        Assert.Equal(2, count);
        using var reader = new LmdbReader(dir.File("db"));
        var (key, value) = reader.Next();
        Assert.Equal("00000000_red one.png", key);
        var datum = Datum.Parser.ParseFrom(value);
        Assert.Equal((3, 2, 4, 1), (datum.Channels, datum.Height, datum.Width, datum.Label));
        Assert.Equal(0, datum.Data[0]);     // B
        Assert.Equal(200, datum.Data[16]);  // R plane starts at 2 * 8

        ImageSetConverter.Convert(dir.File("images"), dir.File("list.txt"), dir.File("small"), new ImageSetConverter.Options(Gray: true, ResizeHeight: 1, ResizeWidth: 2));
        var summary = DatasetSummary.Read(dir.File("small"));
        Assert.Equal((1, 1, 2), (summary.Channels, summary.Height, summary.Width));

        ImageSetConverter.Convert(dir.File("images"), dir.File("list.txt"), dir.File("encoded"), new ImageSetConverter.Options(Encoded: true));
        Assert.True(DatasetSummary.Read(dir.File("encoded")).Encoded);
    }

    [Fact]
    public void ImageDataLayerReadsTheListInOrderWithTransform()
    {
        using var dir = ImageFolder();
        using var net = Build($"layer {{ name: 'i' type: 'ImageData' top: 'data' top: 'label' transform_param {{ scale: 0.5 }} image_data_param {{ source: '{dir.File("list.txt")}' root_folder: '{dir.File("images")}' batch_size: 3 is_color: false }} }}");
        net.Forward();
        Assert.Equal([3, 1, 2, 4], net.Blob("data").Shape);
        Assert.Equal([1f, 0f, 1f], net.Blob("label").Data.ToArray());
        Assert.Equal(MathF.Round(0.299f * 200) * 0.5f, net.Blob("data").Data[0]);
    }

    [Fact]
    public void ListLineWithoutALabelIsNamedWithItsLine()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("list.txt"), "a.png 1\nb.png\n");
        var e = Assert.Throws<DataException>(() => ImageList.Read(dir.File("list.txt")));
        Assert.Equal($"{dir.File("list.txt")}:2: expected 'path label' (an integer label after the last space), got 'b.png'", e.Message);
    }
}
