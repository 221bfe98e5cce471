using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cortado.Errors;
using Cortado.IO;
using PureHDF;

namespace Cortado.Keras;

/// <summary>
/// Keras's saved-model files, written and read.
/// <list type="bullet">
/// <item>Keras 2's HDF5 (model.save("m.h5")): root attributes model_config, training_config, keras_version
/// and backend; /model_weights with layer_names, and per layer a group with weight_names such as
/// "conv2d_1/kernel:0" and the datasets at those paths.</item>
/// <item>Keras 3's .keras: a zip (stored, not deflated, as Keras writes it) of metadata.json, config.json
/// and model.weights.h5, whose weights sit at /layers/NAME/vars/0, 1, ... in each layer's variable order.</item>
/// </list>
/// The optimizer's state is not saved (Keras loads such a file and warns that it starts afresh).
/// </summary>
public static class KerasModelFile
{
    public static void Save(KerasModel model, string path)
    {
        if (path.EndsWith(".keras", StringComparison.OrdinalIgnoreCase)) SaveKeras3(model, path);
        else if (IsHdf5(path)) SaveHdf5(model, path);
        else throw new CortadoException($"{path}: Keras saves models as .keras (Keras 3) or .h5 (Keras 2); give one of those extensions");
    }

    public static void SaveWeights(KerasModel model, string path)
    {
        if (path.EndsWith(".weights.h5", StringComparison.OrdinalIgnoreCase))
            AtomicFile.WriteVia(path, temporary => Hdf5Snapshots.WriteFile(Keras3Weights(model), temporary, path));
        else if (IsHdf5(path))
        {
            var file = new H5File();
            AddKeras2Weights(file, model);
            AtomicFile.WriteVia(path, temporary => Hdf5Snapshots.WriteFile(file, temporary, path));
        }
        else throw new CortadoException($"{path}: Keras saves weights as .weights.h5 (Keras 3) or .h5 (Keras 2); give one of those extensions");
    }

    public static Sequential Load(string path, bool compile = true) =>
        LoadModel(path, compile) as Sequential ?? throw new ModelFileException(path, "holds a functional model; load it with KerasModel.Load");

    public static KerasModel LoadModel(string path, bool compile = true)
    {
        if (!File.Exists(path)) throw new ModelFileException(path, "file not found");
        if (path.EndsWith(".keras", StringComparison.OrdinalIgnoreCase))
        {
            using var archive = KerasArchive.Open(path);
            var model = KerasModelJson.ParseModel(archive.Config, path);
            if (archive.WeightsPath != null) model.LoadWeights(archive.WeightsPath);
            if (compile) Compile(model, archive.Config, "compile_config", path);
            return model;
        }
        var (config, training) = ReadHdf5Configs(path);
        var loaded = KerasModelJson.ParseModel(config, path);
        loaded.LoadWeights(path);
        if (compile && training != null) Compile(loaded, training, null, path);
        return loaded;
    }

    private static bool IsHdf5(string path) => path.EndsWith(".h5", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".hdf5", StringComparison.OrdinalIgnoreCase);

    private static void SaveHdf5(KerasModel model, string path)
    {
        var file = new H5File();
        file.Attributes["backend"] = "tensorflow";
        file.Attributes["keras_version"] = KerasModelConfig.Keras2Version;
        file.Attributes["model_config"] = KerasModelConfig.Model(model, KerasVersion.Keras2).ToJsonString();
        if (KerasModelConfig.TrainingConfig(model) is { } training) file.Attributes["training_config"] = training.ToJsonString();
        var weights = new H5Group();
        AddKeras2Weights(weights, model);
        file["model_weights"] = weights;
        AtomicFile.WriteVia(path, temporary => Hdf5Snapshots.WriteFile(file, temporary, path));
    }

    /// <summary>Keras 2's weight layout in <paramref name="root"/>: layer_names, and per layer its weight_names and datasets.</summary>
    private static void AddKeras2Weights(H5Group root, KerasModel model)
    {
        root.Attributes["backend"] = "tensorflow";
        root.Attributes["keras_version"] = KerasModelConfig.Keras2Version;
        var weights = Weights(model).ToList();
        root.Attributes["layer_names"] = weights.Select(w => w.Layer.Name!).ToArray();
        foreach (var (layer, arrays) in weights)
        {
            var group = new H5Group();
            var names = arrays.Select(a => $"{layer.Name}/{a.Name}:0").ToArray();
            // h5py stores an empty list as an empty float64 array; Keras's loader reads either as no names.
            group.Attributes["weight_names"] = names.Length > 0 ? names : Array.Empty<double>();
            if (arrays.Length > 0)
            {
                var inner = new H5Group();
                foreach (var array in arrays) inner[array.Name + ":0"] = Dataset(array);
                group[layer.Name!] = inner;
            }
            root[layer.Name!] = group;
        }
    }

    /// <summary>Keras 3's weights file: /layers/NAME/vars/i for every layer (empty for layers without weights), and an empty /vars for the model.</summary>
    private static H5File Keras3Weights(KerasModel model)
    {
        var layers = new H5Group();
        foreach (var (layer, arrays) in Weights(model))
        {
            var vars = new H5Group();
            for (int i = 0; i < arrays.Length; i++) vars[i.ToString(CultureInfo.InvariantCulture)] = Dataset(arrays[i]);
            layers[layer.Name!] = new H5Group { ["vars"] = vars };
        }
        return new H5File { ["layers"] = layers, ["vars"] = new H5Group() };
    }

    private static void SaveKeras3(KerasModel model, string path)
    {
        string weights = Path.Combine(Directory.CreateTempSubdirectory("cortado-keras-").FullName, "model.weights.h5");
        try
        {
            Hdf5Snapshots.WriteFile(Keras3Weights(model), weights, path);
            var metadata = new JsonObject { ["keras_version"] = KerasModelConfig.Keras3Version, ["date_saved"] = DateTime.Now.ToString("yyyy-MM-dd@HH:mm:ss", CultureInfo.InvariantCulture) };
            AtomicFile.Write(path, stream =>
            {
                using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
                Text(zip, "metadata.json", metadata.ToJsonString());
                Text(zip, "config.json", KerasModelConfig.Model(model, KerasVersion.Keras3).ToJsonString());
                zip.CreateEntryFromFile(weights, "model.weights.h5", CompressionLevel.NoCompression);
            });
        }
        finally
        {
            try { Directory.Delete(Path.GetDirectoryName(weights)!, recursive: true); } catch (IOException) { }
        }
    }

    private static void Text(ZipArchive zip, string name, string text)
    {
        using var writer = new StreamWriter(zip.CreateEntry(name, CompressionLevel.NoCompression).Open());
        writer.Write(text);
    }

    /// <summary>Each layer with its weight arrays in Keras's layout and order, named as Keras names them.</summary>
    private static IEnumerable<(KerasLayer Layer, NamedArray[] Arrays)> Weights(KerasModel model)
    {
        // A functional model's layers include its InputLayers, without weights.
        if (model is Model functional)
            foreach (var input in functional.Inputs) yield return (input.Input!, []);
        foreach (var layer in model.Layers)
        {
            var specs = layer.WeightSpecs(model.InputOf(layer));
            var values = specs.Length > 0 ? model.GetWeightsForCopy(layer.Name!) : [];
            yield return (layer, specs.Select((s, i) => new NamedArray(s.Name, values[i], s.Shape)).ToArray());
        }
    }

    private sealed record NamedArray(string Name, float[] Values, int[] Shape);

    private static H5Dataset Dataset(NamedArray array) => new(array.Values, fileDims: array.Shape.Select(d => (ulong)d).ToArray());

    /// <summary>model_config and training_config from a Keras 2 HDF5 model file (training_config is absent for an uncompiled model).</summary>
    private static (string Config, string? Training) ReadHdf5Configs(string path)
    {
        try
        {
            Hdf5Header.Check(path);
            using var file = H5File.OpenRead(path);
            if (!file.AttributeExists("model_config"))
                throw new ModelFileException(path, "has no model_config attribute: it holds weights only (save_weights); build the model and call LoadWeights instead");
            string config = file.Attribute("model_config").Read<string>();
            string? training = file.AttributeExists("training_config") ? file.Attribute("training_config").Read<string>() : null;
            return (config, training);
        }
        catch (Exception e) when (e is not CortadoException)
        {
            throw new ModelFileException(path, $"cannot be read as a Keras HDF5 model: {e.Message}", e);
        }
    }

    /// <summary>Compiles the loaded model as it was saved: Keras 2's training_config, or Keras 3's compile_config inside config.json.</summary>
    private static void Compile(KerasModel model, string json, string? key, string path)
    {
        using var document = JsonDocument.Parse(json);
        var config = document.RootElement;
        if (key != null && (!config.TryGetProperty(key, out config) || config.ValueKind != JsonValueKind.Object)) return;
        if (!config.TryGetProperty("loss", out var loss) || loss.ValueKind != JsonValueKind.String)
            throw new ModelFileException(path, "was saved compiled with a loss that is not one name; load it with compile: false and call Compile");
        var optimizer = config.TryGetProperty("optimizer_config", out var o) || config.TryGetProperty("optimizer", out o)
            ? KerasOptimizerConfig.Parse(o, path) : throw new ModelFileException(path, "was saved compiled but names no optimizer");
        var metrics = new List<string>();
        if (config.TryGetProperty("metrics", out var list) && list.ValueKind == JsonValueKind.Array)
            foreach (var metric in list.EnumerateArray())
                if (metric.ValueKind == JsonValueKind.String) metrics.Add(metric.GetString()!);
                else throw new ModelFileException(path, $"metric {metric.GetRawText()} is not a name; load with compile: false and call Compile");
        try { model.Compile(loss.GetString()!, optimizer, metrics.ToArray()); }
        catch (CortadoException e) { throw new ModelFileException(path, $"cannot be compiled as saved ({e.Message}); load it with compile: false", e); }
    }
}
