using Cortado.Onnx;

namespace Cortado.Cli.Verbs;

/// <summary>An ONNX model (from PyTorch, Keras, or export-onnx) as a Caffe deploy prototxt and .caffemodel, to test, diagnose, fine-tune or port-check.</summary>
public sealed class ImportOnnxVerb : IVerb
{
    public string Name => "import-onnx";
    public string Summary => "convert an ONNX model to a Caffe deploy prototxt and .caffemodel";
    public string Usage => "MODEL.onnx --prototxt OUT.prototxt --caffemodel OUT.caffemodel [--batch N]";
    public IReadOnlyList<Flag> Flags =>
    [
        new("prototxt", "the deploy net to write"),
        new("caffemodel", "the weights to write"),
        new("batch", "the input batch where the model leaves it free (default 1)"),
    ];

    public int Run(VerbArguments arguments, VerbConsole console)
    {
        string onnx = arguments.ExpectPositional(1)[0];
        string prototxt = arguments.Require("prototxt"), caffemodel = arguments.Require("caffemodel");
        var (deploy, weights) = OnnxImporter.ImportFiles(onnx, prototxt, caffemodel, arguments.GetInt("batch", 1));
        console.Out.WriteLine($"Wrote {prototxt} ({deploy.Layer.Count} layers) and {caffemodel} ({weights.Layer.Count} layers with weights) from {onnx}");
        return 0;
    }
}
