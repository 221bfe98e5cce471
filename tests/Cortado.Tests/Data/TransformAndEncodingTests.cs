using Cortado.Data;
using Cortado.Layers;
using Cortado.Proto;
using Google.Protobuf;
using SkiaSharp;

namespace Cortado.Tests.Data;

public class TransformAndEncodingTests
{
    private static float[] Run(string transform, Phase phase, float[] image, int c, int h, int w, int seed = 1)
    {
        var transformer = new DataTransformer(TextFormat.Parse<TransformationParameter>(transform), phase, new CaffeRandom(seed));
        var (oc, oh, ow) = transformer.OutputShape(c, h, w);
        var output = new float[oc * oh * ow];
        transformer.Transform(image, c, h, w, output);
        return output;
    }

    [Fact]
    public void MeanIsSubtractedBeforeScaling()
    {
        Assert.Equal([-1f, 0f, 1f, 2f], Run("scale: 0.5 mean_value: 2", Phase.Train, [0, 2, 4, 6], 1, 2, 2));
        Assert.Equal([0f, 1f, 0f, 2f], Run("mean_value: 1 mean_value: 3", Phase.Test, [1, 2, 3, 5], 2, 1, 2));
        Assert.Equal([0f, 2f, 4f, 6f], Run("", Phase.Train, [0, 2, 4, 6], 1, 2, 2));
    }

    [Fact]
    public void TestPhaseCropsTheCentreAndNeverMirrors()
    {
        float[] image = Enumerable.Range(0, 16).Select(i => (float)i).ToArray(); // 4 x 4
        Assert.Equal([5f, 6f, 9f, 10f], Run("crop_size: 2 mirror: true", Phase.Test, image, 1, 4, 4));
    }

    [Fact]
    public void TrainPhaseCropsAndMirrorsAtRandomFromTheSeed()
    {
        float[] image = Enumerable.Range(0, 16).Select(i => (float)i).ToArray();
        var seen = new HashSet<string>();
        for (int seed = 0; seed < 40; seed++)
        {
            var crop = Run("crop_size: 2 mirror: true", Phase.Train, image, 1, 4, 4, seed);
            // Every crop is a 2x2 window of the image, possibly mirrored left-right.
            float topLeft = Math.Min(crop[0], crop[1]);
            Assert.Equal(topLeft + 4, Math.Min(crop[2], crop[3]));
            seen.Add(string.Join(",", crop));
            Assert.Equal(crop, Run("crop_size: 2 mirror: true", Phase.Train, image, 1, 4, 4, seed));
        }
        Assert.True(seen.Count > 10, $"{seen.Count} distinct crops");
    }

    [Fact]
    public void MeanFileMustMatchTheImages()
    {
        using var dir = new TempDir();
        ProtoFiles.WriteBinary(dir.File("mean.binaryproto"), new BlobProto { Num = 1, Channels = 1, Height = 2, Width = 2, Data = { 1, 2, 3, 4 } });
        Assert.Equal([0f, 0f, 0f, 0f], Run($"mean_file: '{dir.File("mean.binaryproto")}'", Phase.Test, [1, 2, 3, 4], 1, 2, 2));
        var transformer = new DataTransformer(TextFormat.Parse<TransformationParameter>($"mean_file: '{dir.File("mean.binaryproto")}'"), Phase.Test, new CaffeRandom(1));
        var e = Assert.Throws<Cortado.Errors.CortadoException>(() => transformer.OutputShape(1, 3, 3));
        Assert.Contains("has shape 1 x 2 x 2 but the images are 1 x 3 x 3", e.Message);
    }

    /// <summary>
    /// Rows wide enough for the eight-at-a-time path, with a scalar tail (29 and 45 columns), against
    /// Caffe's formula written out per pixel: out[c][h][w'] = (image[c][top + h][left + w] - mean) * scale,
    /// w' = mirrored ? width - 1 - w : w. A random crop and mirror must match exactly one placement.
    /// </summary>
    [Theory]
    [InlineData("scale: 0.25 mean_value: 3", "TEST", false)]
    [InlineData("scale: 0.5 mean_value: 1 mean_value: 2 mean_value: 3 crop_size: 29", "TEST", false)]
    [InlineData("scale: 0.5 mean_value: 1 mean_value: 2 mean_value: 3 crop_size: 29 mirror: true", "TRAIN", false)]
    [InlineData("scale: 0.125 mirror: true", "TRAIN", true)]
    [InlineData("crop_size: 21 mirror: true", "TRAIN", true)]
    public void WideRowsTransformAsCaffesFormulaPerPixel(string transform, string phaseName, bool meanFile)
    {
        const int c = 3, h = 37, w = 45;
        var random = new Random(5);
        float[] image = Enumerable.Range(0, c * h * w).Select(_ => (float)random.Next(256)).ToArray();
        float[] mean = Enumerable.Range(0, c * h * w).Select(_ => (float)(random.NextDouble() * 255)).ToArray();
        using var dir = new TempDir();
        if (meanFile)
        {
            ProtoFiles.WriteBinary(dir.File("mean.binaryproto"), new BlobProto { Num = 1, Channels = c, Height = h, Width = w, Data = { mean } });
            transform += $" mean_file: '{dir.File("mean.binaryproto")}'";
        }
        var param = TextFormat.Parse<TransformationParameter>(transform);
        var phase = phaseName == "TRAIN" ? Phase.Train : Phase.Test;
        int crop = (int)param.CropSize, oh = crop > 0 ? crop : h, ow = crop > 0 ? crop : w;

        float[] Expected(int top, int left, bool mirror)
        {
            var expected = new float[c * oh * ow];
            for (int ch = 0; ch < c; ch++)
                for (int y = 0; y < oh; y++)
                    for (int x = 0; x < ow; x++)
                    {
                        int source = (ch * h + top + y) * w + left + x;
                        float m = meanFile ? mean[source] : param.MeanValue.Count == 0 ? 0f : param.MeanValue[param.MeanValue.Count == 1 ? 0 : ch];
                        expected[(ch * oh + y) * ow + (mirror ? ow - 1 - x : x)] = (image[source] - m) * param.Scale;
                    }
            return expected;
        }

        var placements = new HashSet<(int, int, bool)>();
        for (int seed = 0; seed < 12; seed++)
        {
            var output = new float[c * oh * ow];
            new DataTransformer(param, phase, new CaffeRandom(seed)).Transform(image, c, h, w, output);
            var matches = new List<(int, int, bool)>();
            for (int top = 0; top <= h - oh; top++)
                for (int left = 0; left <= w - ow; left++)
                    foreach (bool mirror in new[] { false, true })
                        if (output.AsSpan().SequenceEqual(Expected(top, left, mirror))) matches.Add((top, left, mirror));
            var placement = Assert.Single(matches);
            if (phase == Phase.Test) Assert.Equal(((h - oh) / 2, (w - ow) / 2, false), placement);
            placements.Add(placement);
        }
        if (param.Mirror && phase == Phase.Train) Assert.Contains(placements, p => p.Item3);
    }

    [Fact]
    public void DatumBytesReadAsTheirValues()
    {
        var bytes = Enumerable.Range(0, 3 * 11 * 13).Select(i => (byte)(i * 7 % 256)).ToArray(); // 429: 13 steps of 32 and a tail
        var datum = new Datum { Channels = 3, Height = 11, Width = 13, Data = ByteString.CopyFrom(bytes) };
        var chw = new float[bytes.Length];
        DatumImage.Read(datum, chw, DatumImage.ColorMode.Native, "x");
        Assert.Equal(bytes.Select(b => (float)b), chw);
    }

    private static Datum Encoded(SKBitmap bitmap)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        return new Datum { Encoded = true, Data = ByteString.CopyFrom(png.ToArray()), Label = 2 };
    }

    [Fact]
    public void EncodedColourImagesDecodeToBgrPlanes()
    {
        using var bitmap = new SKBitmap(2, 1, SKColorType.Rgba8888, SKAlphaType.Premul);
        bitmap.SetPixel(0, 0, new SKColor(10, 20, 30));
        bitmap.SetPixel(1, 0, new SKColor(200, 100, 50));
        var datum = Encoded(bitmap);
        Assert.Equal((3, 1, 2), DatumImage.Shape(datum, DatumImage.ColorMode.Native, "x"));
        var chw = new float[6];
        DatumImage.Read(datum, chw, DatumImage.ColorMode.Native, "x");
        Assert.Equal([30f, 50f, 20f, 100f, 10f, 200f], chw); // B plane, G plane, R plane
        var gray = new float[2];
        DatumImage.Read(datum, gray, DatumImage.ColorMode.ForceGray, "x");
        Assert.Equal([MathF.Round(0.299f * 10 + 0.587f * 20 + 0.114f * 30), MathF.Round(0.299f * 200 + 0.587f * 100 + 0.114f * 50)], gray);
    }

    [Fact]
    public void UndecodableImageIsNamed()
    {
        var datum = new Datum { Encoded = true, Data = ByteString.CopyFrom(1, 2, 3) };
        var e = Assert.Throws<Cortado.Errors.DataException>(() => DatumImage.Shape(datum, DatumImage.ColorMode.Native, "db record '00000042'"));
        Assert.Equal("db record '00000042': holds an encoded image that cannot be decoded (not a JPEG, PNG, BMP, GIF or WebP file?)", e.Message);
    }
}
