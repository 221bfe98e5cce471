using Cortado.Onnx;

namespace Cortado.Cli.Verbs;

/// <summary>A deploy net and its weights as an ONNX model, for ONNX Runtime, OpenCV, TensorRT and the other ONNX readers.</summary>
public sealed class ExportOnnxVerb : IVerb
{
    public string Name => "export-onnx";
    public string Summary => $"write a deploy net and its .caffemodel as an ONNX model (opset {OnnxExporter.Opset})";
    public string Usage => "--model DEPLOY.prototxt --weights W.caffemodel -o MODEL.onnx";
    public IReadOnlyList<Flag> Flags =>
    [
        new("model", "the deploy net (an Input layer, no loss or data layers)"),
        new("weights", "its trained weights (.caffemodel or .caffemodel.h5)"),
        new("o", "the ONNX file to write"),
        new("output", "same as -o"),
    ];

    public int Run(VerbArguments arguments, VerbConsole console)
    {
        arguments.ExpectPositional(0);
        string model = arguments.Require("model"), weights = arguments.Require("weights");
        string output = arguments.Get("o") ?? arguments.Require("output");
        OnnxExporter.ExportFiles(model, weights, output);
        console.Out.WriteLine($"Wrote {output} (ONNX opset {OnnxExporter.Opset}) from {model} and {weights}");
        return 0;
    }
}
