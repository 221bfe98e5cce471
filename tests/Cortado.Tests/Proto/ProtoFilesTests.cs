using Cortado.Errors;
using Cortado.Proto;
using Google.Protobuf;

namespace Cortado.Tests.Proto;

public class ProtoFilesTests
{
    private static NetParameter NetWithBlobs()
    {
        var net = TextFormat.Parse<NetParameter>(SampleNets.LeNet);
        var weights = new BlobProto { Shape = new BlobShape { Dim = { 20, 1, 5, 5 } } };
        for (int i = 0; i < 500; i++) weights.Data.Add(MathF.Sin(i));
        net.Layer[1].Blobs.Add(weights);
        net.Layer[1].Blobs.Add(new BlobProto { Shape = new BlobShape { Dim = { 20 } }, Data = { Enumerable.Range(0, 20).Select(i => (float)i) } });
        return net;
    }

    [Fact]
    public void BinaryNetWithBlobsRoundTripsThroughAFile()
    {
        using var dir = new TempDir();
        var net = NetWithBlobs();
        ProtoFiles.WriteBinary(dir.File("lenet.caffemodel"), net);
        var read = ProtoFiles.ReadNetBinary(dir.File("lenet.caffemodel"));
        Assert.Equal(net, read);
        Assert.Equal(500, read.Layer[1].Blobs[0].Data.Count);
        Assert.Equal(MathF.Sin(499), read.Layer[1].Blobs[0].Data[499]);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void TextFilesRoundTripAndAreToldApartFromBinary()
    {
        using var dir = new TempDir();
        var net = NetWithBlobs();
        ProtoFiles.WriteText(dir.File("net.prototxt"), net);
        ProtoFiles.WriteBinary(dir.File("net.caffemodel"), net);
        Assert.False(ProtoFiles.LooksBinary(dir.File("net.prototxt")));
        Assert.True(ProtoFiles.LooksBinary(dir.File("net.caffemodel")));
        Assert.Equal(net, ProtoFiles.ReadNet(dir.File("net.prototxt")));
        Assert.Equal(net, ProtoFiles.ReadNet(dir.File("net.caffemodel")));
    }

    [Fact]
    public void TruncatedBinaryFileIsNamed()
    {
        using var dir = new TempDir();
        var bytes = NetWithBlobs().ToByteArray();
        File.WriteAllBytes(dir.File("cut.caffemodel"), bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<ModelFileException>(() => ProtoFiles.ReadNetBinary(dir.File("cut.caffemodel")));
        Assert.StartsWith(dir.File("cut.caffemodel") + ": is not a valid binary NetParameter", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void NonProtobufFileIsNamed()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("image.caffemodel"), [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0xff, 0xff]);
        var e = Assert.Throws<ModelFileException>(() => ProtoFiles.ReadNetBinary(dir.File("image.caffemodel")));
        Assert.StartsWith(dir.File("image.caffemodel") + ":", e.Message);
    }

    [Fact]
    public void BinaryOfAnotherKindIsNamed()
    {
        using var dir = new TempDir();
        // A layer's transform and loss settings: valid protobuf, but fields 100 and 101 mean nothing to a SolverState.
        var layer = new LayerParameter { TransformParam = new TransformationParameter { Scale = 2 }, LossParam = new LossParameter { IgnoreLabel = 3 } };
        File.WriteAllBytes(dir.File("x.solverstate"), layer.ToByteArray());
        var e = Assert.Throws<ModelFileException>(() => ProtoFiles.ReadBinary(dir.File("x.solverstate"), SolverState.Parser));
        Assert.Equal($"{dir.File("x.solverstate")}: holds none of the fields of a SolverState (13 bytes); is it the right kind of file?", e.Message);
    }

    [Fact]
    public void MissingFilesAreNamed()
    {
        var e = Assert.Throws<ModelFileException>(() => ProtoFiles.ReadNetText("/nonexistent/net.prototxt"));
        Assert.Equal("/nonexistent/net.prototxt: file not found", e.Message);
        e = Assert.Throws<ModelFileException>(() => ProtoFiles.ReadBinary("/nonexistent/w.caffemodel", NetParameter.Parser));
        Assert.Equal("/nonexistent/w.caffemodel: file not found", e.Message);
    }

    [Fact]
    public void ParseErrorsInFilesCarryThePath()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("bad.prototxt"), "name: \"x\"\nlayer {\n  tpye: \"ReLU\"\n}\n");
        var e = Assert.Throws<PrototxtException>(() => ProtoFiles.ReadNetText(dir.File("bad.prototxt")));
        Assert.Equal($"{dir.File("bad.prototxt")}:3:3: unknown field 'tpye' in LayerParameter; did you mean 'type'?", e.Message);
    }

    [Fact]
    public void AtomicWriteKeepsTheOldFileWhenTheWriterFails()
    {
        using var dir = new TempDir();
        string path = dir.File("model.caffemodel");
        File.WriteAllText(path, "old contents");
        Assert.Throws<InvalidOperationException>(() => Cortado.IO.AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[1000]);
            throw new InvalidOperationException("killed halfway");
        }));
        Assert.Equal("old contents", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }
}
