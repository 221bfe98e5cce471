using Cortado.Diagnostics;
using Cortado.Keras;
using Cortado.Proto;

namespace Cortado.Cli.Verbs;

/// <summary>Side by side: a Keras model and its Caffe port, and every semantic difference between them.</summary>
public sealed class PortCheckVerb : IVerb
{
    public string Name => "port-check";
    public string Summary => "compare a Keras model with its Caffe port: every semantic difference, side by side";
    public string Usage => "--keras MODEL.json --net NET.prototxt [--solver S.prototxt] [--keras_optimizer adadelta] [--keras_version 2]";
    public IReadOnlyList<Flag> Flags =>
    [
        new("keras", "the Keras model: its JSON (model.to_json()), or a saved .keras or .h5 model"),
        new("net", "the Caffe net prototxt"),
        new("solver", "the Caffe solver prototxt, to compare the optimizer"),
        new("keras_optimizer", "the optimizer the Keras model was compiled with (default adadelta)"),
        new("keras_version", "1, 2 or 3: Keras's defaults differ by version (default 2)"),
    ];

    public int Run(VerbArguments arguments, VerbConsole console)
    {
        arguments.ExpectPositional(0);
        string kerasPath = arguments.Require("keras"), netPath = arguments.Require("net");
        var keras = ReadKeras(kerasPath);
        var net = ProtoFiles.ReadNetText(netPath);
        var solver = arguments.Get("solver") is { } s ? ProtoFiles.ReadSolverText(s) : null;
        var differences = PortCheck.Compare(keras, net, solver, arguments.Get("keras_optimizer") ?? "adadelta", arguments.GetInt("keras_version", 2));
        var o = console.Out;
        o.WriteLine($"Keras model {kerasPath} against Caffe net {netPath}{(solver != null ? " and its solver" : "")}: {differences.Count} difference(s)");
        o.WriteLine();
        o.WriteLine($"{"Keras layer",-18} {"Caffe layer",-12} {"what",-24} {"Keras",-40} Caffe");
        foreach (var d in differences)
        {
            o.WriteLine($"{d.Keras,-18} {d.Caffe,-12} {d.What,-24} {d.KerasValue,-40} {d.CaffeValue}");
            if (d.Why.Length > 0) o.WriteLine($"{"",-56}  ({d.Why})");
        }
        return 0;
    }

    /// <summary>A model JSON, or a saved model (keras-export's output among them), so the check runs from either side.</summary>
    private static Sequential ReadKeras(string path)
    {
        if (path.EndsWith(".keras", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".h5", StringComparison.OrdinalIgnoreCase))
            return Sequential.Load(path, compile: false);
        try { return KerasModelJson.Parse(File.ReadAllText(path), path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new Errors.ModelFileException(path, e is FileNotFoundException ? "file not found" : e.Message, e); }
    }
}
