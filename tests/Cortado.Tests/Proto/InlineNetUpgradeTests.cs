using Cortado.Cli;
using Cortado.Errors;
using Cortado.Nets;
using Cortado.Proto;
using Cortado.Solvers;

namespace Cortado.Tests.Proto;

/// <summary>
/// A solver with its net written inside in Caffe's V1 form, as lenet_consolidated_solver.prototxt is:
/// the net is upgraded like a net file, so it trains; a net with no layers is refused instead of training at loss 0.
/// </summary>
public class InlineNetUpgradeTests
{
    private const string Consolidated = """
        net_param {
          name: "consolidated"
          layers { name: "data" type: DUMMY_DATA top: "data" top: "label"
            dummy_data_param { shape { dim: 4 dim: 3 } shape { dim: 4 } data_filler { type: "gaussian" } data_filler { type: "constant" value: 1 } } }
          layers { name: "ip" type: INNER_PRODUCT bottom: "data" top: "ip" inner_product_param { num_output: 2 weight_filler { type: "xavier" } } }
          layers { name: "loss" type: SOFTMAX_LOSS bottom: "ip" bottom: "label" top: "loss" }
        }
        base_lr: 0.1 lr_policy: "fixed" max_iter: 3 display: 1 random_seed: 1
        """;

    [Fact]
    public void AnInlineV1NetTrains()
    {
        var log = new StringWriter();
        using var solver = SolverFactory.Create(TextFormat.Parse<SolverParameter>(Consolidated), new SolverOptions { Log = new Cortado.Logging.CaffeLog(log) });
        Assert.Equal(["data", "ip", "loss"], solver.Net.Layers.Select(l => l.Name));
        Assert.Equal(["DummyData", "InnerProduct", "SoftmaxWithLoss"], solver.Net.Layers.Select(l => l.Type));
        solver.Step(1);
        var loss = System.Text.RegularExpressions.Regex.Match(log.ToString(), @"Iteration 0 .*loss = ([0-9.e+-]+)");
        Assert.True(loss.Success && float.Parse(loss.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 0.1f, log.ToString());
    }

    [Fact]
    public void UpgradeSolverRewritesTheInlineNet()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("solver.prototxt"), Consolidated);
        var output = new StringWriter();
        Assert.Equal(0, CommandLine.Run(["upgrade-solver", dir.File("solver.prototxt"), dir.File("new.prototxt")], output, new StringWriter()));
        Assert.DoesNotContain("already in the current form", output.ToString());
        var upgraded = ProtoFiles.ReadText<SolverParameter>(dir.File("new.prototxt"));
        Assert.Empty(upgraded.NetParam.Layers);
        Assert.Equal(["DummyData", "InnerProduct", "SoftmaxWithLoss"], upgraded.NetParam.Layer.Select(l => l.Type));
    }

    [Fact]
    public void ANetWithoutLayersIsRefused()
    {
        var error = Assert.Throws<CortadoException>(() => new Net(TextFormat.Parse<NetParameter>("name: \"empty\""), Phase.Train));
        Assert.Contains("net 'empty' has no layers", error.Message);
        var v1 = TextFormat.Parse<NetParameter>("name: \"old\" layers { name: \"ip\" type: INNER_PRODUCT }");
        error = Assert.Throws<CortadoException>(() => new Net(v1, Phase.Train));
        Assert.Contains("V1 form", error.Message);
    }
}
