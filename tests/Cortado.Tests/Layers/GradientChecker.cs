using Cortado.Layers;
using Cortado.Tensors;

namespace Cortado.Tests.Layers;

/// <summary>
/// The one finite-difference checker every layer test uses, after Caffe's: the objective is a
/// fixed random weighting of all top values, the analytic gradient comes from Backward, the
/// numeric one from central differences, and they must agree within
/// threshold * max(|analytic|, |numeric|, 1). Inputs within kinkRange of a kink (ReLU's 0,
/// for instance) are skipped, since the derivative jumps there.
/// </summary>
internal sealed class GradientChecker(double stepsize = 1e-2, double threshold = 1e-3, double kink = 0, double kinkRange = -1, int seed = 1701)
{
    /// <summary>
    /// Checks the gradients of the bottoms in <paramref name="checkBottoms"/> (all by default) and of
    /// the parameters. <paramref name="objectiveTops"/> limits the objective to some tops (all by
    /// default), for a layer whose other tops carry no gradient by design.
    /// </summary>
    public void Check(Layer layer, IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top, int[]? checkBottoms = null, bool checkParams = true, int[]? objectiveTops = null)
    {
        layer.SetUp(bottom, top);
        checkBottoms ??= Enumerable.Range(0, bottom.Count).ToArray();
        layer.Forward(bottom, top);
        var weights = top.Select((t, i) => objectiveTops == null || objectiveTops.Contains(i)
            ? Cortado.Tests.Compute.Reference.Random(t.Count, seed + i) : new float[t.Count]).ToArray();

        // Analytic gradients.
        foreach (var blob in layer.Blobs) blob.Diff.Clear();
        Objective(layer, bottom, top, weights);
        for (int t = 0; t < top.Count; t++) weights[t].CopyTo(top[t].Diff);
        var propagate = Enumerable.Range(0, bottom.Count).Select(checkBottoms.Contains).ToList();
        layer.Backward(top, propagate, bottom);
        var targets = checkBottoms.Select(b => (Blob: bottom[b], Name: $"bottom {b}")).ToList();
        if (checkParams) targets.AddRange(layer.Blobs.Select((b, i) => (b, $"param {i}")).Where((t, i) => layer.ParamPropagateDown[i]));
        var analytic = targets.Select(t => t.Blob.Diff.ToArray()).ToList();

        // Numeric gradients, element by element.
        for (int b = 0; b < targets.Count; b++)
        {
            var (blob, name) = targets[b];
            for (int i = 0; i < blob.Count; i++)
            {
                float original = blob.Data[i];
                if (kinkRange >= 0 && Math.Abs(original - kink) < kinkRange) continue;
                blob.Data[i] = (float)(original + stepsize);
                double plus = Objective(layer, bottom, top, weights);
                blob.Data[i] = (float)(original - stepsize);
                double minus = Objective(layer, bottom, top, weights);
                blob.Data[i] = original;
                double numeric = (plus - minus) / (2 * stepsize);
                double computed = analytic[b][i];
                double scale = Math.Max(Math.Max(Math.Abs(computed), Math.Abs(numeric)), 1.0);
                Assert.True(Math.Abs(computed - numeric) <= threshold * scale,
                    $"{layer.Type} '{layer.Name}' {name} element {i}: analytic {computed}, numeric {numeric}");
            }
        }
    }

    private static double Objective(Layer layer, IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top, float[][] weights)
    {
        layer.Forward(bottom, top);
        double sum = 0;
        for (int t = 0; t < top.Count; t++)
        {
            var data = top[t].Data;
            for (int i = 0; i < data.Length; i++) sum += (double)data[i] * weights[t][i];
        }
        return sum;
    }
}
