using Cortado.Errors;
using Cortado.Layers;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Fillers;

/// <summary>
/// Caffe's weight initialisers, chosen by <c>FillerParameter.type</c>. A filler with no type
/// is a constant 0 (Caffe's default, and a classic reason a net does not learn).
/// Fan-in is count / shape[0] and fan-out count / shape[1], as Caffe computes them.
/// </summary>
public static class Filler
{
    public static readonly string[] Types = ["constant", "uniform", "gaussian", "positive_unitball", "xavier", "msra", "bilinear"];

    public static void Fill(FillerParameter? param, Blob blob, CaffeRandom random)
    {
        param ??= new FillerParameter();
        var data = blob.Data;
        switch (param.Type)
        {
            case "constant":
                data.Fill(param.Value);
                break;
            case "uniform":
                random.Uniform(data, param.Min, param.Max);
                break;
            case "gaussian":
                random.Gaussian(data, param.Mean, param.Std);
                if (param.Sparse >= 0) Sparsify(param, blob, random);
                break;
            case "positive_unitball":
                random.Uniform(data, 0f, 1f);
                int rows = blob.Shape.Count > 0 ? blob.Shape[0] : 1, dim = blob.Count / System.Math.Max(rows, 1);
                for (int r = 0; r < rows; r++)
                {
                    var row = data.Slice(r * dim, dim);
                    float sum = System.Numerics.Tensors.TensorPrimitives.Sum(row);
                    System.Numerics.Tensors.TensorPrimitives.Divide(row, sum, row);
                }
                break;
            case "xavier":
            {
                float scale = MathF.Sqrt(3f / FanNorm(param, blob));
                random.Uniform(data, -scale, scale);
                break;
            }
            case "msra":
                random.Gaussian(data, 0f, MathF.Sqrt(2f / FanNorm(param, blob)));
                break;
            case "bilinear":
                Bilinear(blob);
                break;
            default:
                throw new CortadoException($"unknown filler type \"{param.Type}\"; known: {string.Join(", ", Types)}");
        }
    }

    /// <summary>n for xavier/msra: fan-in, fan-out, or their mean, per variance_norm.</summary>
    public static float FanNorm(FillerParameter param, Blob blob)
    {
        if (blob.Count == 0) return 1f;
        float fanIn = (float)blob.Count / blob.Shape[0];
        float fanOut = blob.NumAxes > 1 ? (float)blob.Count / blob.Shape[1] : blob.Count;
        return param.VarianceNorm switch
        {
            FillerParameter.Types.VarianceNorm.FanOut => fanOut,
            FillerParameter.Types.VarianceNorm.Average => (fanIn + fanOut) / 2f,
            _ => fanIn,
        };
    }

    // Keep each weight with probability sparse / num_outputs (Caffe's sparse gaussian).
    private static void Sparsify(FillerParameter param, Blob blob, CaffeRandom random)
    {
        if (blob.NumAxes < 2) throw new CortadoException($"the sparse gaussian filler needs a blob with at least 2 axes, got {blob.ShapeString}");
        double keep = (double)param.Sparse / blob.Shape[0];
        var mask = new float[blob.Count];
        random.Bernoulli(mask, keep);
        var data = blob.Data;
        for (int i = 0; i < data.Length; i++) data[i] *= mask[i];
    }

    // Weights of bilinear upsampling for a Deconvolution layer (square kernels).
    private static void Bilinear(Blob blob)
    {
        if (blob.NumAxes != 4 || blob.Shape[2] != blob.Shape[3])
            throw new CortadoException($"the bilinear filler needs a 4-D blob with square kernels, got {blob.ShapeString}");
        int width = blob.Shape[3], height = blob.Shape[2];
        int f = (int)MathF.Ceiling(width / 2f);
        float c = (2 * f - 1 - f % 2) / (2f * f);
        var data = blob.Data;
        for (int i = 0; i < data.Length; i++)
        {
            int x = i % width, y = i / width % height;
            data[i] = (1 - MathF.Abs((float)x / f - c)) * (1 - MathF.Abs((float)y / f - c));
        }
    }
}
