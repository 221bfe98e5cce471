using Cortado.Data;
using Cortado.Proto;
using Cortado.Solvers;

namespace Cortado.Tests.Data;

/// <summary>A small net trained on the real Fashion-MNIST test images through the Data layer: its loss falls.</summary>
public class TrainFromLmdbTests
{
    [Fact]
    public void LossFallsWhenTrainingFromAnLmdb()
    {
        using var dir = new TempDir();
        IdxConverter.Convert(FashionMnist.TestImages, FashionMnist.TestLabels, dir.File("fmnist_lmdb"));
        var solverParam = TextFormat.Parse<SolverParameter>("base_lr: 0.01 momentum: 0.9 lr_policy: 'fixed' max_iter: 200 random_seed: 1");
        solverParam.NetParam = TextFormat.Parse<NetParameter>($$"""
            name: "small"
            layer { name: "data" type: "Data" top: "data" top: "label" transform_param { scale: 0.00390625 }
              data_param { source: "{{dir.File("fmnist_lmdb")}}" batch_size: 64 backend: LMDB } }
            layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 8 kernel_size: 5 stride: 2 weight_filler { type: "xavier" } } }
            layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
            layer { name: "fc" type: "InnerProduct" bottom: "conv1" top: "fc" inner_product_param { num_output: 10 weight_filler { type: "xavier" } } }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss" }
            """);
        using var solver = SolverFactory.Create(solverParam);
        var losses = new List<float>();
        solver.IterationDone += (_, loss, _, _) => losses.Add(loss);
        solver.Step(200);
        double first = losses.Take(10).Average(), last = losses.TakeLast(20).Average();
        Assert.True(first > 1.5, $"starts near ln 10 = 2.30: {first}");
        Assert.True(last < 0.9, $"falls well below chance: {last}");
    }
}
