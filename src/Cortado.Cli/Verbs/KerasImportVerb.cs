using Cortado.Errors;
using Cortado.Keras;
using Cortado.Proto;

namespace Cortado.Cli.Verbs;

/// <summary>A Keras model (to_json() output, and optionally its HDF5 weights) as a Caffe deploy prototxt and .caffemodel.</summary>
public sealed class KerasImportVerb : IVerb
{
    public string Name => "keras-import";
    public string Summary => "convert a Keras model JSON (+ HDF5 weights) to a Caffe prototxt and .caffemodel";
    public string Usage => "MODEL.json [WEIGHTS.h5] | MODEL.keras  --prototxt OUT.prototxt [--caffemodel OUT.caffemodel]";
    public IReadOnlyList<Flag> Flags =>
    [
        new("prototxt", "the deploy net to write"),
        new("caffemodel", "the weights to write (needs WEIGHTS.h5)"),
    ];

    public int Run(VerbArguments arguments, VerbConsole console)
    {
        if (arguments.Positional.Count is < 1 or > 2) arguments.ExpectPositional(2);
        string jsonPath = arguments.Positional[0];
        string? weightsPath = arguments.Positional.Count > 1 ? arguments.Positional[1] : null;
        string prototxt = arguments.Require("prototxt");
        string? caffemodel = arguments.Get("caffemodel");
        using var archive = jsonPath.EndsWith(".keras", StringComparison.OrdinalIgnoreCase) ? KerasArchive.Open(jsonPath) : null;
        if (archive != null) weightsPath = archive.WeightsPath;
        if (caffemodel != null && weightsPath == null) throw new CortadoException("keras-import: --caffemodel needs the Keras weights file (WEIGHTS.h5)");
        string json;
        try { json = archive?.Config ?? File.ReadAllText(jsonPath); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new ModelFileException(jsonPath, e is FileNotFoundException ? "file not found" : e.Message, e); }
        var model = KerasModelJson.ParseModel(json, jsonPath);
        if (weightsPath != null) model.LoadWeights(weightsPath);
        var notes = new List<string>();
        var deploy = model.ToDeployNet(1, notes);
        // Never write a net Cortado itself would refuse: build it once (layer checks, shapes).
        using (new Nets.Net(deploy, Phase.Test)) { }
        string header = $"# Imported by Cortado from {Path.GetFileName(jsonPath)}. Keras semantics translated for Caffe:\n" + string.Concat(notes.Select(n => $"#   {n}\n"));
        IO.AtomicFile.WriteAllText(prototxt, header + TextFormat.Print(deploy));
        if (caffemodel != null) ProtoFiles.WriteBinary(caffemodel, model.ToCaffeModel());
        console.Out.WriteLine($"Imported {model.Layers.Count} Keras layers ({model.ParamCount():N0} parameters) to {prototxt}{(caffemodel != null ? $" and {caffemodel}" : "")}");
        return 0;
    }
}
