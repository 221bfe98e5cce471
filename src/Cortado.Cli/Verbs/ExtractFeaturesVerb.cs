using Cortado.Errors;
using Cortado.IO;
using Cortado.Layers;
using Cortado.Nets;
using Cortado.Proto;

namespace Cortado.Cli.Verbs;

/// <summary>
/// Caffe's extract_features tool, with its arguments in its order: runs a net (TEST phase, its own
/// data layer) with trained weights for N batches and stores the named blobs per image, as an LMDB
/// of float Datums keyed by image index (Caffe's format), an HDF5 file or a NumPy .npy file.
/// </summary>
public sealed class ExtractFeaturesVerb : IVerb
{
    public string Name => "extract-features";
    public string Summary => "store blobs of a trained net per image (as Caffe's extract_features): LMDB, HDF5 or .npy";
    public string Usage => "WEIGHTS.caffemodel NET.prototxt BLOB[,BLOB...] OUT[,OUT...] NUM_BATCHES [lmdb|leveldb|hdf5|npy]";
    public IReadOnlyList<Flag> Flags => [];

    public int Run(VerbArguments arguments, VerbConsole console)
    {
        if (arguments.Positional.Count is < 5 or > 6) arguments.ExpectPositional(5);
        var p = arguments.Positional;
        string weights = p[0], model = p[1], format = p.Count > 5 ? p[5].ToLowerInvariant() : "lmdb";
        var blobs = p[2].Split(',', StringSplitOptions.RemoveEmptyEntries);
        var outputs = p[3].Split(',', StringSplitOptions.RemoveEmptyEntries);
        if (blobs.Length != outputs.Length) throw new CortadoException($"extract-features: {blobs.Length} blob names but {outputs.Length} outputs; give one output per blob");
        if (!int.TryParse(p[4], out int batches) || batches < 1) throw new CortadoException($"extract-features: NUM_BATCHES must be a positive whole number, got '{p[4]}'");

        var log = console.Log;
        using var net = new Net(ProtoFiles.ReadNetText(model), Phase.Test, new NetOptions { Log = log, Random = new CaffeRandom(1) });
        net.CopyTrainedLayersFrom(ProtoFiles.ReadWeights(weights), weights);
        foreach (var name in blobs)
            if (!net.HasBlob(name)) throw new CortadoException($"extract-features: the net has no blob '{name}'; its blobs are {string.Join(", ", net.Blobs.Select(b => b.Name))}");

        log.Info("extract_features.cs", "Extracting Features");
        var writers = new List<IFeatureWriter>();
        try
        {
            for (int i = 0; i < blobs.Length; i++) writers.Add(FeatureWriters.Create(format, outputs[i], net.Blob(blobs[i]).Shape.Skip(1).ToArray()));
            int images = 0;
            for (int batch = 0; batch < batches; batch++)
            {
                net.Forward();
                for (int i = 0; i < blobs.Length; i++)
                {
                    var blob = net.Blob(blobs[i]);
                    int perImage = blob.Count / blob.Shape[0];
                    for (int n = 0; n < blob.Shape[0]; n++) writers[i].Add(blob.Data.Slice(n * perImage, perImage));
                }
                images += net.Blob(blobs[0]).Shape[0];
            }
            foreach (var writer in writers) writer.Complete();
            for (int i = 0; i < blobs.Length; i++) log.Info("extract_features.cs", $"Extracted features of {images} query images for feature blob {blobs[i]}");
        }
        finally
        {
            foreach (var writer in writers) writer.Dispose();
        }
        log.Info("extract_features.cs", "Successfully extracted the features!");
        return 0;
    }
}
