namespace Cortado.Tests.Compute;

/// <summary>Plain loops in double precision: the independent answers the kernels are checked against.</summary>
internal static class Reference
{
    public static float[] Random(int length, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = ((float)random.NextDouble() * 2f - 1f) * scale;
        return values;
    }

    /// <summary>C = alpha * op(A) * op(B) + beta * C, plus the sum of |terms| per element for the error bound.</summary>
    public static (double[] C, double[] Magnitude) Gemm(bool ta, bool tb, int m, int n, int k, float alpha,
        float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc)
    {
        var result = new double[m * n];
        var magnitude = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0, abs = 0;
                for (int p = 0; p < k; p++)
                {
                    double x = ta ? a[p * lda + i] : a[i * lda + p];
                    double y = tb ? b[j * ldb + p] : b[p * ldb + j];
                    sum += x * y;
                    abs += Math.Abs(x * y);
                }
                double old = beta == 0f ? 0 : c[i * ldc + j];
                result[i * n + j] = alpha * sum + beta * old;
                magnitude[i * n + j] = Math.Abs(alpha) * abs + Math.Abs(beta * old);
            }
        }
        return (result, magnitude);
    }

    /// <summary>Direct 2-D convolution of one C x H x W image with F filters, no bias.</summary>
    public static double[] Convolve(float[] image, int channels, float[] filters, int numFilters, Cortado.Compute.ConvolutionGeometry g)
    {
        int oh = g.OutputHeight, ow = g.OutputWidth;
        var output = new double[numFilters * oh * ow];
        for (int f = 0; f < numFilters; f++)
            for (int y = 0; y < oh; y++)
                for (int x = 0; x < ow; x++)
                {
                    double sum = 0;
                    for (int c = 0; c < channels; c++)
                        for (int kh = 0; kh < g.KernelH; kh++)
                            for (int kw = 0; kw < g.KernelW; kw++)
                            {
                                int ih = y * g.StrideH - g.PadH + kh * g.DilationH;
                                int iw = x * g.StrideW - g.PadW + kw * g.DilationW;
                                if (ih < 0 || ih >= g.Height || iw < 0 || iw >= g.Width) continue;
                                sum += (double)image[(c * g.Height + ih) * g.Width + iw] * filters[((f * channels + c) * g.KernelH + kh) * g.KernelW + kw];
                            }
                    output[(f * oh + y) * ow + x] = sum;
                }
        return output;
    }
}
