using System.Runtime.InteropServices;
using Cortado.Nets;
using Cortado.Onnx;
using Cortado.Proto;

namespace Cortado.Tests.Interop;

/// <summary>
/// Models exported by PyTorch's own torch.onnx.export (Debian's python3-torch, installed by .ci/run)
/// come into Cortado and compute what PyTorch computed for the same input.
/// </summary>
public class TorchOnnxImportTests
{
    [Theory]
    [InlineData(13, "residual")]
    [InlineData(11, "residual")]
    [InlineData(13, "ceil")]
    [InlineData(11, "ceil")]
    public void APyTorchExportComputesWhatPyTorchComputed(int opset, string variant)
    {
        using var dir = new TempDir();
        PythonRunner.Run(File.ReadAllText(Path.Combine(RepoPaths.Root, "tests/Cortado.Tests/Interop/torch_onnx_export.py")), dir.Path, $"{opset}", variant);
        var (deploy, weights) = OnnxImporter.Import(OnnxImporter.Read(dir.File("model.onnx")), "model.onnx", batch: 2);
        using var net = new Net(deploy, Phase.Test);
        net.CopyTrainedLayersFrom(weights);
        var input = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(dir.File("input.bin")));
        input.CopyTo(net.Blob("input").Data);
        net.Forward();
        var expected = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(dir.File("output.bin"))).ToArray();
        Onnx.OnnxRuntimeRunner.AssertClose("output (PyTorch, then Cortado)", expected, net.Blob("output").HostData.ToArray());
    }
}
