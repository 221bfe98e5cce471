using Cortado.Errors;
using PureHDF;

namespace Cortado.Keras;

/// <summary>One stored weight array: its values as float32 and its shape as the file gives it.</summary>
public sealed record KerasArray(float[] Values, int[] Shape)
{
    public string ShapeText => "(" + string.Join(", ", Shape) + ")";
}

/// <summary>
/// Weights from a Keras HDF5 file, per layer name, in Keras's layout: Keras 2's save_weights
/// (root attribute layer_names, each group's weight_names) and model.save (the same under
/// /model_weights), Keras 1 (weight names such as conv2d_1_W), and Keras 3's .weights.h5
/// (/layers/NAME/vars/0, 1, ...). Each array keeps its shape, so a transposed kernel of the right
/// size is caught, and only floating-point data is read (integers are not reinterpreted as floats).
/// </summary>
public static class KerasWeights
{
    public static Dictionary<string, KerasArray[]> Read(string path)
    {
        if (!File.Exists(path)) throw new ModelFileException(path, "file not found");
        try
        {
            IO.Hdf5Header.Check(path);
            using var file = H5File.OpenRead(path);
            var names = file.Children().Select(c => c.Name).ToHashSet();
            if (names.Contains("layers") && !file.AttributeExists("layer_names")) return ReadKeras3(file.Group("layers"), path);
            IH5Group root = names.Contains("model_weights") ? file.Group("model_weights") : file;
            if (!root.AttributeExists("layer_names"))
                throw new ModelFileException(path, "is not a Keras weights file (no layer_names attribute, no /model_weights and no /layers group)");
            var weights = new Dictionary<string, KerasArray[]>();
            foreach (var layer in Strings(root.Attribute("layer_names"), path, "layer_names"))
            {
                var group = root.Group(layer);
                var weightNames = group.AttributeExists("weight_names") ? Strings(group.Attribute("weight_names"), path, $"{layer}'s weight_names") : [];
                weights[layer] = weightNames.Select(w => ReadArray(group.Dataset(w), path, $"{layer}/{w}")).ToArray();
            }
            return weights;
        }
        catch (Exception e) when (e is not CortadoException)
        {
            throw new ModelFileException(path, $"cannot be read as Keras weights: {e.Message}", e);
        }
    }

    private static Dictionary<string, KerasArray[]> ReadKeras3(IH5Group layers, string path)
    {
        var weights = new Dictionary<string, KerasArray[]>();
        foreach (var link in layers.Children())
        {
            var group = layers.Group(link.Name);
            if (!group.Children().Any(c => c.Name == "vars")) continue;
            var vars = group.Group("vars");
            var count = vars.Children().Count();
            weights[link.Name] = Enumerable.Range(0, count).Select(i => ReadArray(vars.Dataset(i.ToString()), path, $"layers/{link.Name}/vars/{i}")).ToArray();
        }
        return weights;
    }

    private static KerasArray ReadArray(IH5Dataset dataset, string path, string name)
    {
        var dims = dataset.Space.Dimensions;
        // Keras writes weights uncompressed: a dataset claiming far more values than the file has bytes is damage, and
        // reading it would allocate for the claim.
        double count = dims.Aggregate(1.0, (a, d) => a * d), limit = Math.Max(1 << 20, 16.0 * new FileInfo(path).Length);
        if (count > limit || count > Array.MaxLength)
            throw new ModelFileException(path, $"weight {name} has shape ({string.Join(", ", dims)}), more values than a file of {new FileInfo(path).Length:N0} bytes can hold");
        int[] shape = dims.Select(d => (int)d).ToArray();
        if (dataset.Type.Class != H5DataTypeClass.FloatingPoint)
            throw new ModelFileException(path, $"weight {name} is stored as {dataset.Type.Class} data of {dataset.Type.Size} bytes; Keras weights are floating point");
        float[] values = dataset.Type.Size switch
        {
            4 => dataset.Read<float[]>(),
            8 => dataset.Read<double[]>().Select(v => (float)v).ToArray(),
            _ => throw new ModelFileException(path, $"weight {name} has {dataset.Type.Size}-byte floats; float32 or float64 expected"),
        };
        return new KerasArray(values, shape);
    }

    /// <summary>A list of names; h5py stores an empty list as an empty float64 array, which is read as no names.</summary>
    private static string[] Strings(IH5Attribute attribute, string path, string what)
    {
        if (attribute.Type.Class is H5DataTypeClass.String or H5DataTypeClass.VariableLength) return attribute.Read<string[]>();
        if (attribute.Space.Dimensions.Aggregate(1UL, (a, b) => a * b) == 0) return [];
        throw new ModelFileException(path, $"{what} is stored as {attribute.Type.Class} data; a list of names (strings) was expected");
    }
}
