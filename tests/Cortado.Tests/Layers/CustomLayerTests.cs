using Cortado.Cli;
using Cortado.Errors;
using Cortado.Layers;
using Cortado.Nets;
using Cortado.Proto;
using CortadoExamples;
using static Cortado.Tests.Layers.LayerTestKit;

namespace Cortado.Tests.Layers;

/// <summary>Layers of users' own, in C#: the example in examples/custom_layer, registered, named by a Python layer, and loaded by --layers.</summary>
public class CustomLayerTests
{
    private static string ExampleNet(string module) =>
        File.ReadAllText(Path.Combine(RepoPaths.Root, "examples/custom_layer/net.prototxt")).Replace("module: \"ScaledTanh.dll\"", $"module: \"{module}\"");

    [Fact]
    public void TheExampleLayerIsGradientCheckedAndComputesItsFormula()
    {
        const string prototxt = "type: 'Python' python_param { module: 'Cortado.Tests' layer: 'CortadoExamples.ScaledTanhLayer' param_str: 'a=2 b=0.5' }";
        new GradientChecker().Check(Create(prototxt), [Filled(1, 2f, 2, 3, 4)], Tops(1));
        var layer = Create(prototxt);
        Assert.IsType<ScaledTanhLayer>(layer);
        var bottom = Values([1f, -2f], 2);
        var top = Tops(1);
        layer.SetUp([bottom], top);
        layer.Forward([bottom], top);
        Near([2f * MathF.Tanh(0.5f), 2f * MathF.Tanh(-1f)], top[0].HostData);
    }

    [Fact]
    public void APythonLayerNamingALoadedAssemblyBuildsInANet()
    {
        using var net = new Net(TextFormat.Parse<NetParameter>(ExampleNet("Cortado.Tests")), Phase.Test);
        Assert.IsType<ScaledTanhLayer>(net.Layer("squash"));
        net.Forward();
        Assert.All(net.Blob("squash").HostData.ToArray(), v => Assert.InRange(v, -1.7159f, 1.7159f));
    }

    [Fact]
    public void LayersFlagLoadsAnAssemblyAndItsLayerTypesWork()
    {
        using var dir = new TempDir();
        string assembly = typeof(ScaledTanhLayer).Assembly.Location;
        File.WriteAllText(dir.File("net.prototxt"), ExampleNet(assembly).Replace("type: \"Python\"", "type: \"ScaledTanh\""));
        var error = new StringWriter();
        int code = CommandLine.Run(["time", "--model", dir.File("net.prototxt"), "--iterations", "1", "--layers", assembly], new StringWriter(), error);
        Assert.True(code == 0, error.ToString());
        Assert.Contains("squash\tforward:", error.ToString());
        Assert.True(LayerRegistry.IsKnown("ScaledTanh"));
        // Loading it again is harmless; taking a built-in name is refused.
        LayerRegistry.LoadAssembly(assembly);
        var taken = Assert.Throws<CortadoException>(() => LayerRegistry.Register("ReLU", (p, c) => new ScaledTanhLayer(p, c)));
        Assert.Contains("\"ReLU\" is already registered", taken.Message);
    }

    [Fact]
    public void BadCustomLayerReferencesAreNamed()
    {
        var missing = Assert.Throws<LayerException>(() => Create("name: 'py' type: 'Python' python_param { module: 'pyloss' layer: 'EuclideanLossLayer' }"));
        Assert.Contains("layer 'py' (Python): module 'pyloss' is not a loaded assembly nor a .dll; Cortado runs layers written in C#", missing.Message);
        var noClass = Assert.Throws<LayerException>(() => Create("name: 'py' type: 'Python' python_param { module: 'Cortado.Tests' layer: 'No.Such' }"));
        Assert.Contains("has no class 'No.Such'", noClass.Message);
        var notALayer = Assert.Throws<LayerException>(() => Create("name: 'py' type: 'Python' python_param { module: 'Cortado.Tests' layer: 'Cortado.Tests.TempDir' }"));
        Assert.Contains("is not a concrete Cortado.Layers.Layer", notALayer.Message);
        var badParam = Assert.Throws<LayerException>(() =>
            Create("name: 'py' type: 'Python' python_param { module: 'Cortado.Tests' layer: 'CortadoExamples.ScaledTanhLayer' param_str: 'c=1' }").SetUp([Filled(1, 1f, 2)], Tops(1)));
        Assert.Contains("param_str takes \"a=NUMBER b=NUMBER\"", badParam.Message);
        var error = new StringWriter();
        Assert.NotEqual(0, CommandLine.Run(["db-info", "x", "--layers", "/no/such/layers.dll"], new StringWriter(), error));
        Assert.Contains("/no/such/layers.dll: layer assembly not found", error.ToString());
    }
}
