using Cortado.Nets;
using Cortado.Onnx;
using Cortado.Onnx.Proto;
using Cortado.Proto;
using Google.Protobuf;

namespace Cortado.Tests.Onnx;

/// <summary>ONNX import: exported nets come back computing the same outputs, and models written as other exporters write them run as ONNX Runtime runs them.</summary>
public class OnnxImportTests
{
    public static TheoryData<string> Nets => OnnxExportTests.Nets;

    [Theory]
    [MemberData(nameof(Nets))]
    public void ExportThenImportGivesTheSameOutputs(string name)
    {
        using var original = new Net(OnnxNets.Parse(OnnxNets.All.First(n => n.Name == name).Prototxt, batch: 2), Phase.Test);
        OnnxNets.Randomize(original, seed: 11);
        original.Forward();
        var (deploy, weights) = OnnxImporter.Import(OnnxExporter.Export(original), "exported.onnx", batch: 2);
        using var imported = new Net(deploy, Phase.Test);
        imported.CopyTrainedLayersFrom(weights);
        foreach (var input in original.Layers.Where(l => l.Type == "Input").SelectMany(l => l.Param.Top))
            original.Blob(input).HostData.CopyTo(imported.Blob(input).Data);
        imported.Forward();
        Assert.Equal(original.Outputs.Select(b => b.Name).Order(), imported.Outputs.Select(b => b.Name).Order());
        foreach (var blob in original.Outputs)
        {
            Assert.Equal(blob.Shape, imported.Blob(blob.Name).Shape);
            OnnxRuntimeRunner.AssertClose($"{blob.Name} (exported, then imported)", blob.HostData.ToArray(), imported.Blob(blob.Name).HostData.ToArray());
        }
    }

    [Fact]
    public void LeNetComesBackAsTheSameLayers()
    {
        using var net = new Net(OnnxNets.Parse(Cortado.Tests.Nets.ModelZoo.LeNet, batch: 1), Phase.Test);
        var (deploy, _) = OnnxImporter.Import(OnnxExporter.Export(net), "lenet.onnx");
        Assert.Equal(["Input", "Convolution", "Pooling", "Convolution", "Pooling", "InnerProduct", "ReLU", "InnerProduct", "Softmax"],
            deploy.Layer.Select(l => l.Type));
        var relu = deploy.Layer.Single(l => l.Type == "ReLU");
        Assert.Equal(relu.Bottom.Single(), relu.Top.Single()); // in place, as Caffe writes it
        Assert.Equal("ip1", relu.Top.Single());
        Assert.Equal("prob", deploy.Layer[^1].Top.Single());
        Assert.Equal(net.Layers.Select(l => l.Name), deploy.Layer.Select(l => l.Name));
    }

    /// <summary>A model as PyTorch writes one: floor-rounded pooling, an average that counts its padding, a BatchNormalization with its affine part, Gemm with transB.</summary>
    private static ModelProto TorchStyleModel()
    {
        var random = new Random(5);
        var graph = new GraphProto { Name = "torch_jit" };
        TensorProto Weights(string name, params long[] dims)
        {
            var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
            t.Dims.AddRange(dims);
            long count = dims.Aggregate(1L, (a, b) => a * b);
            for (long i = 0; i < count; i++) t.FloatData.Add((float)(random.NextDouble() - 0.5));
            graph.Initializer.Add(t);
            return t;
        }
        NodeProto Node(string op, string name, string[] inputs, string output, params AttributeProto[] attributes)
        {
            var n = new NodeProto { OpType = op, Name = name };
            n.Input.AddRange(inputs);
            n.Output.Add(output);
            n.Attribute.AddRange(attributes);
            graph.Node.Add(n);
            return n;
        }
        AttributeProto Ints(string name, params long[] v) { var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints }; a.Ints.AddRange(v); return a; }
        AttributeProto Int(string name, long v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = v };

        Weights("conv.weight", 6, 3, 3, 3);
        Weights("conv.bias", 6);
        Node("Conv", "/conv/Conv", ["input", "conv.weight", "conv.bias"], "/conv/Conv_output_0", Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1), Ints("strides", 1, 1));
        var bnScale = Weights("bn.weight", 6);
        Weights("bn.bias", 6);
        Weights("bn.running_mean", 6);
        var variance = Weights("bn.running_var", 6);
        for (int i = 0; i < 6; i++) variance.FloatData[i] = 0.5f + i * 0.25f;
        Node("BatchNormalization", "/bn/BatchNormalization", ["/conv/Conv_output_0", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"], "/bn/out",
            new AttributeProto { Name = "epsilon", Type = AttributeProto.Types.AttributeType.Float, F = 1e-5f });
        Node("Relu", "/relu/Relu", ["/bn/out"], "/relu/out");
        // 13 x 11 through 2x2/2 max pooling: PyTorch's floor gives 6 x 5, where Caffe's default rounds up to 7 x 6.
        Node("MaxPool", "/pool/MaxPool", ["/relu/out"], "/pool/out", Ints("kernel_shape", 2, 2), Ints("strides", 2, 2), Ints("pads", 0, 0, 0, 0), Int("ceil_mode", 0));
        // 3x3/1 average with padding 1, counting the padding (PyTorch's count_include_pad=True).
        Node("AveragePool", "/avg/AveragePool", ["/pool/out"], "/avg/out", Ints("kernel_shape", 3, 3), Ints("strides", 1, 1), Ints("pads", 1, 1, 1, 1), Int("count_include_pad", 1));
        Node("Flatten", "/flatten/Flatten", ["/avg/out"], "/flatten/out", Int("axis", 1));
        Weights("fc.weight", 4, 6 * 6 * 5);
        Weights("fc.bias", 4);
        Node("Gemm", "/fc/Gemm", ["/flatten/out", "fc.weight", "fc.bias"], "logits", Int("transB", 1));
        graph.Input.Add(InputValue("input", 3, 13, 11));
        graph.Output.Add(new ValueInfoProto { Name = "logits", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } });
        var model = new ModelProto { IrVersion = 8, ProducerName = "pytorch", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Version = 17 });
        _ = bnScale;
        return model;
    }

    private static ValueInfoProto InputValue(string name, int c, int h, int w)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        foreach (int d in new[] { c, h, w }) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } };
    }

    [Fact]
    public void ATorchStyleModelRunsAsOnnxRuntimeRunsIt()
    {
        var model = TorchStyleModel();
        var (deploy, weights) = OnnxImporter.Import(model, "torch.onnx", batch: 2);
        Assert.Equal(PoolingParameter.Types.RoundMode.Floor, deploy.Layer.Single(l => l.Name == "/pool/MaxPool").PoolingParam.RoundMode);
        Assert.Contains(deploy.Layer, l => l.Type == "Scale" && l.ScaleParam.BiasTerm);
        using var net = new Net(deploy, Phase.Test);
        net.CopyTrainedLayersFrom(weights);
        OnnxNets.RandomizeInputs(net, seed: 6);
        net.Forward();
        Assert.Equal([2, 6, 6, 5], net.Blob("/avg/out").Shape);
        var expected = OnnxRuntimeRunner.Run(model, [("input", [2, 3, 13, 11], net.Blob("input").HostData.ToArray())])["logits"];
        OnnxRuntimeRunner.AssertClose("logits (ONNX Runtime, then Cortado)", expected, net.Blob("logits").HostData.ToArray());
    }

    [Fact]
    public void AnAveragePoolingCaffeCannotCountIsRefusedWithTheWindow()
    {
        var model = TorchStyleModel();
        // Floor-rounded 2x2/2 average with padding 1 over 6 x 5, counting padding: the last column's window overhangs the padding, which Caffe's divisor clips.
        var avg = model.Graph.Node.Single(n => n.OpType == "AveragePool");
        avg.Attribute.Clear();
        avg.Attribute.Add(new AttributeProto { Name = "kernel_shape", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 2, 2 } });
        avg.Attribute.Add(new AttributeProto { Name = "strides", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 2, 2 } });
        avg.Attribute.Add(new AttributeProto { Name = "pads", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 1, 1, 1, 1 } });
        avg.Attribute.Add(new AttributeProto { Name = "count_include_pad", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
        var error = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(model, "torch.onnx"));
        Assert.Contains("node '/avg/AveragePool' (AveragePool)", error.Message);
        Assert.Contains("divides window", error.Message);
    }

    [Fact]
    public void AnUnknownOperatorIsNamedWithTheSupportedList()
    {
        var model = TorchStyleModel();
        model.Graph.Node.Single(n => n.OpType == "Relu").OpType = "HardSwish";
        var error = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(model, "torch.onnx"));
        Assert.StartsWith("torch.onnx: node '/relu/Relu' (HardSwish): has no Caffe counterpart", error.Message);
        Assert.Contains("BatchNormalization", error.Message);
    }

    [Fact]
    public void AsymmetricConvolutionPaddingIsRefused()
    {
        var model = TorchStyleModel();
        var pads = model.Graph.Node.Single(n => n.OpType == "Conv").Attribute.Single(a => a.Name == "pads");
        pads.Ints[2] = 2;
        var error = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(model, "torch.onnx"));
        Assert.Contains("pads 1,1,2,1 differ between the start and the end", error.Message);
    }

    [Fact]
    public void ATruncatedFileIsNamedAsNotAnOnnxModel()
    {
        using var dir = new TempDir();
        var bytes = TorchStyleModel().ToByteArray();
        File.WriteAllBytes(dir.File("cut.onnx"), bytes[..(bytes.Length / 2)]);
        var error = Assert.Throws<Cortado.Errors.ModelFileException>(() => OnnxImporter.Read(dir.File("cut.onnx")));
        Assert.Contains("cut.onnx: is not an ONNX model", error.Message);
    }

    [Fact]
    public void TruncatedRawWeightsAreRefusedByTensorName()
    {
        var model = TorchStyleModel();
        var weight = model.Graph.Initializer.Single(t => t.Name == "fc.weight");
        var raw = new byte[weight.FloatData.Count * 4 - 4];
        weight.FloatData.Clear();
        weight.RawData = ByteString.CopyFrom(raw);
        var error = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(model, "torch.onnx"));
        Assert.Contains("tensor 'fc.weight' is truncated or malformed", error.Message);
    }
}
