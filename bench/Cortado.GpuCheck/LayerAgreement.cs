using Cortado.Compute;
using Cortado.Layers;
using Cortado.Nets;
using Cortado.Proto;

namespace Cortado.GpuCheck;

/// <summary>
/// Every layer the GPU backend computes, run on it and on the CPU backend from the same weights
/// and inputs: a one-layer net (plus a sum of squares as its objective, so the gradients are not
/// all ones), forward and backward, every blob's values and gradients compared.
/// </summary>
internal static class LayerAgreement
{
    private sealed record Case(string Name, string Layer, int[][] Inputs, int LabelClasses = 0, bool IsLoss = false, bool ForceBackward = true);

    private static readonly Case[] Cases =
    [
        new("Convolution", "type: 'Convolution' convolution_param { num_output: 8 kernel_size: 3 pad: 1 stride: 2 group: 2 weight_filler { type: 'gaussian' std: 0.1 } bias_filler { type: 'gaussian' std: 0.1 } }", [[4, 6, 11, 9]]),
        new("Convolution dilated", "type: 'Convolution' convolution_param { num_output: 5 kernel_size: 3 dilation: 2 weight_filler { type: 'xavier' } }", [[2, 3, 12, 10]]),
        new("Convolution 3-D", "type: 'Convolution' convolution_param { num_output: 3 kernel_size: 2 weight_filler { type: 'xavier' } }", [[2, 2, 4, 5, 3]]),
        new("Deconvolution", "type: 'Deconvolution' convolution_param { num_output: 4 kernel_size: 4 stride: 2 pad: 1 weight_filler { type: 'xavier' } bias_filler { type: 'gaussian' std: 0.1 } }", [[2, 3, 5, 6]]),
        new("InnerProduct", "type: 'InnerProduct' inner_product_param { num_output: 17 weight_filler { type: 'xavier' } bias_filler { type: 'gaussian' std: 0.1 } }", [[9, 3, 5, 5]]),
        new("Pooling MAX", "type: 'Pooling' pooling_param { pool: MAX kernel_size: 3 stride: 2 pad: 1 }", [[3, 4, 13, 11]]),
        new("Pooling AVE", "type: 'Pooling' pooling_param { pool: AVE kernel_size: 3 stride: 2 }", [[3, 4, 13, 11]]),
        new("ReLU leaky", "type: 'ReLU' relu_param { negative_slope: 0.1 }", [[4, 5, 6, 7]]),
        new("Sigmoid", "type: 'Sigmoid'", [[4, 5, 6, 7]]),
        new("TanH", "type: 'TanH'", [[4, 5, 6, 7]]),
        new("ELU", "type: 'ELU'", [[4, 5, 6, 7]]),
        new("AbsVal", "type: 'AbsVal'", [[4, 5, 6, 7]]),
        new("BNLL", "type: 'BNLL'", [[4, 5, 6, 7]]),
        new("Power", "type: 'Power' power_param { power: 2 scale: 0.5 shift: 3 }", [[4, 5, 6]]),
        new("PReLU", "type: 'PReLU'", [[4, 5, 6, 7]]),
        new("LRN across", "type: 'LRN' lrn_param { local_size: 5 alpha: 0.1 beta: 0.75 }", [[2, 7, 5, 6]]),
        new("LRN within", "type: 'LRN' lrn_param { local_size: 3 alpha: 0.1 beta: 0.75 norm_region: WITHIN_CHANNEL }", [[2, 3, 7, 6]]),
        new("Softmax", "type: 'Softmax'", [[6, 10, 3, 2]]),
        new("BatchNorm", "type: 'BatchNorm'", [[8, 6, 5, 4]]),
        new("Scale with bias", "type: 'Scale' scale_param { bias_term: true filler { type: 'gaussian' std: 1 } bias_filler { type: 'gaussian' std: 1 } }", [[3, 6, 4, 5]]),
        new("Eltwise SUM", "type: 'Eltwise' eltwise_param { operation: SUM coeff: 0.5 coeff: -2 }", [[3, 4, 5], [3, 4, 5]]),
        new("Eltwise PROD", "type: 'Eltwise' eltwise_param { operation: PROD }", [[3, 4, 5], [3, 4, 5]]),
        new("Eltwise MAX", "type: 'Eltwise' eltwise_param { operation: MAX }", [[3, 4, 5], [3, 4, 5], [3, 4, 5]]),
        new("Concat", "type: 'Concat'", [[3, 4, 5], [3, 2, 5]]),
        new("Dropout (train)", "type: 'Dropout' dropout_param { dropout_ratio: 0.3 }", [[8, 50]]),
        new("Embed", "type: 'Embed' embed_param { input_dim: 10 num_output: 6 weight_filler { type: 'gaussian' std: 1 } }", [[7]], LabelClasses: 10, ForceBackward: false),
        new("SoftmaxWithLoss", "type: 'SoftmaxWithLoss'", [[16, 10]], LabelClasses: 10, IsLoss: true),
        new("SigmoidCrossEntropyLoss", "type: 'SigmoidCrossEntropyLoss'", [[8, 5], [8, 5]], IsLoss: true),
        new("EuclideanLoss", "type: 'EuclideanLoss'", [[8, 5], [8, 5]], IsLoss: true),
    ];

    /// <summary>Prints one row per layer; returns how many disagreed.</summary>
    public static int Run(ICompute gpu, TextWriter output)
    {
        output.WriteLine("| layer | forward, max rel. error | backward, max rel. error | agrees |");
        output.WriteLine("| --- | --- | --- | --- |");
        int failures = 0;
        foreach (var c in Cases)
        {
            string prototxt = Prototxt(c);
            var (cpuValues, cpuGradients) = Run(prototxt, c, CpuCompute.Instance);
            var (gpuValues, gpuGradients) = Run(prototxt, c, gpu);
            double forward = MaxRelativeError(cpuValues, gpuValues), backward = MaxRelativeError(cpuGradients, gpuGradients);
            bool agrees = forward < 1e-3 && backward < 1e-3;
            if (!agrees) failures++;
            output.WriteLine($"| {c.Name} | {forward:E1} | {backward:E1} | {(agrees ? "yes" : "NO")} |");
        }
        return failures;
    }

    private static string Prototxt(Case c)
    {
        var text = new System.Text.StringBuilder(c.ForceBackward ? "force_backward: true\n" : "");
        var bottoms = new List<string>();
        for (int i = 0; i < c.Inputs.Length; i++)
        {
            string name = c.LabelClasses > 0 && !c.IsLoss ? "label" : $"x{i}";
            text.Append($"layer {{ name: 'in{i}' type: 'Input' top: '{name}' input_param {{ shape {{ {string.Join(" ", c.Inputs[i].Select(d => $"dim: {d}"))} }} }} }}\n");
            bottoms.Add(name);
        }
        if (c.IsLoss && c.LabelClasses > 0)
        {
            text.Append($"layer {{ name: 'labels' type: 'Input' top: 'label' input_param {{ shape {{ dim: {c.Inputs[0][0]} }} }} }}\n");
            bottoms.Add("label");
        }
        text.Append($"layer {{ name: 'layer' {c.Layer} {string.Concat(bottoms.Select(b => $"bottom: '{b}' "))}top: 'y' }}\n");
        if (!c.IsLoss)
            text.Append("layer { name: 'objective' type: 'Reduction' bottom: 'y' top: 'objective' reduction_param { operation: SUMSQ } loss_weight: 1 }\n");
        return text.ToString();
    }

    /// <summary>Every blob's values after forward, then every blob's and parameter's gradient after backward, all on the host.</summary>
    private static (List<float[]> Values, List<float[]> Gradients) Run(string prototxt, Case c, ICompute compute)
    {
        using var net = new Net(TextFormat.Parse<NetParameter>(prototxt), Phase.Train, new NetOptions { Compute = compute, Random = new CaffeRandom(7) });
        var random = new Random(3);
        foreach (var name in Enumerable.Range(0, c.Inputs.Length).Select(i => $"x{i}").Append("label").Where(net.HasBlob))
        {
            var data = net.Blob(name).Data;
            for (int i = 0; i < data.Length; i++) data[i] = name == "label" ? random.Next(c.LabelClasses) : (float)(random.NextDouble() * 2 - 1);
        }
        net.Forward();
        var values = net.Blobs.Select(b => b.HostData.ToArray()).ToList();
        net.ClearParamDiffs();
        net.Backward();
        var gradients = net.Blobs.Select(b => b.HostDiff.ToArray())
            .Concat(net.LearnableParams.Select(p => p.HostDiff.ToArray())).ToList();
        return (values, gradients);
    }

    private static double MaxRelativeError(List<float[]> expected, List<float[]> actual)
    {
        double worst = 0;
        for (int b = 0; b < expected.Count; b++)
        {
            double scale = Math.Max(1.0, expected[b].Length == 0 ? 0 : expected[b].Max(v => Math.Abs((double)v)));
            for (int i = 0; i < expected[b].Length; i++) worst = Math.Max(worst, Math.Abs(expected[b][i] - actual[b][i]) / scale);
        }
        return worst;
    }
}
