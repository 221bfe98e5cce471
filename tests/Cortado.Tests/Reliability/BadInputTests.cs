using Cortado.Data;
using Cortado.Errors;
using Cortado.Logging;
using Cortado.Nets;
using Cortado.Proto;
using Cortado.Solvers;
using Cortado.Tests.Solvers;
using Google.Protobuf;

namespace Cortado.Tests.Reliability;

/// <summary>
/// Minimal reproducers from the fuzz campaign: each input used to give an internal error, hang or
/// be silently accepted; each now gets an error that names its place, or a warning.
/// </summary>
public class BadInputTests
{
    /// <summary>A real 2 x 2 PNG whose header is rewritten to claim width x height (checksum fixed, pixel data left short).</summary>
    private static byte[] PngClaiming(uint width, uint height)
    {
        using var bitmap = new SkiaSharp.SKBitmap(2, 2, SkiaSharp.SKColorType.Gray8, SkiaSharp.SKAlphaType.Opaque);
        using var data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        byte[] png = data.ToArray();
        // Signature (8), chunk length (4), then "IHDR" and its 13 bytes at 12..28, its CRC at 29..32.
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(16), width);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(20), height);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), Crc32(png.AsSpan(12, 17)));
        return png;
    }

    /// <summary>PNG's chunk checksum: CRC-32 with the reflected polynomial 0xEDB88320.</summary>
    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }

    [Fact]
    public void AnImageBombIsRefusedFromItsHeaderNamingTheRecord()
    {
        var datum = new Datum { Encoded = true, Label = 1, Data = ByteString.CopyFrom(PngClaiming(65535, 65535)) };
        var error = Assert.Throws<DataException>(() => DatumImage.Shape(datum, DatumImage.ColorMode.Native, "db record '00000003'"));
        Assert.Contains("db record '00000003'", error.Message);
        Assert.Contains("65535 x 65535 pixels, over the limit", error.Message);
        Assert.Contains("--max_image_pixels", error.Message);
    }

    [Theory]
    [InlineData(-1, 24, 15)]
    [InlineData(0, 24, 15)]
    [InlineData(1, 0, 15)]
    [InlineData(65536, 65536, 1)]
    public void ADatumOfImpossibleSizeIsRefused(int channels, int height, int width)
    {
        var datum = new Datum { Channels = channels, Height = height, Width = width, Label = 0 };
        var error = Assert.Throws<DataException>(() => DatumImage.Shape(datum, DatumImage.ColorMode.Native, "db record 'k'"));
        Assert.StartsWith("db record 'k': is ", error.Message);
    }

    [Fact]
    public void ADatabaseWithoutLabelsDoesNotTrainAsClassZero()
    {
        using var dir = new TempDir();
        using (var writer = new LmdbWriter(dir.File("unlabelled_lmdb")))
        {
            for (int i = 0; i < 4; i++)
                writer.Put(i.ToString("D8"), new Datum { Channels = 1, Height = 2, Width = 2, Data = ByteString.CopyFrom(1, 2, 3, 4) }.ToByteArray());
            writer.Complete();
        }
        var param = TextFormat.Parse<NetParameter>($$"""
            layer { name: "data" type: "Data" top: "data" top: "label" data_param { source: "{{dir.File("unlabelled_lmdb")}}" batch_size: 2 backend: LMDB } }
            """);
        var error = Assert.Throws<LayerException>(() => new Net(param, Phase.Train));
        Assert.Contains("record '00000000'", error.Message);
        Assert.Contains("has no label", error.Message);
    }

    [Theory]
    [InlineData("dim: 2147483648 dim: 3", "dimension 0 is 2147483648")]
    [InlineData("dim: 2 dim: -3", "dimension 1 is -3")]
    [InlineData("dim: 65536 dim: 65536 dim: 65536", "more than")]
    public void AnInputShapeThatOverflowsIsAnErrorNamingTheLayer(string dims, string expected)
    {
        var param = TextFormat.Parse<NetParameter>($"layer {{ name: \"in\" type: \"Input\" top: \"x\" input_param {{ shape {{ {dims} }} }} }}");
        var error = Assert.ThrowsAny<CortadoException>(() => new Net(param, Phase.Test));
        Assert.Contains(expected, error.Message);
        Assert.Contains("'in'", error.Message);
    }

    [Theory]
    [InlineData(2147483648L)]
    [InlineData(-5L)]
    public void ACaffemodelBlobWithAnImpossibleDimensionNamesTheFileAndLayer(long dim)
    {
        using var dir = new TempDir();
        using var net = new Net(TextFormat.Parse<NetParameter>(SolverTestNets.Linear), Phase.Train);
        var model = net.ToProto();
        model.Layer.Single(l => l.Name == "ip").Blobs[0].Shape.Dim[0] = dim;
        ProtoFiles.WriteBinary(dir.File("bad.caffemodel"), model);
        var error = Assert.ThrowsAny<CortadoException>(() => net.CopyTrainedLayersFrom(ProtoFiles.ReadWeights(dir.File("bad.caffemodel")), dir.File("bad.caffemodel")));
        Assert.Contains("bad.caffemodel", error.Message);
        Assert.Contains("layer 'ip' parameter 0", error.Message);
        Assert.Contains($"dimension 0 is {dim}", error.Message);
    }

    [Fact]
    public void AnEmptyCaffemodelIsNotAFreshStart()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("empty.caffemodel"), []);
        using var net = new Net(TextFormat.Parse<NetParameter>(SolverTestNets.Linear), Phase.Train);
        var error = Assert.Throws<ModelFileException>(() => net.CopyTrainedLayersFrom(ProtoFiles.ReadWeights(dir.File("empty.caffemodel")), dir.File("empty.caffemodel")));
        Assert.Contains("empty.caffemodel", error.Message);
        Assert.Contains("holds no layers", error.Message);
    }

    [Fact]
    public void WeightsThatFitNoLayerAreLoggedAndWarnedAbout()
    {
        var log = new StringWriter();
        using var net = new Net(TextFormat.Parse<NetParameter>(SolverTestNets.Linear), Phase.Train, new NetOptions { Log = new CaffeLog(log) });
        var other = net.ToProto();
        foreach (var layer in other.Layer) layer.Name += "_renamed";
        net.CopyTrainedLayersFrom(other, "other.caffemodel");
        string text = log.ToString();
        Assert.Contains("] Ignoring source layer ip_renamed", text);
        Assert.Contains("other.caffemodel gave weights to none of net 'linear''s learnable layers", text);
        Assert.StartsWith("W", text.Split('\n').First(l => l.Contains("gave weights to none")));

        log.GetStringBuilder().Clear();
        net.CopyTrainedLayersFrom(net.ToProto(), "same.caffemodel");
        Assert.Contains("] Copying source layer ip Type:InnerProduct #blobs=2", log.ToString());
        Assert.DoesNotContain("gave weights to none", log.ToString());
    }

    [Fact]
    public void ASolverStateWithoutItsWeightsFileIsRefused()
    {
        using var dir = new TempDir();
        var param = SolverTestNets.Solver(SolverTestNets.Linear, "base_lr: 0.1 lr_policy: \"fixed\" max_iter: 10 momentum: 0.9");
        using var solver = SolverFactory.Create(param);
        var state = new SolverState { Iter = 3, LearnedNet = "" };
        foreach (var blob in solver.Net.LearnableParams) state.History.Add(blob.ToProto());
        ProtoFiles.WriteBinary(dir.File("s.solverstate"), state);
        var error = Assert.Throws<ModelFileException>(() => solver.Restore(dir.File("s.solverstate")));
        Assert.Contains("learned_net is empty", error.Message);
    }

    [Fact]
    public void TheSolversOwnWeightsFieldIsReadNotIgnored()
    {
        var param = SolverTestNets.Solver(SolverTestNets.Linear, "base_lr: 0.1 lr_policy: \"fixed\" max_iter: 10 weights: \"/nonexistent/w.caffemodel\"");
        var error = Assert.Throws<ModelFileException>(() => SolverFactory.Create(param));
        Assert.Contains("/nonexistent/w.caffemodel", error.Message);
    }

    [Fact]
    public void NotANumberIsNotADropoutRatio()
    {
        var param = TextFormat.Parse<NetParameter>("""
            layer { name: "in" type: "Input" top: "x" input_param { shape { dim: 2 dim: 3 } } }
            layer { name: "drop" type: "Dropout" bottom: "x" top: "y" dropout_param { dropout_ratio: nan } }
            """);
        var error = Assert.Throws<LayerException>(() => new Net(param, Phase.Train));
        Assert.Contains("dropout_ratio must be in [0, 1), got NaN", error.Message);
    }

    [Fact]
    public void PoolingInPlaceIsRefusedAtSetUp()
    {
        var param = TextFormat.Parse<NetParameter>("""
            layer { name: "in" type: "Input" top: "x" input_param { shape { dim: 1 dim: 1 dim: 4 dim: 4 } } }
            layer { name: "pool" type: "Pooling" bottom: "x" top: "x" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
            """);
        var error = Assert.Throws<LayerException>(() => new Net(param, Phase.Test));
        Assert.Contains("'pool'", error.Message);
        Assert.Contains("cannot work in place", error.Message);
    }

    [Fact]
    public void ANegativeRateOrMomentumOfOneIsWarnedAboutOnce()
    {
        var log = new StringWriter();
        var param = SolverTestNets.Solver(SolverTestNets.Linear, "base_lr: -0.1 lr_policy: \"fixed\" max_iter: 10 momentum: 1");
        using var solver = SolverFactory.Create(param, new SolverOptions { Log = new CaffeLog(log) });
        var warnings = log.ToString().Split('\n').Where(l => l.StartsWith('W')).ToList();
        Assert.Single(warnings, w => w.Contains("base_lr is negative"));
        Assert.Single(warnings, w => w.Contains("momentum is 1"));
    }
}
