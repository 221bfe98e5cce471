using Cortado.Nets;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Cortado.Tests.Onnx;

/// <summary>Runs an ONNX model in ONNX Runtime (an implementation independent of Cortado's) and compares it with a Cortado net.</summary>
internal static class OnnxRuntimeRunner
{
    /// <summary>The model's outputs by name, for the given inputs (name, shape, values).</summary>
    public static Dictionary<string, float[]> Run(Cortado.Onnx.Proto.ModelProto model, IEnumerable<(string Name, int[] Shape, float[] Values)> inputs)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(model.ToByteArray(), options);
        var feeds = inputs.Select(i => NamedOnnxValue.CreateFromTensor(i.Name, new DenseTensor<float>(i.Values, i.Shape))).ToList();
        using var results = session.Run(feeds);
        return results.ToDictionary(r => r.Name, r => r.AsTensor<float>().ToArray());
    }

    /// <summary>Feeds the net's current input blobs to the model and checks every graph output against the same-named blob.</summary>
    public static void AssertMatches(Net net, Cortado.Onnx.Proto.ModelProto model, float tolerance = 1e-4f)
    {
        var inputs = model.Graph.Input.Select(i => (i.Name, net.Blob(i.Name).Shape.ToArray(), net.Blob(i.Name).HostData.ToArray()));
        var outputs = Run(model, inputs);
        Assert.Equal(net.Outputs.Select(b => b.Name).Order(), outputs.Keys.Order());
        foreach (var blob in net.Outputs)
            AssertClose($"output '{blob.Name}' (Cortado, then ONNX Runtime)", blob.HostData.ToArray(), outputs[blob.Name], tolerance);
    }

    /// <summary>Every element within <paramref name="tolerance"/> relative to max(|expected|, 1).</summary>
    public static void AssertClose(string what, float[] expected, float[] actual, float tolerance = 1e-4f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (!(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1f, Math.Abs(expected[i]))))
                Assert.Fail($"{what}, element {i}: {expected[i]} against {actual[i]}");
    }
}
