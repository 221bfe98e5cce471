using Cortado.Layers;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Tests.Layers;

/// <summary>Builds a layer from prototxt text and filled blobs for layer tests.</summary>
internal static class LayerTestKit
{
    public static Layer Create(string prototxt, Phase phase = Phase.Train, int seed = 1) =>
        LayerRegistry.Create(TextFormat.Parse<LayerParameter>(prototxt), LayerContext.ForTests(phase, seed));

    public static Layer Create(string prototxt, Cortado.Compute.ICompute device, Phase phase = Phase.Train, int seed = 1) =>
        LayerRegistry.Create(TextFormat.Parse<LayerParameter>(prototxt), LayerContext.ForTests(phase, seed, device));

    public static Blob Filled(int seed, float scale, params int[] shape)
    {
        var blob = new Blob(shape);
        Cortado.Tests.Compute.Reference.Random(blob.Count, seed, scale).CopyTo(blob.Data);
        return blob;
    }

    /// <summary>Inputs kept away from 0 by at least <paramref name="gap"/>, for layers with a kink there.</summary>
    public static Blob AwayFromZero(int seed, float gap, params int[] shape)
    {
        var blob = Filled(seed, 1f, shape);
        var data = blob.Data;
        for (int i = 0; i < data.Length; i++) data[i] = data[i] >= 0 ? data[i] + gap : data[i] - gap;
        return blob;
    }

    public static Blob Labels(int classes, int seed, params int[] shape)
    {
        var blob = new Blob(shape);
        var random = new Random(seed);
        for (int i = 0; i < blob.Count; i++) blob.Data[i] = random.Next(classes);
        return blob;
    }

    /// <summary>A blob holding exactly <paramref name="values"/>.</summary>
    public static Blob Values(float[] values, params int[] shape)
    {
        var blob = new Blob(shape);
        values.CopyTo(blob.Data);
        return blob;
    }

    public static void Near(float[] expected, ReadOnlySpan<float> actual, float tolerance = 1e-5f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"[{i}] expected {expected[i]}, got {actual[i]}");
    }

    public static List<Blob> Tops(int count) => Enumerable.Range(0, count).Select(_ => new Blob()).ToList();
}
