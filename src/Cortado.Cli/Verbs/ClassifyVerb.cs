using System.Globalization;
using System.Text.Json;
using Cortado.Errors;
using Cortado.Inference;

namespace Cortado.Cli.Verbs;

/// <summary>
/// Caffe's classification.cpp and classify.py as one verb: images (or folders of them) through a
/// deploy net and its weights, the top K labels per image, in batches. A file that is not a
/// readable image is named on standard error and skipped; the others are still classified.
/// </summary>
public sealed class ClassifyVerb : IVerb
{
    private static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"];

    public string Name => "classify";
    public string Summary => "classify images with a deploy net and its weights (as Caffe's classification.cpp / classify.py)";
    public string Usage => "--model DEPLOY.prototxt --weights W.caffemodel [--labels FILE] [--mean M.binaryproto | --mean_value B,G,R] " +
        "[--scale S] [--raw_scale R] [--channel_swap 2,1,0] [--top K] [--batch N] [--json] IMAGE|FOLDER...";
    public IReadOnlyList<Flag> Flags =>
    [
        new("model", "the deploy prototxt (an Input layer of N x C x H x W)"),
        new("weights", "the trained .caffemodel"),
        new("labels", "one label per line, as synset_words.txt (default: the class index)"),
        new("mean", "a mean image (.binaryproto); its per-channel means are subtracted"),
        new("mean_value", "per-channel means in the net's channel order, e.g. 104,117,123"),
        new("scale", "multiplies the input after the mean (classify.py's input_scale; default 1)"),
        new("raw_scale", "pixels read as 0..1 are multiplied by this (default 255)"),
        new("channel_swap", "the input's channels as indices into R,G,B (default 2,1,0: BGR, as Caffe)"),
        new("top", "how many classes to print per image (default 5)"),
        new("batch", "images per forward pass (default 16)"),
        new("json", "one JSON object per image instead of Caffe's text", TakesValue: false),
    ];

    public int Run(VerbArguments arguments, VerbConsole console)
    {
        if (arguments.Positional.Count == 0) throw new CortadoException($"classify: give at least one image or folder; usage: cortado classify {Usage}");
        if (arguments.Get("mean") != null && arguments.Get("mean_value") != null) throw new CortadoException("classify: give --mean or --mean_value, not both");
        var preprocessing = new ImagePreprocessing
        {
            Scale = arguments.GetFloat("scale", 1f),
            RawScale = arguments.GetFloat("raw_scale", 255f),
            ChannelSwap = arguments.Get("channel_swap") is { } swap ? ImagePreprocessing.ParseList(swap, "--channel_swap").Select(v => (int)v).ToArray() : null,
            MeanValues = arguments.Get("mean") is { } mean ? ImagePreprocessing.ChannelMeans(mean)
                : arguments.Get("mean_value") is { } values ? ImagePreprocessing.ParseList(values, "--mean_value") : null,
        };
        int top = arguments.GetInt("top", 5);
        bool json = arguments.Has("json");
        var images = Images(arguments.Positional);
        using var classifier = Classifier.Load(arguments.Require("model"), arguments.Require("weights"), preprocessing, arguments.GetInt("batch", 16));
        var labels = Labels(arguments.Get("labels"), classifier.Classes);

        int failed = 0;
        foreach (var chunk in images.Chunk(classifier.BatchSize))
        {
            var ready = new List<(string Image, float[] Input)>();
            foreach (var image in chunk)
            {
                try { ready.Add((image, classifier.Preprocess(image))); }
                catch (CortadoException e)
                {
                    failed++;
                    console.Error.WriteLine($"cortado: warning: skipped {e.Message}");
                    if (json) console.Out.WriteLine(JsonSerializer.Serialize(new { image, error = e.Message }));
                }
            }
            var outputs = classifier.Forward(ready.Select(r => r.Input).ToList());
            for (int i = 0; i < ready.Count; i++) Print(console.Out, ready[i].Image, Classifier.Top(outputs[i], top), labels, json);
        }
        return failed == 0 ? 0 : 1;
    }

    private static void Print(TextWriter output, string image, List<(int Index, float Value)> best, string[]? labels, bool json)
    {
        string Label(int index) => labels?[index] ?? index.ToString(CultureInfo.InvariantCulture);
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new { image, top = best.Select(b => new { index = b.Index, label = Label(b.Index), value = b.Value }) }));
            return;
        }
        // classification.cpp's lines.
        output.WriteLine($"---------- Prediction for {image} ----------");
        foreach (var (index, value) in best) output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{value:F4} - \"{Label(index)}\""));
    }

    private static string[]? Labels(string? path, int classes)
    {
        if (path == null) return null;
        if (!File.Exists(path)) throw new ModelFileException(path, "labels file not found");
        var labels = File.ReadAllLines(path).Where(l => l.Length > 0).ToArray();
        if (labels.Length != classes) throw new ModelFileException(path, $"holds {labels.Length} labels, but the net's output has {classes} values");
        return labels;
    }

    /// <summary>The files named, and the image files in the folders named (sorted), in order.</summary>
    private static List<string> Images(IReadOnlyList<string> paths)
    {
        var images = new List<string>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
                images.AddRange(Directory.EnumerateFiles(path).Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant())).Order(StringComparer.Ordinal));
            else images.Add(path);
        }
        if (images.Count == 0) throw new CortadoException($"classify: no images in {string.Join(", ", paths)}");
        return images;
    }
}
