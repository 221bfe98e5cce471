using Cortado.Errors;
using Cortado.Tensors;
using Cortado.Tests.Devices;
using static Cortado.Tests.Layers.LayerTestKit;

namespace Cortado.Tests.Layers;

/// <summary>
/// Caffe's N-D convolution path (3-D and 1-D kernels, a channel axis other than 1,
/// force_nd_im2col) and the Im2col layer: against a direct convolution written from the formula,
/// against the tuned 2-D path on the same weights, and by finite differences.
/// </summary>
public abstract class NdConvolutionTests<TDevice> where TDevice : ITestDevice
{
    private static Cortado.Layers.Layer Create(string prototxt) => LayerTestKit.Create(prototxt, TDevice.Compute);

    private static (Cortado.Layers.Layer Layer, List<Blob> Top) Run(string prototxt, Blob bottom)
    {
        var layer = Create(prototxt);
        var top = Tops(1);
        layer.SetUp([bottom], top);
        layer.Forward([bottom], top);
        return (layer, top);
    }

    /// <summary>y(n, o, z, y, x) = b(o) + sum over c in o's group and the kernel of W(o, c, kz, ky, kx) x(n, c, z s - p + kz d, ...), zero outside.</summary>
    private static double[] Direct3d(float[] x, int num, int channels, int[] size, float[] w, float[] b, int outputs, int group, int[] k, int[] s, int[] p, int[] d)
    {
        int[] o = [.. size.Select((v, a) => (v + 2 * p[a] - (d[a] * (k[a] - 1) + 1)) / s[a] + 1)];
        var y = new double[num * outputs * o[0] * o[1] * o[2]];
        int inPerGroup = channels / group, outPerGroup = outputs / group;
        for (int n = 0; n < num; n++)
            for (int oc = 0; oc < outputs; oc++)
                for (int z = 0; z < o[0]; z++)
                    for (int r = 0; r < o[1]; r++)
                        for (int c = 0; c < o[2]; c++)
                        {
                            double sum = b[oc];
                            for (int ic = 0; ic < inPerGroup; ic++)
                                for (int kz = 0; kz < k[0]; kz++)
                                    for (int ky = 0; ky < k[1]; ky++)
                                        for (int kx = 0; kx < k[2]; kx++)
                                        {
                                            int iz = z * s[0] - p[0] + kz * d[0], iy = r * s[1] - p[1] + ky * d[1], ix = c * s[2] - p[2] + kx * d[2];
                                            if (iz < 0 || iy < 0 || ix < 0 || iz >= size[0] || iy >= size[1] || ix >= size[2]) continue;
                                            int channel = oc / outPerGroup * inPerGroup + ic;
                                            sum += w[(((oc * inPerGroup + ic) * k[0] + kz) * k[1] + ky) * k[2] + kx]
                                                 * x[(((n * channels + channel) * size[0] + iz) * size[1] + iy) * size[2] + ix];
                                        }
                            y[(((n * outputs + oc) * o[0] + z) * o[1] + r) * o[2] + c] = sum;
                        }
        return y;
    }

    [Fact]
    public void A3dConvolutionMatchesTheDirectFormula()
    {
        var x = Filled(1, 1f, 2, 4, 5, 6, 4);
        var (layer, top) = Run("type: 'Convolution' convolution_param { num_output: 4 group: 2 kernel_size: 3 kernel_size: 2 kernel_size: 3 stride: 2 stride: 1 stride: 1 pad: 1 pad: 0 pad: 1 dilation: 1 dilation: 2 dilation: 1 "
            + "weight_filler { type: 'gaussian' std: 0.5 } bias_filler { type: 'uniform' min: -1 max: 1 } }", x);
        Assert.Equal([4, 2, 3, 2, 3], layer.Blobs[0].Shape.ToArray());
        Assert.Equal([2, 4, 3, 4, 4], top[0].Shape.ToArray());
        var expected = Direct3d(x.Data.ToArray(), 2, 4, [5, 6, 4], layer.Blobs[0].HostData.ToArray(), layer.Blobs[1].HostData.ToArray(), 4, 2, [3, 2, 3], [2, 1, 1], [1, 0, 1], [1, 2, 1]);
        Near([.. expected.Select(v => (float)v)], top[0].HostData, 1e-4f);
    }

    [Theory]
    [InlineData("Convolution", "num_output: 3 group: 1 kernel_size: 3 stride: 2 pad: 1 dilation: 1")]
    [InlineData("Convolution", "num_output: 4 group: 2 kernel_size: 2 kernel_size: 3 stride: 1 pad: 0 pad: 1 dilation: 2")]
    [InlineData("Deconvolution", "num_output: 4 group: 2 kernel_size: 3 stride: 2 pad: 1")]
    public void TheNdPathEqualsThe2dPathOnTheSameWeights(string type, string settings)
    {
        string prototxt = $"type: '{type}' convolution_param {{ {settings} weight_filler {{ type: 'gaussian' std: 0.5 }} bias_filler {{ type: 'uniform' min: -1 max: 1 }}";
        var x = Filled(2, 1f, 2, 4, 7, 6);
        var (planar, planarTop) = Run(prototxt + " }", x);
        var (nd, ndTop) = Run(prototxt + " force_nd_im2col: true }", x);
        for (int i = 0; i < planar.Blobs.Count; i++) Assert.Equal(planar.Blobs[i].HostData.ToArray(), nd.Blobs[i].HostData.ToArray());
        Assert.Equal(planarTop[0].Shape.ToArray(), ndTop[0].Shape.ToArray());
        Near(planarTop[0].HostData.ToArray(), ndTop[0].HostData, 1e-4f);

        var dy = Filled(3, 1f, [.. planarTop[0].Shape]);
        var grads = new List<float[]>();
        foreach (var (layer, top) in new[] { (planar, planarTop), (nd, ndTop) })
        {
            dy.HostData.CopyTo(top[0].Diff);
            foreach (var blob in layer.Blobs) blob.Diff.Clear();
            layer.Backward(top, [true], [x]);
            grads.Add(x.HostDiff.ToArray());
            grads.AddRange(layer.Blobs.Select(b => b.HostDiff.ToArray()));
        }
        int half = grads.Count / 2;
        for (int i = 0; i < half; i++) Near(grads[i], grads[half + i], 1e-4f);
    }

    [Fact]
    public void AChannelAxisOtherThanOneConvolvesEachLeadingIndexAsAnImage()
    {
        // (2, 3, C=4, 5, 5) on axis 2 is (6, 4, 5, 5) on axis 1.
        string settings = "num_output: 2 kernel_size: 3 weight_filler { type: 'gaussian' std: 0.5 } bias_filler { type: 'constant' value: 0.5 }";
        var x = Filled(4, 1f, 2, 3, 4, 5, 5);
        var (_, axisTop) = Run($"type: 'Convolution' convolution_param {{ {settings} axis: 2 }}", x);
        var (_, planarTop) = Run($"type: 'Convolution' convolution_param {{ {settings} }}", Values(x.Data.ToArray(), 6, 4, 5, 5));
        Assert.Equal([2, 3, 2, 3, 3], axisTop[0].Shape.ToArray());
        Near(planarTop[0].HostData.ToArray(), axisTop[0].HostData, 1e-4f);
    }

    [Theory]
    [InlineData("Convolution", "num_output: 2 kernel_size: 2 stride: 2 pad: 1", 1, 2, 4, 3, 5)]
    [InlineData("Convolution", "num_output: 4 group: 2 kernel_size: 3 dilation: 2 pad: 2", 2, 4, 5, 4, 3)]
    [InlineData("Deconvolution", "num_output: 2 kernel_size: 2 stride: 2", 1, 3, 2, 3, 2)]
    [InlineData("Convolution", "num_output: 3 kernel_size: 3 pad: 1 stride: 2", 2, 2, 7, 0, 0)]
    public void NdGradients(string type, string settings, int n, int c, int d1, int d2, int d3)
    {
        int[] shape = d2 == 0 ? [n, c, d1] : [n, c, d1, d2, d3];
        new GradientChecker().Check(Create($"type: '{type}' convolution_param {{ {settings} weight_filler {{ type: 'gaussian' std: 0.5 }} bias_filler {{ type: 'gaussian' std: 0.5 }} }}"),
            [Filled(5, 1f, shape)], Tops(1));
    }

    [Fact]
    public void Im2colByHand()
    {
        // 1 x 1 x 3 x 3 image 1..9, 2x2 kernel: each of the 4 rows is one kernel offset over the 2x2 outputs.
        var (_, top) = Run("type: 'Im2col' convolution_param { kernel_size: 2 }", Values([1, 2, 3, 4, 5, 6, 7, 8, 9], 1, 1, 3, 3));
        Assert.Equal([1, 4, 2, 2], top[0].Shape.ToArray());
        Near([1, 2, 4, 5, 2, 3, 5, 6, 4, 5, 7, 8, 5, 6, 8, 9], top[0].HostData);
        var (_, padded) = Run("type: 'Im2col' convolution_param { kernel_size: 3 pad: 1 stride: 2 }", Values([1, 2, 3, 4, 5, 6, 7, 8, 9], 1, 1, 3, 3));
        Assert.Equal([1, 9, 2, 2], padded[0].Shape.ToArray());
        Near([0, 0, 0, 5, 0, 0, 4, 6, 0, 0, 5, 0], padded[0].HostData[..12]);
    }

    [Fact]
    public void Im2colGradients()
    {
        new GradientChecker().Check(Create("type: 'Im2col' convolution_param { kernel_size: 3 stride: 2 pad: 1 }"), [Filled(6, 1f, 2, 3, 5, 4)], Tops(1));
        new GradientChecker().Check(Create("type: 'Im2col' convolution_param { kernel_size: 2 dilation: 2 }"), [Filled(7, 1f, 1, 2, 4, 5, 3)], Tops(1));
    }

    [Fact]
    public void KernelSpellingsThatDoNotFitTheAxesAreRefused()
    {
        var count = Assert.Throws<LayerException>(() => Run("type: 'Convolution' convolution_param { num_output: 2 kernel_size: 3 kernel_size: 3 }", new Blob(1, 2, 4, 4, 4)));
        Assert.Contains("kernel_size must be given once, or once per spatial axis (3); got 2 values", count.Message);
        var hw = Assert.Throws<LayerException>(() => Run("type: 'Convolution' convolution_param { num_output: 2 kernel_h: 3 kernel_w: 3 }", new Blob(1, 2, 4, 4, 4)));
        Assert.Contains("kernel_h and kernel_w are for 2 spatial axes", hw.Message);
        var fit = Assert.Throws<LayerException>(() => Run("type: 'Convolution' convolution_param { num_output: 2 kernel_size: 5 }", new Blob(1, 2, 4, 4, 4)));
        Assert.Contains("leaves no output", fit.Message);
    }
}

public sealed class NdConvolutionTestsOnCpu : NdConvolutionTests<OnCpu>;
public sealed class NdConvolutionTestsOnEmulatedDevice : NdConvolutionTests<OnEmulatedDevice>;
public sealed class NdConvolutionTestsOnEmulatedGpu : NdConvolutionTests<OnEmulatedGpu>;
