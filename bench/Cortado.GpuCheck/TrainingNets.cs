using Cortado.Bench;

namespace Cortado.GpuCheck;

/// <summary>The training rows' nets, each fed from an Input layer of fixed random pixels and labels (the PyTorch peer does the same on its device).</summary>
internal sealed record TrainingNet(string Name, int Batch, string NetText, string Update, int Classes = 10)
{
    private const string SeedUpdate = "base_lr: 0.01 momentum: 0.9 weight_decay: 0.0005 lr_policy: 'fixed'";

    public static TrainingNet Seed(int batch) => new($"seed net (28x28, stride 2), batch {batch}", batch,
        InputLayer(batch, 1, 28) + SeedNet.Layers(2) + "layer { name: 'loss' type: 'SoftmaxWithLoss' bottom: 'fc2' bottom: 'label' top: 'loss' }\n", SeedUpdate);

    public static TrainingNet Cifar(int batch) => new($"CIFAR-10 quick, batch {batch}", batch,
        Cifar10Quick.Input(batch) + Cifar10Quick.Layers + Cifar10Quick.Loss, "base_lr: 0.001 momentum: 0.9 weight_decay: 0.004 lr_policy: 'fixed'");

    /// <summary>Caffe's examples/mnist/lenet_train_test.prototxt, with its solver's update.</summary>
    public static TrainingNet LeNet(int batch) => new($"LeNet, batch {batch}", batch, InputLayer(batch, 1, 28) + """
        layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 20 kernel_size: 5 stride: 1 weight_filler { type: "xavier" } } }
        layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
        layer { name: "conv2" type: "Convolution" bottom: "pool1" top: "conv2" convolution_param { num_output: 50 kernel_size: 5 stride: 1 weight_filler { type: "xavier" } } }
        layer { name: "pool2" type: "Pooling" bottom: "conv2" top: "pool2" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
        layer { name: "ip1" type: "InnerProduct" bottom: "pool2" top: "ip1" inner_product_param { num_output: 500 weight_filler { type: "xavier" } } }
        layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }
        layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2" inner_product_param { num_output: 10 weight_filler { type: "xavier" } } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss" }

        """, SeedUpdate);

    private static string InputLayer(int batch, int channels, int side) =>
        $"layer {{ name: 'data' type: 'Input' top: 'data' top: 'label' input_param {{ shape {{ dim: {batch} dim: {channels} dim: {side} dim: {side} }} shape {{ dim: {batch} }} }} }}\n";

    public string Solver => $"net_param {{ name: 'check' {NetText} }}\n{Update} max_iter: 100000000 random_seed: 1\n";
}
