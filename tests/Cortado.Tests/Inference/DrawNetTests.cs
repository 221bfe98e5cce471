using Cortado.Cli;
using Cortado.Proto;
using Cortado.Tests.Nets;
using Cortado.Visualization;

namespace Cortado.Tests.Inference;

/// <summary>draw-net's graph: boxes per layer with geometry, blobs as edges with shapes, in-place layers folded; Graphviz draws it.</summary>
public class DrawNetTests
{
    [Fact]
    public void LeNetsGraphHasItsLayersShapesAndFoldedRelu()
    {
        var net = TextFormat.Parse<NetParameter>(ModelZoo.LeNet);
        string dot = NetDiagram.ToDot(net, "LR", NetDiagram.TryShapes(net, new NetState { Phase = Phase.Test }));
        Assert.Contains("rankdir=LR;", dot);
        Assert.Contains("label=\"conv1\\n(Convolution)\\nkernel 5x5, stride 1, pad 0\\n20 outputs\", fillcolor=\"#FF5050\"", dot);
        Assert.Contains("label=\"pool1\\n(Pooling)\\nMAX 2x2, stride 2\", fillcolor=\"#FF9900\"", dot);
        // relu1 works in place on ip1: it is part of ip1's box, not a box of its own.
        Assert.Contains("label=\"ip1\\n(InnerProduct)\\n500 outputs\\n+ ReLU (relu1)\"", dot);
        Assert.DoesNotContain("label=\"relu1", dot);
        Assert.Contains("[label=\"conv1\\n1x20x24x24\"]", dot);
        Assert.Contains("[label=\"ip2\\n1x10\"]", dot);
        Assert.Equal(7, dot.Split('\n').Count(l => l.Contains(" -> ")));
    }

    [Theory]
    [InlineData("lenet.png")]
    [InlineData("googlenet.svg")]
    public void GraphvizDrawsTheZoosNets(string name)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("net.prototxt"), name.StartsWith("lenet") ? ModelZoo.LeNet : ModelZoo.GoogLeNet);
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CommandLine.Run(["draw-net", dir.File("net.prototxt"), dir.File(name), "--rankdir", "TB"], output, error);
        Assert.True(code == 0, error.ToString());
        var bytes = File.ReadAllBytes(dir.File(name));
        if (name.EndsWith(".png")) Assert.Equal((byte)0x89, bytes[0]);
        else Assert.Contains("<svg", System.Text.Encoding.UTF8.GetString(bytes));
        Assert.True(bytes.Length > 10_000, $"{bytes.Length} bytes");
    }

    [Fact]
    public void ANetWhoseDataIsMissingIsDrawnWithoutShapes()
    {
        using var dir = new TempDir();
        var output = new StringWriter();
        int code = CommandLine.Run(["draw-net", Path.Combine(RepoPaths.Root, "examples/fneishnet_numbers/train_val.prototxt"), dir.File("seed.dot")], output, new StringWriter());
        Assert.Equal(0, code);
        Assert.Contains("without blob shapes", output.ToString());
        string dot = File.ReadAllText(dir.File("seed.dot"));
        Assert.Contains("pool1\\n(Pooling)\\nMAX 2x2, stride 1", dot);
    }
}
