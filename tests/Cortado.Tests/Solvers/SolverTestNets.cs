using Cortado.Proto;

namespace Cortado.Tests.Solvers;

/// <summary>Small nets and solvers for the solver tests, fed by DummyData so no files are needed.</summary>
internal static class SolverTestNets
{
    /// <summary>
    /// y = w . x + b with x = [1, 1], target 3, EuclideanLoss: L = (y - 3)^2 / 2, so dL/dw = (y - 3) x
    /// and dL/db = y - 3. Weights start at [0.5, 0.5], bias at 0.1; the bias has lr_mult 2, decay_mult 0.
    /// </summary>
    public const string Linear = """
        name: "linear"
        layer { name: "x" type: "DummyData" top: "x" top: "t"
          dummy_data_param { shape { dim: 1 dim: 2 } shape { dim: 1 dim: 1 } data_filler { type: "constant" value: 1 } data_filler { type: "constant" value: 3 } } }
        layer { name: "ip" type: "InnerProduct" bottom: "x" top: "y" param { lr_mult: 1 decay_mult: 1 } param { lr_mult: 2 decay_mult: 0 }
          inner_product_param { num_output: 1 weight_filler { type: "constant" value: 0.5 } bias_filler { type: "constant" value: 0.1 } } }
        layer { name: "loss" type: "EuclideanLoss" bottom: "y" bottom: "t" top: "loss" }
        """;

    /// <summary>A small classifier with dropout (so the random stream matters) learning to map noise to class 1.</summary>
    public const string Classifier = """
        name: "classifier"
        layer { name: "data" type: "DummyData" top: "data" top: "label"
          dummy_data_param { shape { dim: 8 dim: 3 dim: 6 dim: 6 } shape { dim: 8 } data_filler { type: "gaussian" std: 1 } data_filler { type: "constant" value: 1 } } }
        layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
          convolution_param { num_output: 4 kernel_size: 3 weight_filler { type: "xavier" } } }
        layer { name: "relu" type: "ReLU" bottom: "conv" top: "conv" }
        layer { name: "drop" type: "Dropout" bottom: "conv" top: "conv" }
        layer { name: "fc" type: "InnerProduct" bottom: "conv" top: "fc" inner_product_param { num_output: 3 weight_filler { type: "xavier" } } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss" }
        layer { name: "accuracy" type: "Accuracy" bottom: "fc" bottom: "label" top: "accuracy" include { phase: TEST } }
        """;

    public static SolverParameter Solver(string net, string settings)
    {
        var solver = TextFormat.Parse<SolverParameter>(settings);
        solver.NetParam = TextFormat.Parse<NetParameter>(net);
        return solver;
    }
}
