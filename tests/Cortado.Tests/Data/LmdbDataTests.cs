using System.IO.Compression;
using Cortado.Data;
using Cortado.Errors;
using Cortado.Proto;
using Google.Protobuf;
using LightningDB;

namespace Cortado.Tests.Data;

public class LmdbDataTests
{
    /// <summary>The IDX bytes read here with nothing but GZipStream and the format's fixed offsets.</summary>
    private static byte[] Gunzip(string path)
    {
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var memory = new MemoryStream();
        gzip.CopyTo(memory);
        return memory.ToArray();
    }

    [Fact]
    public void ConvertIdxRoundTripsFashionMnistByteForByte()
    {
        using var dir = new TempDir();
        long count = IdxConverter.Convert(FashionMnist.TestImages, FashionMnist.TestLabels, dir.File("test_lmdb"));
        Assert.Equal(10000, count);
        byte[] images = Gunzip(FashionMnist.TestImages), labels = Gunzip(FashionMnist.TestLabels);
        using var reader = new LmdbReader(dir.File("test_lmdb"));
        Assert.Equal(10000, reader.Count);
        for (int i = 0; i < 10000; i++)
        {
            var (key, value) = reader.Next();
            Assert.Equal(i.ToString("D8"), key);
            var datum = Datum.Parser.ParseFrom(value);
            Assert.Equal((1, 28, 28), (datum.Channels, datum.Height, datum.Width));
            Assert.Equal(labels[8 + i], datum.Label);
            Assert.True(datum.Data.Span.SequenceEqual(images.AsSpan(16 + i * 784, 784)), $"image {i} differs");
        }
        // After the last record the reader starts again at the first.
        Assert.Equal("00000000", reader.Next().Key);
    }

    [Fact]
    public void HandEncodedDatumWrittenByLightningDbIsReadByTheDataLayer()
    {
        using var dir = new TempDir();
        string db = dir.File("hand_lmdb");
        Directory.CreateDirectory(db);
        // Datum { channels: 1 height: 2 width: 2 data: [0, 64, 128, 255] label: 7 }, encoded by hand.
        byte[] record = [0x08, 1, 0x10, 2, 0x18, 2, 0x22, 4, 0, 64, 128, 255, 0x28, 7];
        LmdbNative.EnsureLoaded();
        using (var env = new LightningEnvironment(db, new EnvironmentConfiguration { MapSize = 1 << 20 }))
        {
            env.Open();
            using var tx = env.BeginTransaction();
            using var table = tx.OpenDatabase(configuration: new DatabaseConfiguration { Flags = DatabaseOpenFlags.Create });
            tx.Put(table, "00000000"u8.ToArray(), record);
            tx.Commit();
        }
        var net = new Cortado.Nets.Net(TextFormat.Parse<NetParameter>($$"""
            layer { name: "data" type: "Data" top: "data" top: "label" transform_param { scale: 0.5 }
              data_param { source: "{{db}}" batch_size: 3 backend: LMDB } }
            """), Phase.Train);
        using (net)
        {
            net.Forward();
            Assert.Equal([3, 1, 2, 2], net.Blob("data").Shape);
            Assert.Equal([0f, 32f, 64f, 127.5f, 0f, 32f, 64f, 127.5f, 0f, 32f, 64f, 127.5f], net.Blob("data").Data.ToArray());
            Assert.Equal([7f, 7f, 7f], net.Blob("label").Data.ToArray());
        }
    }

    [Fact]
    public void ConverterOutputDecodesWithAPlainProtobufParser()
    {
        using var dir = new TempDir();
        var datum = new Datum { Channels = 1, Height = 1, Width = 3, Data = ByteString.CopyFrom(1, 2, 3), Label = 4 };
        using (var writer = new LmdbWriter(dir.File("db")))
        {
            writer.Put("00000000", datum.ToByteArray());
            writer.Complete();
        }
        using var reader = new LmdbReader(dir.File("db"));
        var bytes = reader.Next().Value;
        Assert.Equal(new byte[] { 0x08, 1, 0x10, 1, 0x18, 3, 0x22, 3, 1, 2, 3, 0x28, 4 }, bytes);
    }

    [Fact]
    public void BadDatabasesAreNamed()
    {
        using var dir = new TempDir();
        Assert.Equal($"{dir.File("nope")}: not found (expected an LMDB folder holding data.mdb)", Assert.Throws<DataException>(() => new LmdbReader(dir.File("nope"))).Message);
        Directory.CreateDirectory(dir.File("plain"));
        Assert.Contains("is not an LMDB (no data.mdb in the folder)", Assert.Throws<DataException>(() => new LmdbReader(dir.File("plain"))).Message);
        Directory.CreateDirectory(dir.File("leveldb"));
        File.WriteAllText(dir.File("leveldb/CURRENT"), "MANIFEST-000001\n");
        Assert.Contains("is a LevelDB database, not an LMDB", Assert.Throws<DataException>(() => new LmdbReader(dir.File("leveldb"))).Message);
        Assert.Contains("cannot be opened as a LevelDB", Assert.Throws<DataException>(() => RecordDatabases.OpenReader(dir.File("leveldb"))).Message);
    }

    [Fact]
    public void RecordThatIsNotADatumAndShapeChangesAreNamedWithTheKey()
    {
        using var dir = new TempDir();
        using (var writer = new LmdbWriter(dir.File("db")))
        {
            writer.Put("00000000", new Datum { Channels = 1, Height = 2, Width = 2, Label = 0, Data = ByteString.CopyFrom(new byte[4]) }.ToByteArray());
            writer.Put("00000001", new Datum { Channels = 1, Height = 3, Width = 2, Label = 0, Data = ByteString.CopyFrom(new byte[6]) }.ToByteArray());
            writer.Put("00000002", [0xff, 0xff, 0xff]);
            writer.Complete();
        }
        var e = Assert.Throws<DataException>(() => DatasetSummary.Read(dir.File("db")));
        Assert.Equal($"{dir.File("db")} record '00000001': is 1 x 3 x 2 but the first record is 1 x 2 x 2", e.Message);

        var net = new Cortado.Nets.Net(TextFormat.Parse<NetParameter>($$"""
            layer { name: "data" type: "Data" top: "data" top: "label" data_param { source: "{{dir.File("db")}}" batch_size: 2 backend: LMDB } }
            """), Phase.Train);
        using (net)
        {
            var error = Assert.Throws<LayerException>(() => net.Forward());
            Assert.Equal($"layer 'data' (Data): {dir.File("db")} record '00000001': is 1 x 3 x 2 but the first record is 1 x 2 x 2; all records must have one shape", error.Message);
        }
    }

    [Fact]
    public void ConverterRefusesToOverwriteAndLeavesNothingWhenItFails()
    {
        using var dir = new TempDir();
        IdxConverter.Convert(FashionMnist.TestImages, FashionMnist.TestLabels, dir.File("db"));
        var e = Assert.Throws<DataException>(() => IdxConverter.Convert(FashionMnist.TestImages, FashionMnist.TestLabels, dir.File("db")));
        Assert.Contains("already exists; refusing to overwrite it", e.Message);

        // Images and labels of different sets: nothing is written at all.
        e = Assert.Throws<DataException>(() => IdxConverter.Convert(FashionMnist.TestImages, FashionMnist.File("train-labels-idx1-ubyte.gz"), dir.File("mixed")));
        Assert.Contains("holds 60000 labels but", e.Message);
        Assert.False(Directory.Exists(dir.File("mixed")));
        Assert.Empty(Directory.GetDirectories(dir.Path, ".*tmp"));

        // A writer dropped before completing removes its temporary folder.
        using (var writer = new LmdbWriter(dir.File("half"))) writer.Put("00000000", [1]);
        Assert.False(Directory.Exists(dir.File("half")));
        Assert.Empty(Directory.GetDirectories(dir.Path, ".*tmp"));
    }

    [Fact]
    public void IdxFilesThatAreWrongOrTruncatedAreNamed()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<DataException>(() => IdxFile.ReadImages(FashionMnist.TestLabels));
        Assert.Contains("is not an IDX image file (magic 0x00000803); its magic number is 0x00000801", e.Message);
        var bytes = Gunzip(FashionMnist.TestImages);
        File.WriteAllBytes(dir.File("cut.idx"), bytes[..5000]);
        e = Assert.Throws<DataException>(() => IdxFile.ReadImages(dir.File("cut.idx")));
        Assert.Contains("holds 5000 bytes but its header announces 10000 items of 28 x 28", e.Message);
    }

    [Fact]
    public void DbInfoSeesSortedLabelsAndRawPixels()
    {
        using var dir = new TempDir();
        using (var writer = new LmdbWriter(dir.File("sorted")))
        {
            for (int i = 0; i < 30; i++)
                writer.Put(i.ToString("D8"), new Datum { Channels = 1, Height = 1, Width = 2, Label = i / 10, Data = ByteString.CopyFrom((byte)i, 200) }.ToByteArray());
            writer.Complete();
        }
        var summary = DatasetSummary.Read(dir.File("sorted"));
        Assert.True(summary.LooksSorted);
        Assert.Equal(3, summary.LabelRuns);
        Assert.Equal((0f, 200f), (summary.PixelMin, summary.PixelMax));
        Assert.Equal(new Dictionary<int, long> { [0] = 10, [1] = 10, [2] = 10 }, summary.LabelCounts);
    }

    [Fact]
    public void ImageMeanIsThePerPixelAverage()
    {
        using var dir = new TempDir();
        using (var writer = new LmdbWriter(dir.File("db")))
        {
            writer.Put("0", new Datum { Channels = 1, Height = 1, Width = 2, Data = ByteString.CopyFrom(10, 20) }.ToByteArray());
            writer.Put("1", new Datum { Channels = 1, Height = 1, Width = 2, Data = ByteString.CopyFrom(30, 60) }.ToByteArray());
            writer.Complete();
        }
        var mean = ImageMean.Compute(dir.File("db"));
        Assert.Equal((1, 1, 1, 2), (mean.Num, mean.Channels, mean.Height, mean.Width));
        Assert.Equal([20f, 40f], mean.Data);

        using (var writer = new LmdbWriter(dir.File("broken")))
        {
            writer.Put("00000000", [0xff, 0xff, 0xff]);
            writer.Complete();
        }
        var e = Assert.Throws<DataException>(() => ImageMean.Compute(dir.File("broken")));
        Assert.StartsWith($"{dir.File("broken")} record '00000000': is not a Caffe Datum (3 bytes)", e.Message);
    }
}
