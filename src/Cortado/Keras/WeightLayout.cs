namespace Cortado.Keras;

/// <summary>
/// Keras's weight layouts to Caffe's and back: Conv2D kernels (kh, kw, in, out) are Caffe's
/// (out, in, kh, kw); Dense kernels (in, out) are Caffe's (out, in); and a Dense after a Flatten of
/// an (h, w, c) image reads features in h-w-c order in Keras but c-h-w order in Caffe.
/// </summary>
internal static class WeightLayout
{
    public static float[] ConvToCaffe(float[] hwio, int kh, int kw, int input, int output)
    {
        var oihw = new float[hwio.Length];
        for (int y = 0; y < kh; y++)
            for (int x = 0; x < kw; x++)
                for (int i = 0; i < input; i++)
                    for (int o = 0; o < output; o++)
                        oihw[((o * input + i) * kh + y) * kw + x] = hwio[((y * kw + x) * input + i) * output + o];
        return oihw;
    }

    public static float[] ConvToKeras(float[] oihw, int kh, int kw, int input, int output)
    {
        var hwio = new float[oihw.Length];
        for (int y = 0; y < kh; y++)
            for (int x = 0; x < kw; x++)
                for (int i = 0; i < input; i++)
                    for (int o = 0; o < output; o++)
                        hwio[((y * kw + x) * input + i) * output + o] = oihw[((o * input + i) * kh + y) * kw + x];
        return hwio;
    }

    /// <summary>Keras (in, out) to Caffe (out, in); <paramref name="flattened"/> is the (h, w, c) image a Flatten turned into the input.</summary>
    public static float[] DenseToCaffe(float[] kernel, int inputs, int outputs, int[]? flattened)
    {
        var caffe = new float[kernel.Length];
        for (int k = 0; k < inputs; k++)
        {
            int row = flattened == null ? k : CaffeFeature(k, flattened);
            for (int o = 0; o < outputs; o++) caffe[o * inputs + row] = kernel[k * outputs + o];
        }
        return caffe;
    }

    public static float[] DenseToKeras(float[] caffe, int inputs, int outputs, int[]? flattened)
    {
        var kernel = new float[caffe.Length];
        for (int k = 0; k < inputs; k++)
        {
            int row = flattened == null ? k : CaffeFeature(k, flattened);
            for (int o = 0; o < outputs; o++) kernel[k * outputs + o] = caffe[o * inputs + row];
        }
        return kernel;
    }

    /// <summary>Where Keras's flattened feature k (h-w-c order) sits in Caffe's c-h-w order.</summary>
    private static int CaffeFeature(int k, int[] hwc)
    {
        var (h, w, c) = (hwc[0], hwc[1], hwc[2]);
        int channel = k % c, column = k / c % w, row = k / c / w;
        return (channel * h + row) * w + column;
    }
}
