namespace Cortado.Bench;

/// <summary>
/// Caffe's CIFAR-10 quick net (examples/cifar10/cifar10_quick_train_test.prototxt: three 5x5
/// convolutions of 32, 32 and 64 with pad 2, max then average 3x3/2 pooling rounded up, inner
/// products 64 and 10) at batch 100, fed from an Input layer of fixed random pixels and labels:
/// the wider net for the training rows, with no dataset to fetch.
/// </summary>
internal static class Cifar10Quick
{
    public const int Batch = 100;

    private static string Conv(string name, string bottom, int outputs) =>
        $"layer {{ name: '{name}' type: 'Convolution' bottom: '{bottom}' top: '{name}' param {{ lr_mult: 1 }} param {{ lr_mult: 2 }} " +
        $"convolution_param {{ num_output: {outputs} kernel_size: 5 pad: 2 stride: 1 weight_filler {{ type: 'gaussian' std: 0.01 }} bias_filler {{ type: 'constant' }} }} }}\n";

    private static string Pool(string name, string bottom, string method) =>
        $"layer {{ name: '{name}' type: 'Pooling' bottom: '{bottom}' top: '{name}' pooling_param {{ pool: {method} kernel_size: 3 stride: 2 }} }}\n";

    private static string Relu(string name, string blob) => $"layer {{ name: '{name}' type: 'ReLU' bottom: '{blob}' top: '{blob}' }}\n";

    private static string Fc(string name, string bottom, int outputs) =>
        $"layer {{ name: '{name}' type: 'InnerProduct' bottom: '{bottom}' top: '{name}' param {{ lr_mult: 1 }} param {{ lr_mult: 2 }} " +
        $"inner_product_param {{ num_output: {outputs} weight_filler {{ type: 'gaussian' std: 0.1 }} bias_filler {{ type: 'constant' }} }} }}\n";

    public static string Input(int batch, bool labels = true) =>
        $"layer {{ name: 'data' type: 'Input' top: 'data' {(labels ? "top: 'label' " : "")}input_param {{ shape {{ dim: {batch} dim: 3 dim: 32 dim: 32 }} {(labels ? $"shape {{ dim: {batch} }} " : "")}}} }}\n";

    public static string Layers =>
        Conv("conv1", "data", 32) + Pool("pool1", "conv1", "MAX") + Relu("relu1", "pool1") +
        Conv("conv2", "pool1", 32) + Relu("relu2", "conv2") + Pool("pool2", "conv2", "AVE") +
        Conv("conv3", "pool2", 64) + Relu("relu3", "conv3") + Pool("pool3", "conv3", "AVE") +
        Fc("ip1", "pool3", 64) + Fc("ip2", "ip1", 10);

    public const string Loss = "layer { name: 'loss' type: 'SoftmaxWithLoss' bottom: 'ip2' bottom: 'label' top: 'loss' }\n";

    /// <summary>cifar10_quick_solver's update: SGD, base_lr 0.001, momentum 0.9, weight_decay 0.004.</summary>
    public static string Solver => $"net_param {{ name: 'CIFAR10_quick' {Input(Batch) + Layers + Loss} }}\n" +
        "base_lr: 0.001 momentum: 0.9 weight_decay: 0.004 lr_policy: 'fixed' max_iter: 1000000 random_seed: 1 solver_mode: CPU\n";
}
