using System.Globalization;
using Cortado.Data;

namespace Cortado.Bench;

/// <summary>
/// The seed net (two 3x3 convolutions of 32, 2x2 max pooling, dropout, dense 128, dropout, dense)
/// on 28x28 Fashion-MNIST, in both variants: pooling stride 1 as the user wrote it, stride 2 as
/// in Keras. Prototxt for training from LMDB, for testing, and for deployment.
/// </summary>
internal static class SeedNet
{
    public const string Images = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
    public const string Labels = "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz";
    public const string TestImages = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
    public const string TestLabels = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";

    /// <summary>The Fashion-MNIST training and test sets as LMDBs in the temp folder (converted once).</summary>
    public static (string Train, string Test) Databases()
    {
        string train = Path.Combine(Path.GetTempPath(), "cortado-bench-fmnist-train-lmdb");
        string test = Path.Combine(Path.GetTempPath(), "cortado-bench-fmnist-test-lmdb");
        if (!Directory.Exists(train)) IdxConverter.Convert(Images, Labels, train);
        if (!Directory.Exists(test)) IdxConverter.Convert(TestImages, TestLabels, test);
        return (train, test);
    }

    public static string Data(string source, int batch, string phase) => $$"""
        layer { name: "data" type: "Data" top: "data" top: "label" include { phase: {{phase}} } transform_param { scale: 0.00390625 } data_param { source: "{{source}}" batch_size: {{batch}} backend: LMDB } }

        """;

    public static string Input(int batch) => $$"""
        layer { name: "data" type: "Input" top: "data" input_param { shape { dim: {{batch}} dim: 1 dim: 28 dim: 28 } } }

        """;

    public static string Layers(int poolStride) => $$"""
        layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 32 kernel_size: 3 weight_filler { type: "xavier" } } }
        layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
        layer { name: "conv2" type: "Convolution" bottom: "conv1" top: "conv2" convolution_param { num_output: 32 kernel_size: 3 weight_filler { type: "xavier" } } }
        layer { name: "relu2" type: "ReLU" bottom: "conv2" top: "conv2" }
        layer { name: "pool1" type: "Pooling" bottom: "conv2" top: "pool1" pooling_param { pool: MAX kernel_size: 2 stride: {{poolStride}} } }
        layer { name: "drop1" type: "Dropout" bottom: "pool1" top: "pool1" dropout_param { dropout_ratio: 0.25 } }
        layer { name: "fc1" type: "InnerProduct" bottom: "pool1" top: "fc1" inner_product_param { num_output: 128 weight_filler { type: "xavier" } } }
        layer { name: "relu3" type: "ReLU" bottom: "fc1" top: "fc1" }
        layer { name: "drop2" type: "Dropout" bottom: "fc1" top: "fc1" dropout_param { dropout_ratio: 0.5 } }
        layer { name: "fc2" type: "InnerProduct" bottom: "fc1" top: "fc2" inner_product_param { num_output: 10 weight_filler { type: "xavier" } } }

        """;

    public const string Loss = """
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc2" bottom: "label" top: "loss" }
        layer { name: "accuracy" type: "Accuracy" bottom: "fc2" bottom: "label" top: "accuracy" include { phase: TEST } }

        """;

    public const string Probabilities = """
        layer { name: "prob" type: "Softmax" bottom: "fc2" top: "prob" }

        """;

    /// <summary>A solver prototxt with the net inline: SGD, momentum 0.9, as in the seed.</summary>
    public static string Solver(string net, string policy, int maxIter, string extra = "") => string.Create(CultureInfo.InvariantCulture, $$"""
        net_param { {{net}} }
        base_lr: 0.01
        momentum: 0.9
        lr_policy: "{{policy}}"
        power: 0.5
        max_iter: {{maxIter}}
        random_seed: 1
        {{extra}}
        """);
}
