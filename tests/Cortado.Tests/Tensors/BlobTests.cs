using Cortado.Errors;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Tests.Tensors;

public class BlobTests
{
    [Fact]
    public void ShapeCountsAndOffsets()
    {
        var blob = new Blob(128, 32, 22, 13) { Name = "conv1" };
        Assert.Equal(1171456, blob.Count);
        Assert.Equal("128 32 22 13 (1171456)", blob.ShapeString);
        Assert.Equal(32 * 22 * 13, blob.CountFrom(1));
        Assert.Equal(22 * 13, blob.CountRange(2, 4));
        Assert.Equal(13, blob.ShapeAt(-1));
        Assert.Equal(3, blob.CanonicalAxis(-1));
        Assert.Equal(((2 * 32 + 3) * 22 + 4) * 13 + 5, blob.Offset(2, 3, 4, 5));
        Assert.Equal((128, 32, 22, 13), (blob.Num, blob.Channels, blob.Height, blob.Width));
    }

    [Fact]
    public void LegacyAccessorsTreatMissingAxesAsOne()
    {
        var blob = new Blob(10, 5);
        Assert.Equal((10, 5, 1, 1), (blob.Num, blob.Channels, blob.Height, blob.Width));
    }

    [Fact]
    public void ReshapeReusesMemoryWhenItFits()
    {
        var blob = new Blob(4, 3, 2);
        blob.Data[0] = 7f;
        blob.Diff[0] = 8f;
        blob.Reshape(2, 3);
        Assert.Equal(24, blob.Capacity);
        Assert.Equal(6, blob.Count);
        Assert.Equal(7f, blob.Data[0]);
        Assert.Equal(8f, blob.Diff[0]);
        blob.Reshape(5, 5);
        Assert.Equal(25, blob.Capacity);
    }

    [Fact]
    public void ScalarBlobHasCountOne()
    {
        var blob = new Blob();
        blob.Reshape(Array.Empty<int>());
        Assert.Equal(1, blob.Count);
        Assert.Equal(0, blob.NumAxes);
    }

    [Fact]
    public void BadShapesAreClearErrors()
    {
        var blob = new Blob { Name = "fc1" };
        var e = Assert.Throws<CortadoException>(() => blob.Reshape(2, -1));
        Assert.Contains("'fc1'", e.Message);
        e = Assert.Throws<CortadoException>(() => blob.Reshape(100000, 100000, 1000));
        Assert.Contains("more than", e.Message);
        var realMemory = Blob.AvailableMemory;
        try
        {
            Blob.AvailableMemory = () => 1L << 30; // a machine with 1 GB free
            e = Assert.Throws<CortadoException>(() => blob.Reshape(128, 1 << 21));
            Assert.Equal("blob 'fc1' shape 128 x 2097152 needs 2.1 GB for its data and diff, more than the 1.1 GB available", e.Message);
        }
        finally { Blob.AvailableMemory = realMemory; }
        Assert.Throws<CortadoException>(() => new Blob(2, 3).CanonicalAxis(2));
    }

    [Fact]
    public void ProtoRoundTripWithShapeAndDiff()
    {
        var blob = new Blob(2, 3);
        for (int i = 0; i < 6; i++) { blob.Data[i] = i; blob.Diff[i] = -i; }
        var proto = blob.ToProto(writeDiff: true);
        Assert.Equal([2L, 3], proto.Shape.Dim);
        var copy = new Blob();
        copy.FromProto(proto);
        Assert.Equal(blob.Data.ToArray(), copy.Data.ToArray());
        Assert.Equal(blob.Diff.ToArray(), copy.Diff.ToArray());
    }

    [Fact]
    public void ProtoWithLegacyDimensionsAndDoubles()
    {
        var proto = new BlobProto { Num = 1, Channels = 2, Height = 1, Width = 2 };
        proto.DoubleData.Add([1, 2, 3, 4]);
        var blob = new Blob();
        blob.FromProto(proto);
        Assert.Equal([1, 2, 1, 2], blob.Shape);
        Assert.Equal([1f, 2f, 3f, 4f], blob.Data.ToArray());
    }

    [Fact]
    public void ProtoThatDoesNotFitIsAnError()
    {
        var proto = new BlobProto { Shape = new BlobShape { Dim = { 2, 2 } } };
        proto.Data.Add([1, 2, 3]);
        var e = Assert.Throws<CortadoException>(() => new Blob().FromProto(proto));
        Assert.Contains("holds 3 values but its shape 2 2 (4) needs 4", e.Message);

        var fixedShape = new Blob(3, 3) { Name = "w" };
        proto.Data.Add(4);
        e = Assert.Throws<CortadoException>(() => fixedShape.FromProto(proto, reshape: false));
        Assert.Contains("stored blob has shape 2 2 but 'w' has shape 3 3 (9)", e.Message);
    }

    [Fact]
    public void SharedDataIsOneBuffer()
    {
        var a = new Blob(2, 2);
        var b = new Blob(4);
        b.ShareData(a);
        a.Data[3] = 5f;
        Assert.Equal(5f, b.Data[3]);
        Assert.Throws<CortadoException>(() => new Blob(3).ShareData(a));
    }
}
