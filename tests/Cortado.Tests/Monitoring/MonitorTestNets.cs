namespace Cortado.Tests.Monitoring;

/// <summary>Nets built to show one thing each to the live monitor.</summary>
internal static class MonitorTestNets
{
    /// <summary>
    /// Every weight 0 and a rate of 0: the scores are all 0, so the loss is ln(4) at every iteration
    /// and every sample is predicted class 0 (the first of equal scores).
    /// </summary>
    public const string AtChance = """
        name: "at_chance"
        layer { name: "data" type: "DummyData" top: "data" top: "label"
          dummy_data_param { shape { dim: 16 dim: 10 } shape { dim: 16 } data_filler { type: "gaussian" std: 1 } data_filler { type: "constant" value: 2 } } }
        layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" inner_product_param { num_output: 4 } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss" }
        """;

    /// <summary>
    /// Inputs of 3e38 into an InnerProduct of all-one weights: its sums overflow to infinity at the
    /// first iteration, so 'ip1' is the first layer with non-finite outputs.
    /// </summary>
    public const string Overflowing = """
        name: "overflowing"
        layer { name: "data" type: "DummyData" top: "data" top: "label"
          dummy_data_param { shape { dim: 4 dim: 8 } shape { dim: 4 } data_filler { type: "constant" value: 3e38 } data_filler { type: "constant" value: 1 } } }
        layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1" inner_product_param { num_output: 3 weight_filler { type: "constant" value: 1 } } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip1" bottom: "label" top: "loss" }
        """;

    /// <summary>A ReLU after an InnerProduct whose bias is -100: no unit is ever positive.</summary>
    public const string DeadRelu = """
        name: "dead_relu"
        layer { name: "data" type: "DummyData" top: "data" top: "label"
          dummy_data_param { shape { dim: 8 dim: 6 } shape { dim: 8 } data_filler { type: "gaussian" std: 1 } data_filler { type: "constant" value: 1 } } }
        layer { name: "hidden" type: "InnerProduct" bottom: "data" top: "hidden"
          inner_product_param { num_output: 5 weight_filler { type: "gaussian" std: 0.1 } bias_filler { type: "constant" value: -100 } } }
        layer { name: "relu" type: "ReLU" bottom: "hidden" top: "hidden" }
        layer { name: "fc" type: "InnerProduct" bottom: "hidden" top: "fc" inner_product_param { num_output: 3 weight_filler { type: "xavier" } } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss" }
        """;
}
