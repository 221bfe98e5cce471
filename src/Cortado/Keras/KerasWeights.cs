using Cortado.Errors;
using PureHDF;

namespace Cortado.Keras;

/// <summary>
/// Weights from a Keras HDF5 file, per layer name, in Keras's layout: Keras 2's save_weights
/// (root attribute layer_names, each group's weight_names) and model.save (the same under
/// /model_weights), Keras 1 (weight names such as conv2d_1_W), and Keras 3's .weights.h5
/// (/layers/NAME/vars/0, 1, ...).
/// </summary>
public static class KerasWeights
{
    public static Dictionary<string, float[][]> Read(string path)
    {
        if (!File.Exists(path)) throw new ModelFileException(path, "file not found");
        try
        {
            using var file = H5File.OpenRead(path);
            var names = file.Children().Select(c => c.Name).ToHashSet();
            if (names.Contains("layers") && !file.AttributeExists("layer_names")) return ReadKeras3(file.Group("layers"));
            IH5Group root = names.Contains("model_weights") ? file.Group("model_weights") : file;
            if (!root.AttributeExists("layer_names"))
                throw new ModelFileException(path, "is not a Keras weights file (no layer_names attribute, no /model_weights and no /layers group)");
            var weights = new Dictionary<string, float[][]>();
            foreach (var layer in Strings(root.Attribute("layer_names")))
            {
                var group = root.Group(layer);
                var weightNames = group.AttributeExists("weight_names") ? Strings(group.Attribute("weight_names")) : [];
                weights[layer] = weightNames.Select(w => group.Dataset(w).Read<float[]>()).ToArray();
            }
            return weights;
        }
        catch (Exception e) when (e is not CortadoException)
        {
            throw new ModelFileException(path, $"cannot be read as Keras weights: {e.Message}", e);
        }
    }

    private static Dictionary<string, float[][]> ReadKeras3(IH5Group layers)
    {
        var weights = new Dictionary<string, float[][]>();
        foreach (var link in layers.Children())
        {
            var group = layers.Group(link.Name);
            if (!group.Children().Any(c => c.Name == "vars")) continue;
            var vars = group.Group("vars");
            var count = vars.Children().Count();
            weights[link.Name] = Enumerable.Range(0, count).Select(i => vars.Dataset(i.ToString()).Read<float[]>()).ToArray();
        }
        return weights;
    }

    private static string[] Strings(IH5Attribute attribute) => attribute.Read<string[]>();
}
