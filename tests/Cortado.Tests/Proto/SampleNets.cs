namespace Cortado.Tests.Proto;

/// <summary>Realistic prototxt files written for the test suite, in the styles Caffe users write.</summary>
internal static class SampleNets
{
    public const string LeNet = """
        name: "LeNet"
        layer {
          name: "mnist"
          type: "Data"
          top: "data"
          top: "label"
          include {
            phase: TRAIN
          }
          transform_param {
            scale: 0.00390625
          }
          data_param {
            source: "examples/mnist/mnist_train_lmdb"
            batch_size: 64
            backend: LMDB
          }
        }
        layer {
          name: "conv1"
          type: "Convolution"
          bottom: "data"
          top: "conv1"
          param { lr_mult: 1 }
          param { lr_mult: 2 }
          convolution_param {
            num_output: 20
            kernel_size: 5
            stride: 1
            weight_filler { type: "xavier" }
            bias_filler { type: "constant" }
          }
        }
        layer {
          name: "pool1"
          type: "Pooling"
          bottom: "conv1"
          top: "pool1"
          pooling_param { pool: MAX kernel_size: 2 stride: 2 }
        }
        layer {
          name: "ip1"
          type: "InnerProduct"
          bottom: "pool1"
          top: "ip1"
          param { lr_mult: 1 }
          param { lr_mult: 2 }
          inner_product_param {
            num_output: 500
            weight_filler { type: "xavier" }
            bias_filler { type: "constant" }
          }
        }
        layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }
        layer {
          name: "ip2"
          type: "InnerProduct"
          bottom: "ip1"
          top: "ip2"
          inner_product_param { num_output: 10 weight_filler { type: "xavier" } }
        }
        layer {
          name: "accuracy"
          type: "Accuracy"
          bottom: "ip2"
          bottom: "label"
          top: "accuracy"
          include { phase: TEST }
        }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss" }
        """;

    // CIFAR-10 quick, in the compact one-line style and with a mean file, LRN-free.
    public const string Cifar10Quick = """
        name: "CIFAR10_quick"
        layer {
          name: "cifar" type: "Data" top: "data" top: "label"
          include { phase: TRAIN }
          transform_param { mean_file: "examples/cifar10/mean.binaryproto" }
          data_param { source: "examples/cifar10/cifar10_train_lmdb" batch_size: 100 backend: LMDB }
        }
        layer {
          name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
          param { lr_mult: 1 } param { lr_mult: 2 }
          convolution_param {
            num_output: 32 pad: 2 kernel_size: 5 stride: 1
            weight_filler { type: "gaussian" std: 0.0001 }
            bias_filler { type: "constant" }
          }
        }
        layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1"
          pooling_param { pool: MAX kernel_size: 3 stride: 2 } }
        layer { name: "relu1" type: "ReLU" bottom: "pool1" top: "pool1" }
        layer {
          name: "conv2" type: "Convolution" bottom: "pool1" top: "conv2"
          param { lr_mult: 1 } param { lr_mult: 2 }
          convolution_param { num_output: 32 pad: 2 kernel_size: 5 stride: 1
            weight_filler { type: "gaussian" std: 0.01 } bias_filler { type: "constant" } }
        }
        layer { name: "relu2" type: "ReLU" bottom: "conv2" top: "conv2" }
        layer { name: "pool2" type: "Pooling" bottom: "conv2" top: "pool2"
          pooling_param { pool: AVE kernel_size: 3 stride: 2 } }
        layer {
          name: "ip1" type: "InnerProduct" bottom: "pool2" top: "ip1"
          param { lr_mult: 1 } param { lr_mult: 2 }
          inner_product_param { num_output: 64 weight_filler { type: "gaussian" std: 0.1 } bias_filler { type: "constant" } }
        }
        layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2"
          inner_product_param { num_output: 10 weight_filler { type: "gaussian" std: 0.1 } } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss" }
        """;

    // The pre-2015 form: 'layers' entries with enum types, blobs_lr and weight_decay, scale in data_param.
    public const string V1LeNet = """
        name: "LeNetV1"
        layers {
          name: "mnist"
          type: DATA
          top: "data"
          top: "label"
          data_param {
            source: "mnist_train_lmdb"
            backend: LMDB
            batch_size: 64
            scale: 0.00390625
          }
          include: { phase: TRAIN }
        }
        layers {
          name: "conv1"
          type: CONVOLUTION
          bottom: "data"
          top: "conv1"
          blobs_lr: 1
          blobs_lr: 2
          weight_decay: 1
          weight_decay: 0
          convolution_param {
            num_output: 20
            kernel_size: 5
            weight_filler { type: "xavier" }
          }
        }
        layers { name: "relu1" type: RELU bottom: "conv1" top: "conv1" }
        layers { name: "pool1" type: POOLING bottom: "conv1" top: "pool1"
          pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
        layers { name: "ip1" type: INNER_PRODUCT bottom: "pool1" top: "ip1"
          param: "shared_w" inner_product_param { num_output: 10 } }
        layers { name: "loss" type: SOFTMAX_LOSS bottom: "ip1" bottom: "label" top: "loss" loss_weight: 1 }
        """;

    public const string LeNetSolver = """
        # The train/test net protocol buffer definition
        net: "examples/mnist/lenet_train_test.prototxt"
        test_iter: 100
        test_interval: 500
        base_lr: 0.01
        momentum: 0.9
        weight_decay: 0.0005
        lr_policy: "inv"
        gamma: 0.0001
        power: 0.75
        display: 100
        max_iter: 10000
        snapshot: 5000
        snapshot_prefix: "examples/mnist/lenet"
        solver_mode: CPU
        """;
}
