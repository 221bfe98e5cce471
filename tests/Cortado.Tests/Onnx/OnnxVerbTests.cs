using Cortado.Cli;
using Cortado.Nets;
using Cortado.Onnx.Proto;
using Cortado.Proto;
using Cortado.Tests.Nets;

namespace Cortado.Tests.Onnx;

/// <summary>`cortado export-onnx` and `cortado import-onnx` on files, as a user runs them.</summary>
public class OnnxVerbTests
{
    [Fact]
    public void ExportRunsInOnnxRuntimeAndImportComesBackToTheSameOutputs()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("deploy.prototxt"), ModelZoo.Cifar10Quick);
        using var net = new Net(ProtoFiles.ReadNetText(dir.File("deploy.prototxt")), Phase.Test);
        OnnxNets.Randomize(net, seed: 21);
        ProtoFiles.WriteBinary(dir.File("w.caffemodel"), net.ToProto());
        net.Forward();

        var output = new StringWriter();
        Assert.Equal(0, CommandLine.Run(["export-onnx", "--model", dir.File("deploy.prototxt"), "--weights", dir.File("w.caffemodel"), "-o", dir.File("m.onnx")], output, new StringWriter()));
        Assert.Contains("m.onnx (ONNX opset 13)", output.ToString());
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(dir.File("m.onnx")));
        OnnxRuntimeRunner.AssertMatches(net, model);

        Assert.Equal(0, CommandLine.Run(["import-onnx", dir.File("m.onnx"), "--prototxt", dir.File("back.prototxt"), "--caffemodel", dir.File("back.caffemodel")], output, new StringWriter()));
        using var back = new Net(ProtoFiles.ReadNetText(dir.File("back.prototxt")), Phase.Test);
        back.CopyTrainedLayersFrom(ProtoFiles.ReadWeights(dir.File("back.caffemodel")));
        net.Blob("data").HostData.CopyTo(back.Blob("data").Data);
        back.Forward();
        OnnxRuntimeRunner.AssertClose("prob (before export, after import)", net.Blob("prob").HostData.ToArray(), back.Blob("prob").HostData.ToArray(), 1e-5f);
    }

    [Fact]
    public void ExportingANetWithALossNamesTheLayerAndWritesNothing()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("net.prototxt"), """
            layer { name: "data" type: "Input" top: "data" top: "label" input_param { shape { dim: 2 dim: 3 } shape { dim: 2 } } }
            layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 4 } }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
            """);
        using (var net = new Net(ProtoFiles.ReadNetText(dir.File("net.prototxt")), Phase.Test))
            ProtoFiles.WriteBinary(dir.File("w.caffemodel"), net.ToProto());
        var error = new StringWriter();
        int code = CommandLine.Run(["export-onnx", "--model", dir.File("net.prototxt"), "--weights", dir.File("w.caffemodel"), "-o", dir.File("m.onnx")], new StringWriter(), error);
        Assert.NotEqual(0, code);
        Assert.Contains("layer 'loss' (SoftmaxWithLoss): cannot be exported to ONNX", error.ToString());
        Assert.False(File.Exists(dir.File("m.onnx")));
    }

    [Fact]
    public void ImportingSomethingElseSaysItIsNoOnnxModel()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("net.onnx"), ModelZoo.LeNet);
        var error = new StringWriter();
        Assert.NotEqual(0, CommandLine.Run(["import-onnx", dir.File("net.onnx"), "--prototxt", dir.File("o.prototxt"), "--caffemodel", dir.File("o.caffemodel")], new StringWriter(), error));
        Assert.Contains("is not an ONNX model", error.ToString());
        Assert.False(File.Exists(dir.File("o.prototxt")));
    }
}
