using System.Text.Json;
using Cortado.Cli;
using Cortado.Inference;
using Cortado.Nets;
using Cortado.Proto;
using SkiaSharp;

namespace Cortado.Tests.Inference;

/// <summary>`cortado classify` against a preprocessing and a forward pass computed here by hand from classify.py's steps.</summary>
public class ClassifyTests
{
    // A 2 x 2 image, (R, G, B) per pixel in row-major order.
    private static readonly (byte R, byte G, byte B)[] Pixels = [(10, 20, 30), (200, 100, 50), (0, 255, 128), (90, 60, 30)];

    private static string Png(TempDir dir, string name)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(2, 2, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int i = 0; i < 4; i++) bitmap.SetPixel(i % 2, i / 2, new SKColor(Pixels[i].R, Pixels[i].G, Pixels[i].B));
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(dir.File(name), data.ToArray());
        return dir.File(name);
    }

    private static string Deploy(int channels) => $$"""
        name: "tiny"
        layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: {{channels}} dim: 2 dim: 2 } } }
        layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 3 } }
        layer { name: "prob" type: "Softmax" bottom: "ip" top: "prob" }
        """;

    private static float Weight(int o, int k) => ((o * 12 + k) % 7 - 3) * 0.01f;
    private static readonly float[] Bias = [0.1f, -0.2f, 0.05f];

    private static (string Deploy, string Weights) Model(TempDir dir)
    {
        File.WriteAllText(dir.File("deploy.prototxt"), Deploy(3));
        using var net = new Net(TextFormat.Parse<NetParameter>(Deploy(3)), Phase.Test);
        var ip = net.Layer("ip").Blobs;
        for (int o = 0; o < 3; o++) for (int k = 0; k < 12; k++) ip[0].Data[o * 12 + k] = Weight(o, k);
        Bias.CopyTo(ip[1].Data);
        ProtoFiles.WriteBinary(dir.File("w.caffemodel"), net.ToProto());
        return (dir.File("deploy.prototxt"), dir.File("w.caffemodel"));
    }

    /// <summary>classify.py's order: RGB / 255, channel swap 2,1,0 (to B, G, R), * raw_scale 255, - mean, * scale.</summary>
    private static float[] ExpectedProbabilities(float[] mean, float scale)
    {
        var x = new float[12];
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < 4; i++)
            {
                byte value = c == 0 ? Pixels[i].B : c == 1 ? Pixels[i].G : Pixels[i].R;
                x[c * 4 + i] = (value / 255f * 255f - mean[c]) * scale;
            }
        var logits = Enumerable.Range(0, 3).Select(o => Bias[o] + Enumerable.Range(0, 12).Sum(k => (double)Weight(o, k) * x[k])).ToArray();
        double max = logits.Max(), sum = logits.Sum(l => Math.Exp(l - max));
        return logits.Select(l => (float)(Math.Exp(l - max) / sum)).ToArray();
    }

    [Fact]
    public void TopClassesEqualAHandComputedPreprocessingAndForwardPass()
    {
        using var dir = new TempDir();
        var (deploy, weights) = Model(dir);
        string image = Png(dir, "four.png");
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CommandLine.Run(["classify", "--model", deploy, "--weights", weights, "--mean_value", "104,117,123", "--scale", "0.5", "--top", "3", "--json", image], output, error);
        Assert.True(code == 0, error.ToString());
        var expected = ExpectedProbabilities([104, 117, 123], 0.5f);
        using var result = JsonDocument.Parse(output.ToString().Trim());
        var top = result.RootElement.GetProperty("top").EnumerateArray().ToList();
        Assert.Equal(expected.Select((p, i) => (p, i)).OrderByDescending(t => t.p).Select(t => t.i), top.Select(t => t.GetProperty("index").GetInt32()));
        foreach (var t in top) Assert.Equal(expected[t.GetProperty("index").GetInt32()], t.GetProperty("value").GetSingle(), 1e-5f);
    }

    [Fact]
    public void TheTextOutputIsCaffesAndLabelsNameTheClasses()
    {
        using var dir = new TempDir();
        var (deploy, weights) = Model(dir);
        string image = Png(dir, "four.png");
        File.WriteAllLines(dir.File("labels.txt"), ["n0 zero", "n1 one", "n2 two"]);
        var output = new StringWriter();
        Assert.Equal(0, CommandLine.Run(["classify", "--model", deploy, "--weights", weights, "--labels", dir.File("labels.txt"), "--top", "2", image], output, new StringWriter()));
        var lines = output.ToString().TrimEnd().Split('\n');
        var expected = ExpectedProbabilities([0, 0, 0], 1f);
        int best = Array.IndexOf(expected, expected.Max());
        Assert.Equal($"---------- Prediction for {image} ----------", lines[0]);
        Assert.Equal(FormattableString.Invariant($"{expected[best]:F4} - \"n{best} {new[] { "zero", "one", "two" }[best]}\""), lines[1]);
        Assert.Equal(3, lines.Length);
    }

    [Fact]
    public void ABadImageInAFolderIsNamedAndSkippedAndTheOthersAreClassified()
    {
        using var dir = new TempDir();
        var (deploy, weights) = Model(dir);
        Directory.CreateDirectory(dir.File("images"));
        Png(dir, "images/a.png");
        File.WriteAllText(dir.File("images/b.png"), "not an image");
        Png(dir, "images/c.png");
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CommandLine.Run(["classify", "--model", deploy, "--weights", weights, "--batch", "2", dir.File("images")], output, error);
        Assert.Equal(1, code);
        Assert.Contains($"skipped {dir.File("images/b.png")}: cannot be decoded", error.ToString());
        Assert.Contains($"Prediction for {dir.File("images/a.png")}", output.ToString());
        Assert.Contains($"Prediction for {dir.File("images/c.png")}", output.ToString());
    }

    [Fact]
    public void TheReadmesCSharpExampleRuns()
    {
        using var dir = new TempDir();
        var (deploy, weights) = Model(dir);
        string image = Png(dir, "cat.png");
        // As the README has it, with this test's files.
        using var classifier = Classifier.Load(deploy, weights,
            new ImagePreprocessing { MeanValues = [104, 117, 123] });
        float[] probabilities = classifier.Predict(image);
        var best = Classifier.Top(probabilities, 5);
        Assert.Equal(3, best.Count);
        Assert.Equal(ExpectedProbabilities([104, 117, 123], 1f).Max(), best[0].Value, 1e-5f);
    }

    [Fact]
    public void GrayNetsGetLuminanceAndTheChannelSwapReordersColour()
    {
        using var dir = new TempDir();
        string image = Png(dir, "four.png");
        var gray = new float[4];
        new ImagePreprocessing { RawScale = 1f }.Apply(image, 1, 2, 2, gray);
        for (int i = 0; i < 4; i++)
            Assert.Equal(MathF.Round(0.299f * Pixels[i].R + 0.587f * Pixels[i].G + 0.114f * Pixels[i].B) / 255f, gray[i], 1e-6f);

        var rgb = new float[12];
        new ImagePreprocessing { ChannelSwap = [0, 1, 2] }.Apply(image, 3, 2, 2, rgb);
        Assert.Equal(Pixels.Select(p => (float)p.R), rgb[..4]);
        Assert.Equal(Pixels.Select(p => (float)p.B), rgb[8..]);
    }
}
