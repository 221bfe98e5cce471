using System.Text;

namespace Cortado.Tests.Nets;

/// <summary>
/// Deploy prototxts of the common model-zoo architectures, written for the tests from the
/// published layer tables (no fillers: deploy nets get weights from a .caffemodel).
/// </summary>
internal static class ModelZoo
{
    private static string Input(int c, int h, int w) =>
        $"layer {{ name: \"data\" type: \"Input\" top: \"data\" input_param {{ shape {{ dim: 1 dim: {c} dim: {h} dim: {w} }} }} }}\n";

    private static string Conv(string name, string bottom, int outputs, int kernel, int stride = 1, int pad = 0, int group = 1, bool bias = true, string? top = null) =>
        $"layer {{ name: \"{name}\" type: \"Convolution\" bottom: \"{bottom}\" top: \"{top ?? name}\" convolution_param {{ num_output: {outputs} kernel_size: {kernel} stride: {stride} pad: {pad} group: {group} bias_term: {(bias ? "true" : "false")} }} }}\n";

    private static string Relu(string name, string blob) => $"layer {{ name: \"{name}\" type: \"ReLU\" bottom: \"{blob}\" top: \"{blob}\" }}\n";

    private static string Pool(string name, string bottom, string method, int kernel, int stride, int pad = 0) =>
        $"layer {{ name: \"{name}\" type: \"Pooling\" bottom: \"{bottom}\" top: \"{name}\" pooling_param {{ pool: {method} kernel_size: {kernel} stride: {stride} pad: {pad} }} }}\n";

    private static string Fc(string name, string bottom, int outputs) =>
        $"layer {{ name: \"{name}\" type: \"InnerProduct\" bottom: \"{bottom}\" top: \"{name}\" inner_product_param {{ num_output: {outputs} }} }}\n";

    private static string Lrn(string name, string bottom) =>
        $"layer {{ name: \"{name}\" type: \"LRN\" bottom: \"{bottom}\" top: \"{name}\" lrn_param {{ local_size: 5 alpha: 0.0001 beta: 0.75 }} }}\n";

    private static string Softmax(string bottom) => $"layer {{ name: \"prob\" type: \"Softmax\" bottom: \"{bottom}\" top: \"prob\" }}\n";

    public static string LeNet =>
        "name: \"LeNet\"\n" + Input(1, 28, 28) + Conv("conv1", "data", 20, 5) + Pool("pool1", "conv1", "MAX", 2, 2) +
        Conv("conv2", "pool1", 50, 5) + Pool("pool2", "conv2", "MAX", 2, 2) + Fc("ip1", "pool2", 500) + Relu("relu1", "ip1") +
        Fc("ip2", "ip1", 10) + Softmax("ip2");

    public static string Cifar10Quick =>
        "name: \"CIFAR10_quick\"\n" + Input(3, 32, 32) + Conv("conv1", "data", 32, 5, pad: 2) + Pool("pool1", "conv1", "MAX", 3, 2) +
        Relu("relu1", "pool1") + Conv("conv2", "pool1", 32, 5, pad: 2) + Relu("relu2", "conv2") + Pool("pool2", "conv2", "AVE", 3, 2) +
        Conv("conv3", "pool2", 64, 5, pad: 2) + Relu("relu3", "conv3") + Pool("pool3", "conv3", "AVE", 3, 2) +
        Fc("ip1", "pool3", 64) + Fc("ip2", "ip1", 10) + Softmax("ip2");

    public static string CaffeNet =>
        "name: \"CaffeNet\"\n" + Input(3, 227, 227) +
        Conv("conv1", "data", 96, 11, stride: 4) + Relu("relu1", "conv1") + Pool("pool1", "conv1", "MAX", 3, 2) + Lrn("norm1", "pool1") +
        Conv("conv2", "norm1", 256, 5, pad: 2, group: 2) + Relu("relu2", "conv2") + Pool("pool2", "conv2", "MAX", 3, 2) + Lrn("norm2", "pool2") +
        Conv("conv3", "norm2", 384, 3, pad: 1) + Relu("relu3", "conv3") +
        Conv("conv4", "conv3", 384, 3, pad: 1, group: 2) + Relu("relu4", "conv4") +
        Conv("conv5", "conv4", 256, 3, pad: 1, group: 2) + Relu("relu5", "conv5") + Pool("pool5", "conv5", "MAX", 3, 2) +
        Fc("fc6", "pool5", 4096) + Relu("relu6", "fc6") + "layer { name: \"drop6\" type: \"Dropout\" bottom: \"fc6\" top: \"fc6\" }\n" +
        Fc("fc7", "fc6", 4096) + Relu("relu7", "fc7") + "layer { name: \"drop7\" type: \"Dropout\" bottom: \"fc7\" top: \"fc7\" }\n" +
        Fc("fc8", "fc7", 1000) + Softmax("fc8");

    public static string Vgg16
    {
        get
        {
            var sb = new StringBuilder("name: \"VGG_ILSVRC_16_layers\"\n").Append(Input(3, 224, 224));
            string bottom = "data";
            int[][] blocks = [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]];
            for (int b = 0; b < blocks.Length; b++)
            {
                for (int c = 0; c < blocks[b].Length; c++)
                {
                    string name = $"conv{b + 1}_{c + 1}";
                    sb.Append(Conv(name, bottom, blocks[b][c], 3, pad: 1)).Append(Relu($"relu{b + 1}_{c + 1}", name));
                    bottom = name;
                }
                sb.Append(Pool($"pool{b + 1}", bottom, "MAX", 2, 2));
                bottom = $"pool{b + 1}";
            }
            return sb.Append(Fc("fc6", bottom, 4096)).Append(Relu("relu6", "fc6")).Append(Fc("fc7", "fc6", 4096)).Append(Relu("relu7", "fc7"))
                .Append(Fc("fc8", "fc7", 1000)).Append(Softmax("fc8")).ToString();
        }
    }

    public static string GoogLeNet
    {
        get
        {
            var sb = new StringBuilder("name: \"GoogleNet\"\n").Append(Input(3, 224, 224));
            sb.Append(Conv("conv1/7x7_s2", "data", 64, 7, stride: 2, pad: 3)).Append(Relu("conv1/relu_7x7", "conv1/7x7_s2"))
              .Append(Pool("pool1/3x3_s2", "conv1/7x7_s2", "MAX", 3, 2)).Append(Lrn("pool1/norm1", "pool1/3x3_s2"))
              .Append(Conv("conv2/3x3_reduce", "pool1/norm1", 64, 1)).Append(Relu("conv2/relu_3x3_reduce", "conv2/3x3_reduce"))
              .Append(Conv("conv2/3x3", "conv2/3x3_reduce", 192, 3, pad: 1)).Append(Relu("conv2/relu_3x3", "conv2/3x3"))
              .Append(Lrn("conv2/norm2", "conv2/3x3")).Append(Pool("pool2/3x3_s2", "conv2/norm2", "MAX", 3, 2));
            string bottom = "pool2/3x3_s2";
            // name, 1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool projection
            (string, int, int, int, int, int, int)[] modules =
            [
                ("3a", 64, 96, 128, 16, 32, 32), ("3b", 128, 128, 192, 32, 96, 64), ("pool3", 0, 0, 0, 0, 0, 0),
                ("4a", 192, 96, 208, 16, 48, 64), ("4b", 160, 112, 224, 24, 64, 64), ("4c", 128, 128, 256, 24, 64, 64),
                ("4d", 112, 144, 288, 32, 64, 64), ("4e", 256, 160, 320, 32, 128, 128), ("pool4", 0, 0, 0, 0, 0, 0),
                ("5a", 256, 160, 320, 32, 128, 128), ("5b", 384, 192, 384, 48, 128, 128),
            ];
            foreach (var (name, c1, r3, c3, r5, c5, pp) in modules)
            {
                if (name.StartsWith("pool"))
                {
                    sb.Append(Pool($"{name}/3x3_s2", bottom, "MAX", 3, 2));
                    bottom = $"{name}/3x3_s2";
                    continue;
                }
                string p = $"inception_{name}";
                sb.Append(Conv($"{p}/1x1", bottom, c1, 1)).Append(Relu($"{p}/relu_1x1", $"{p}/1x1"))
                  .Append(Conv($"{p}/3x3_reduce", bottom, r3, 1)).Append(Relu($"{p}/relu_3x3_reduce", $"{p}/3x3_reduce"))
                  .Append(Conv($"{p}/3x3", $"{p}/3x3_reduce", c3, 3, pad: 1)).Append(Relu($"{p}/relu_3x3", $"{p}/3x3"))
                  .Append(Conv($"{p}/5x5_reduce", bottom, r5, 1)).Append(Relu($"{p}/relu_5x5_reduce", $"{p}/5x5_reduce"))
                  .Append(Conv($"{p}/5x5", $"{p}/5x5_reduce", c5, 5, pad: 2)).Append(Relu($"{p}/relu_5x5", $"{p}/5x5"))
                  .Append(Pool($"{p}/pool", bottom, "MAX", 3, 1, pad: 1))
                  .Append(Conv($"{p}/pool_proj", $"{p}/pool", pp, 1)).Append(Relu($"{p}/relu_pool_proj", $"{p}/pool_proj"))
                  .Append($"layer {{ name: \"{p}/output\" type: \"Concat\" bottom: \"{p}/1x1\" bottom: \"{p}/3x3\" bottom: \"{p}/5x5\" bottom: \"{p}/pool_proj\" top: \"{p}/output\" }}\n");
                bottom = $"{p}/output";
            }
            sb.Append(Pool("pool5/7x7_s1", bottom, "AVE", 7, 1))
              .Append("layer { name: \"pool5/drop_7x7_s1\" type: \"Dropout\" bottom: \"pool5/7x7_s1\" top: \"pool5/7x7_s1\" dropout_param { dropout_ratio: 0.4 } }\n")
              .Append(Fc("loss3/classifier", "pool5/7x7_s1", 1000)).Append(Softmax("loss3/classifier"));
            return sb.ToString();
        }
    }

    public static string ResNet50
    {
        get
        {
            var sb = new StringBuilder("name: \"ResNet-50\"\n").Append(Input(3, 224, 224));
            string BnScale(string blob) =>
                $"layer {{ name: \"bn_{blob}\" type: \"BatchNorm\" bottom: \"{blob}\" top: \"{blob}\" batch_norm_param {{ use_global_stats: true }} }}\n" +
                $"layer {{ name: \"scale_{blob}\" type: \"Scale\" bottom: \"{blob}\" top: \"{blob}\" scale_param {{ bias_term: true }} }}\n";
            sb.Append(Conv("conv1", "data", 64, 7, stride: 2, pad: 3)).Append(BnScale("conv1")).Append(Relu("conv1_relu", "conv1"))
              .Append(Pool("pool1", "conv1", "MAX", 3, 2));
            string bottom = "pool1";
            (int Stage, int Blocks, int Width)[] stages = [(2, 3, 64), (3, 4, 128), (4, 6, 256), (5, 3, 512)];
            foreach (var (stage, blocks, width) in stages)
            {
                for (int b = 0; b < blocks; b++)
                {
                    string n = $"{stage}{(char)('a' + b)}";
                    int stride = b == 0 && stage > 2 ? 2 : 1;
                    string shortcut = bottom;
                    if (b == 0)
                    {
                        sb.Append(Conv($"res{n}_branch1", bottom, width * 4, 1, stride: stride, bias: false)).Append(BnScale($"res{n}_branch1"));
                        shortcut = $"res{n}_branch1";
                    }
                    sb.Append(Conv($"res{n}_branch2a", bottom, width, 1, stride: stride, bias: false)).Append(BnScale($"res{n}_branch2a")).Append(Relu($"res{n}_branch2a_relu", $"res{n}_branch2a"))
                      .Append(Conv($"res{n}_branch2b", $"res{n}_branch2a", width, 3, pad: 1, bias: false)).Append(BnScale($"res{n}_branch2b")).Append(Relu($"res{n}_branch2b_relu", $"res{n}_branch2b"))
                      .Append(Conv($"res{n}_branch2c", $"res{n}_branch2b", width * 4, 1, bias: false)).Append(BnScale($"res{n}_branch2c"))
                      .Append($"layer {{ name: \"res{n}\" type: \"Eltwise\" bottom: \"{shortcut}\" bottom: \"res{n}_branch2c\" top: \"res{n}\" }}\n")
                      .Append(Relu($"res{n}_relu", $"res{n}"));
                    bottom = $"res{n}";
                }
            }
            return sb.Append(Pool("pool5", bottom, "AVE", 7, 1)).Append(Fc("fc1000", "pool5", 1000)).Append(Softmax("fc1000")).ToString();
        }
    }
}
