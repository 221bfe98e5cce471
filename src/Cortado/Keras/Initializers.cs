using Cortado.Errors;
using Cortado.Proto;

namespace Cortado.Keras;

/// <summary>
/// Keras initializers as Caffe fillers. Uniform ones become exact uniform bounds computed from the
/// layer's fans (glorot_uniform: +-sqrt(6 / (fan_in + fan_out)), Caffe's xavier with AVERAGE);
/// normal ones become Caffe's untruncated gaussian, which the export notes.
/// </summary>
internal static class Initializers
{
    public static readonly string[] Names = ["glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal", "zeros", "ones", "random_uniform", "random_normal"];

    public static FillerParameter Filler(string name, double fanIn, double fanOut, string layer, List<string> notes)
    {
        switch (name)
        {
            case "zeros": return new FillerParameter { Type = "constant", Value = 0 };
            case "ones": return new FillerParameter { Type = "constant", Value = 1 };
            case "glorot_uniform": return Uniform(Math.Sqrt(6 / (fanIn + fanOut)));
            case "he_uniform": return Uniform(Math.Sqrt(6 / fanIn));
            case "lecun_uniform": return Uniform(Math.Sqrt(3 / fanIn));
            case "random_uniform": return Uniform(0.05);
            case "random_normal": return new FillerParameter { Type = "gaussian", Std = 0.05f };
            case "glorot_normal": return Normal(Math.Sqrt(2 / (fanIn + fanOut)));
            case "he_normal": return Normal(Math.Sqrt(2 / fanIn));
            case "lecun_normal": return Normal(Math.Sqrt(1 / fanIn));
            default: throw new CortadoException($"Keras layer '{layer}': initializer '{name}' is not supported; use one of {string.Join(", ", Names)}");
        }

        FillerParameter Normal(double std)
        {
            notes.Add($"{layer}: {name} draws from a truncated normal in Keras; Caffe's gaussian filler (std {std:G4}) does not truncate");
            return new FillerParameter { Type = "gaussian", Std = (float)std };
        }
    }

    private static FillerParameter Uniform(double bound) => new() { Type = "uniform", Min = (float)-bound, Max = (float)bound };
}
