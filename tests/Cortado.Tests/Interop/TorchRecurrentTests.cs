using System.Runtime.InteropServices;
using Cortado.Layers;
using Cortado.Proto;
using Cortado.Tensors;

namespace Cortado.Tests.Interop;

/// <summary>
/// Cortado's LSTM and RNN against PyTorch's nn.LSTM and nn.RNN (Debian's python3-torch) with the
/// same weights: an implementation that shares nothing with ours, its gate order and biases mapped.
/// </summary>
public class TorchRecurrentTests
{
    [Theory]
    [InlineData("LSTM")]
    [InlineData("RNN")]
    public void ARecurrentLayerComputesWhatPyTorchComputes(string type)
    {
        const int steps = 6, streams = 3, inputs = 4, hidden = 5;
        var layer = LayerRegistry.Create(TextFormat.Parse<LayerParameter>(
            $"name: 'r' type: '{type}' recurrent_param {{ num_output: {hidden} weight_filler {{ type: 'uniform' min: -0.5 max: 0.5 }} bias_filler {{ type: 'uniform' min: -0.5 max: 0.5 }} }}"),
            LayerContext.ForTests(seed: 11));
        var x = Layers.LayerTestKit.Filled(21, 1f, steps, streams, inputs);
        var cont = new Blob(steps, streams);
        cont.Data[streams..].Fill(1f);
        var top = new List<Blob> { new() };
        layer.SetUp([x, cont], top);
        layer.Forward([x, cont], top);

        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("x.bin"), MemoryMarshal.AsBytes(x.Data).ToArray());
        for (int i = 0; i < layer.Blobs.Count; i++) File.WriteAllBytes(dir.File($"p{i}.bin"), MemoryMarshal.AsBytes(layer.Blobs[i].Data).ToArray());
        PythonRunner.Run(File.ReadAllText(Path.Combine(RepoPaths.Root, "tests/Cortado.Tests/Interop/torch_recurrent.py")),
            dir.Path, type, $"{steps}", $"{streams}", $"{inputs}", $"{hidden}");
        var expected = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(dir.File("out.bin"))).ToArray();
        Layers.LayerTestKit.Near(expected, top[0].HostData, 1e-5f);
    }
}
