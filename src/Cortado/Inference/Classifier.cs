using Cortado.Errors;
using Cortado.Nets;
using Cortado.Proto;

namespace Cortado.Inference;

/// <summary>
/// A trained deploy net used as Caffe's classification.cpp uses it: load the prototxt and weights,
/// preprocess images, read the output blob (the probabilities, when the net ends in Softmax).
/// <code>
/// using var classifier = Classifier.Load("deploy.prototxt", "net.caffemodel");
/// float[] probabilities = classifier.Predict("cat.jpg");
/// </code>
/// </summary>
public sealed class Classifier : IDisposable
{
    private readonly Net _net;
    private readonly Tensors.Blob _input, _output;

    private Classifier(Net net, string inputName, int batchSize, ImagePreprocessing preprocessing)
    {
        _net = net;
        _input = net.Blob(inputName);
        _output = net.Outputs[^1];
        BatchSize = batchSize;
        Preprocessing = preprocessing;
        (Channels, Height, Width) = (_input.Shape[1], _input.Shape[2], _input.Shape[3]);
        Classes = _output.Count / batchSize;
    }

    public int BatchSize { get; }
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    /// <summary>Values per image in the output blob.</summary>
    public int Classes { get; }
    public string OutputName => _output.Name;
    public ImagePreprocessing Preprocessing { get; }

    /// <summary>Loads a deploy net (its first Input, or input/input_dim, is the image) and its weights, for batches of <paramref name="batchSize"/> images.</summary>
    public static Classifier Load(string deploy, string weights, ImagePreprocessing? preprocessing = null, int batchSize = 1)
    {
        if (batchSize < 1) throw new CortadoException($"the batch size must be at least 1, got {batchSize}");
        var param = ProtoFiles.ReadNetText(deploy);
        var input = param.Layer.FirstOrDefault(l => l.Type == "Input" && l.InputParam is { Shape.Count: > 0 })
            ?? throw new ModelFileException(deploy, "has no Input layer (nor input/input_dim): a deploy net names the image it takes");
        var shape = input.InputParam.Shape[0];
        if (shape.Dim.Count != 4) throw new ModelFileException(deploy, $"input '{input.Top[0]}' has {shape.Dim.Count} dimensions; an image input is N x C x H x W");
        shape.Dim[0] = batchSize;
        var net = new Net(param, Phase.Test);
        try
        {
            net.CopyTrainedLayersFrom(ProtoFiles.ReadWeights(weights), weights);
            return new Classifier(net, input.Top[0], batchSize, preprocessing ?? new ImagePreprocessing());
        }
        catch
        {
            net.Dispose();
            throw;
        }
    }

    /// <summary>The net input for one image file; a file that is not a readable image is a <see cref="DataException"/> naming it.</summary>
    public float[] Preprocess(string image)
    {
        var chw = new float[Channels * Height * Width];
        Preprocessing.Apply(image, Channels, Height, Width, chw);
        return chw;
    }

    /// <summary>The output values of each input, run BatchSize at a time.</summary>
    public List<float[]> Forward(IReadOnlyList<float[]> inputs)
    {
        var results = new List<float[]>(inputs.Count);
        int sample = Channels * Height * Width;
        for (int start = 0; start < inputs.Count; start += BatchSize)
        {
            var data = _input.Data;
            data.Clear();
            int count = Math.Min(BatchSize, inputs.Count - start);
            for (int i = 0; i < count; i++) inputs[start + i].CopyTo(data.Slice(i * sample, sample));
            _net.Forward();
            for (int i = 0; i < count; i++) results.Add(_output.Data.Slice(i * Classes, Classes).ToArray());
        }
        return results;
    }

    public float[] Predict(string image) => Forward([Preprocess(image)])[0];

    /// <summary>The k highest values with their indices, highest first (ties by index).</summary>
    public static List<(int Index, float Value)> Top(float[] values, int k) =>
        values.Select((v, i) => (i, v)).OrderByDescending(p => p.v).ThenBy(p => p.i).Take(k).ToList();

    public void Dispose() => _net.Dispose();
}
