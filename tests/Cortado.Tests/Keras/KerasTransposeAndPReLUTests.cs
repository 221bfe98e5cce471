using Cortado.Errors;
using Cortado.Keras;

namespace Cortado.Tests.Keras;

/// <summary>
/// Conv2DTranspose and PReLU as Keras defines them, against references written here from those
/// definitions: the transposed convolution as each input pixel scattering its kernel into the full
/// output, cropped as 'same' crops it (the odd cell at the end), and PReLU's per-channel slopes.
/// </summary>
public class KerasTransposeAndPReLUTests
{
    private static float[] Values(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    /// <summary>Keras's transposed convolution, channel-last: kernel (kh, kw, filters, in).</summary>
    private static float[] Transposed(float[] x, int n, int h, int w, int c, float[] kernel, float[] bias, int k, int s, int filters, bool same)
    {
        int fullH = (h - 1) * s + k, fullW = (w - 1) * s + k;
        var full = new double[n * fullH * fullW * filters];
        for (int b = 0; b < n; b++)
            for (int y = 0; y < h; y++)
                for (int xx = 0; xx < w; xx++)
                    for (int i = 0; i < c; i++)
                        for (int dy = 0; dy < k; dy++)
                            for (int dx = 0; dx < k; dx++)
                                for (int o = 0; o < filters; o++)
                                    full[((b * fullH + y * s + dy) * fullW + xx * s + dx) * filters + o] += x[((b * h + y) * w + xx) * c + i] * kernel[((dy * k + dx) * filters + o) * c + i];
        int outH = same ? h * s : fullH, outW = same ? w * s : fullW;
        int before = same ? Math.Max(k - s, 0) / 2 : 0;
        var output = new float[n * outH * outW * filters];
        for (int b = 0; b < n; b++)
            for (int y = 0; y < outH; y++)
                for (int xx = 0; xx < outW; xx++)
                    for (int o = 0; o < filters; o++)
                        output[((b * outH + y) * outW + xx) * filters + o] = (float)full[((b * fullH + y + before) * fullW + xx + before) * filters + o] + bias[o];
        return output;
    }

    [Theory]
    [InlineData(3, 2, "same")]  // the common case: one cell to crop, at the end
    [InlineData(4, 2, "same")]  // two cells, one each side (Caffe's pad)
    [InlineData(3, 1, "same")]
    [InlineData(2, 2, "valid")]
    [InlineData(3, 2, "valid")]
    public void Conv2DTransposeIsKerassTransposedConvolution(int k, int s, string padding)
    {
        int n = 2, h = 3, w = 4, c = 2, filters = 3;
        var input = new Input(h, w, c);
        var layer = new Conv2DTranspose(filters, k) { Strides = (s, s), Padding = padding, Name = "up" };
        var model = new Model(input, layer.Call(input));
        Assert.Equal(padding == "same" ? [h * s, w * s, filters] : new[] { (h - 1) * s + k, (w - 1) * s + k, filters }, model.Outputs[0].Shape);
        var kernel = Values(k * k * filters * c, 1);
        var bias = Values(filters, 2);
        model.SetWeights("up", kernel, bias);
        Assert.Equal(kernel, model.GetWeights("up")[0]);
        var x = Values(n * h * w * c, 3);
        var expected = Transposed(x, n, h, w, c, kernel, bias, k, s, filters, padding == "same");
        var actual = model.Predict([x])[0];
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-5, $"k{k} s{s} {padding} [{i}]: reference {expected[i]}, model {actual[i]}");
    }

    [Fact]
    public void Conv2DTransposeComesFromJsonWithItsWeightsShape()
    {
        var model = KerasModelJson.Parse("""
            {"class_name": "Sequential", "config": {"name": "m", "layers": [
              {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 2, 2, 1], "name": "in"}},
              {"class_name": "Conv2DTranspose", "config": {"name": "up", "filters": 2, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same", "activation": "relu", "use_bias": true}}]}}
            """);
        var up = Assert.IsType<Conv2DTranspose>(model.Layers[0]);
        Assert.Equal(("same", (2, 2), "relu"), (up.Padding, up.Strides, up.Activation));
        Assert.Equal([4, 4, 2], model.OutputShapes()[0]);
        Assert.Equal(3 * 3 * 1 * 2 + 2, model.ParamCount());
        Assert.Contains("(3, 3, 2, 1)", Assert.Throws<CortadoException>(() => model.SetWeights("up", [new KerasArray(new float[18], [3, 3, 1, 2]), new KerasArray(new float[2], [2])])).Message);
    }

    [Fact]
    public void PReLULearnsOneSlopePerChannelOrFeature()
    {
        var image = new Input(2, 2, 3);
        var perChannel = new PReLU { SharedAxes = [1, 2], Name = "slopes" };
        var model = new Model(image, perChannel.Call(image));
        Assert.Equal(3, model.ParamCount());
        model.SetWeights("slopes", [0.1f, 0.5f, -1f]);
        var x = Values(2 * 2 * 2 * 3, 5);
        var y = model.Predict([x])[0];
        float[] alpha = [0.1f, 0.5f, -1f];
        for (int i = 0; i < x.Length; i++) Assert.Equal(x[i] > 0 ? x[i] : alpha[i % 3] * x[i], y[i], 6);

        var flat = new Sequential(new PReLU { InputShape = [4] });
        Assert.Equal(4, flat.ParamCount());
        Assert.Equal(new float[4], flat.GetWeights("p_re_lu_1")[0]); // Keras's alpha starts at zero, unlike Caffe's 0.25
        Assert.Contains("per-pixel", Assert.Throws<CortadoException>(() => new Sequential(new PReLU { InputShape = [2, 2, 3] }).OutputShapes()).Message);
        var shared = new Sequential(new PReLU { InputShape = [2, 2, 3], SharedAxes = [1, 2, 3] });
        Assert.Equal(1, shared.ParamCount());
    }
}
