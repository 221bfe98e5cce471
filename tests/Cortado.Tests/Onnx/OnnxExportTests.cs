using Cortado.Errors;
using Cortado.Nets;
using Cortado.Onnx;
using Cortado.Proto;

namespace Cortado.Tests.Onnx;

/// <summary>ONNX export checked by ONNX Runtime: the exported model computes what the Cortado net computes.</summary>
public class OnnxExportTests
{
    public static TheoryData<string> Nets => [.. OnnxNets.All.Select(n => n.Name)];

    private static string Prototxt(string name) => OnnxNets.All.First(n => n.Name == name).Prototxt;

    [Theory]
    [MemberData(nameof(Nets))]
    public void OnnxRuntimeComputesWhatCortadoComputes(string name)
    {
        using var net = new Net(OnnxNets.Parse(Prototxt(name), batch: 2), Phase.Test);
        OnnxNets.Randomize(net, seed: 7);
        net.Forward();
        var model = OnnxExporter.Export(net);
        Assert.Equal(OnnxExporter.Opset, model.OpsetImport.Single().Version);
        OnnxRuntimeRunner.AssertMatches(net, model);
    }

    [Fact]
    public void CaffesRoundedUpPoolingIsWrittenAsEndPadding()
    {
        // Seed net, stride 2: conv2 is 20 x 11, and 2x2/2 pooling gives 10 x 6 in Caffe, where ONNX's floor would give 10 x 5.
        using var net = new Net(OnnxNets.Parse(OnnxNets.Seed(2), batch: 1), Phase.Test);
        var pool = OnnxExporter.Export(net).Graph.Node.Single(n => n.OpType == "MaxPool");
        Assert.Equal([0L, 0, 0, 1], pool.Attribute.Single(a => a.Name == "pads").Ints);
        Assert.Equal([1, 32, 10, 6], net.Blob("pool1").Shape);
    }

    [Fact]
    public void SpatialDropoutIsTheIdentityInTheExport()
    {
        var param = TextFormat.Parse<NetParameter>("""
            layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 2 dim: 2 dim: 2 } } }
            layer { name: "sd" type: "SpatialDropout" bottom: "data" top: "data" dropout_param { dropout_ratio: 0.4 } }
            layer { name: "relu" type: "ReLU" bottom: "data" top: "out" }
            """);
        using var net = new Net(param, Phase.Test);
        var graph = OnnxExporter.Export(net).Graph;
        var relu = Assert.Single(graph.Node);
        Assert.Equal(("Relu", "data"), (relu.OpType, relu.Input.Single()));
    }

    [Fact]
    public void InPlaceLayersGetFreshValuesAndOutputsKeepTheirBlobNames()
    {
        using var net = new Net(OnnxNets.Parse(OnnxNets.Seed(1), batch: 1), Phase.Test);
        var graph = OnnxExporter.Export(net).Graph;
        var produced = graph.Node.SelectMany(n => n.Output).ToList();
        Assert.Equal(produced.Count, produced.Distinct().Count());
        Assert.Equal("prob", graph.Output.Single().Name);
        Assert.Equal("data", graph.Input.Single().Name);
        Assert.Equal("N", graph.Input.Single().Type.TensorType.Shape.Dim[0].DimParam);
        // conv1's value before ReLU and after it are distinct; the ReLU's output is the blob's last, so it is named conv1.
        Assert.Contains(graph.Node, n => n.OpType == "Relu" && n.Output.Single() == "conv1");
        Assert.DoesNotContain(graph.Node, n => n.OpType == "Dropout");
    }

    [Fact]
    public void AModelExportedAtBatchOneRunsOnLargerBatches()
    {
        using var single = new Net(OnnxNets.Parse(OnnxNets.Seed(2), batch: 1), Phase.Test);
        OnnxNets.Randomize(single, seed: 3);
        var model = OnnxExporter.Export(single);
        using var three = new Net(OnnxNets.Parse(OnnxNets.Seed(2), batch: 3), Phase.Test);
        three.CopyTrainedLayersFrom(single.ToProto());
        OnnxNets.RandomizeInputs(three, seed: 4);
        three.Forward();
        OnnxRuntimeRunner.AssertMatches(three, model);
    }

    [Fact]
    public void BatchNormFollowedByScaleIsOneNode()
    {
        using var net = new Net(OnnxNets.Parse(OnnxNets.EveryLayer, batch: 1), Phase.Test);
        var nodes = OnnxExporter.Export(net).Graph.Node;
        Assert.Equal(2, nodes.Count(n => n.OpType == "BatchNormalization"));
        Assert.DoesNotContain(nodes, n => n.Name == "bn_scale" && n.OpType == "Mul");
        Assert.Contains(nodes, n => n.Name == "bn_scale" && n.OpType == "BatchNormalization");
    }

    [Fact]
    public void ALossLayerIsRefusedByName()
    {
        var param = TextFormat.Parse<NetParameter>("""
            layer { name: "data" type: "Input" top: "data" top: "label" input_param { shape { dim: 2 dim: 3 } shape { dim: 2 } } }
            layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 4 } }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
            """);
        using var net = new Net(param, Phase.Test);
        var error = Assert.Throws<LayerException>(() => OnnxExporter.Export(net));
        Assert.Contains("layer 'loss' (SoftmaxWithLoss)", error.Message);
        Assert.Contains("deploy net", error.Message);
    }

    [Fact]
    public void ALayerWithoutAnOnnxFormIsNamed()
    {
        var param = TextFormat.Parse<NetParameter>("""
            layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 2 dim: 3 } } }
            layer { name: "cut" type: "Threshold" bottom: "data" top: "cut" }
            """);
        using var net = new Net(param, Phase.Test);
        var error = Assert.Throws<LayerException>(() => OnnxExporter.Export(net));
        Assert.StartsWith("layer 'cut' (Threshold): cannot be exported to ONNX", error.Message);
    }
}
