using Cortado.Errors;
using Cortado.Keras;
using Cortado.Proto;

namespace Cortado.Cli.Verbs;

/// <summary>The way back from Caffe to Keras: a Caffe net and its weights as a Keras model file (.keras or .h5).</summary>
public sealed class KerasExportVerb : IVerb
{
    public string Name => "keras-export";
    public string Summary => "write a Caffe net (+ .caffemodel) as a Keras model: .keras (Keras 3) or .h5 (Keras 2)";
    public string Usage => "NET.prototxt [W.caffemodel] -o MODEL.keras|MODEL.h5";
    public IReadOnlyList<Flag> Flags =>
    [
        new("o", "the Keras model to write (.keras or .h5)"),
        new("output", "the same as -o"),
    ];

    public int Run(VerbArguments arguments, VerbConsole console)
    {
        if (arguments.Positional.Count is < 1 or > 2) arguments.ExpectPositional(2);
        string netPath = arguments.Positional[0];
        string? weightsPath = arguments.Positional.Count > 1 ? arguments.Positional[1] : null;
        string output = arguments.Get("o") ?? arguments.Get("output") ?? throw new CortadoException("keras-export: give the model to write with -o MODEL.keras (Keras 3) or -o MODEL.h5 (Keras 2)");
        if (!output.EndsWith(".keras", StringComparison.OrdinalIgnoreCase) && !output.EndsWith(".h5", StringComparison.OrdinalIgnoreCase))
            throw new CortadoException($"keras-export: {output}: the model is written as .keras (Keras 3) or .h5 (Keras 2)");
        var net = ProtoFiles.ReadNetText(netPath);
        var trained = weightsPath != null ? ProtoFiles.ReadWeights(weightsPath) : null;
        var notes = new List<string>();
        Sequential model;
        try { model = CaffeToKeras.Convert(net, trained, notes, weightsPath ?? "the weights"); }
        catch (LayerException e) { throw new CortadoException($"{netPath}: {e.Message}"); }
        model.Save(output);
        foreach (var note in notes) console.Out.WriteLine($"  {note}");
        console.Out.WriteLine($"Exported {model.Layers.Count} Keras layers ({model.ParamCount():N0} parameters) to {output}{(trained == null ? " with the net's filler weights (no .caffemodel given)" : "")}");
        return 0;
    }
}
