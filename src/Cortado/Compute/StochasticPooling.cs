namespace Cortado.Compute;

/// <summary>
/// Stochastic pooling (Zeiler and Fergus), as Caffe's GPU kernels compute it (Caffe has no CPU
/// version). Windows start at p * stride and ignore padding. In training each window picks one
/// input with probability proportional to its value: the first whose running sum reaches u times
/// the window's sum, for a uniform u of that output; the pick is kept, as max pooling's winner is,
/// for the backward pass. At test time each window gives sum(x^2) / sum(x), its values weighted by
/// themselves (the sum starts at FLT_MIN, so an all-zero window gives 0).
/// </summary>
internal static class StochasticPooling
{
    private static (int HStart, int HEnd, int WStart, int WEnd) Window(in PoolingGeometry g, int ph, int pw)
    {
        int hStart = ph * g.StrideH, wStart = pw * g.StrideW;
        return (hStart, Math.Min(hStart + g.KernelH, g.Height), wStart, Math.Min(wStart + g.KernelW, g.Width));
    }

    public static void Sample(ReadOnlySpan<float> bottom, int planes, in PoolingGeometry g, ReadOnlySpan<float> uniform, Span<float> top, Span<int> picked)
    {
        g.Check(bottom.Length, top.Length, planes);
        int inPlane = g.Height * g.Width, outPlane = g.PooledHeight * g.PooledWidth;
        for (int plane = 0; plane < planes; plane++)
        {
            var input = bottom.Slice(plane * inPlane, inPlane);
            for (int ph = 0; ph < g.PooledHeight; ph++)
                for (int pw = 0; pw < g.PooledWidth; pw++)
                {
                    int at = plane * outPlane + ph * g.PooledWidth + pw;
                    var (h0, h1, w0, w1) = Window(g, ph, pw);
                    float sum = 0f;
                    for (int h = h0; h < h1; h++)
                        for (int w = w0; w < w1; w++) sum += input[h * g.Width + w];
                    float threshold = uniform[at] * sum, running = 0f;
                    int choice = h0 * g.Width + w0;
                    for (int h = h0; h < h1; h++)
                        for (int w = w0; w < w1; w++)
                        {
                            running += input[h * g.Width + w];
                            if (running >= threshold) { choice = h * g.Width + w; goto found; }
                        }
                    found:
                    picked[at] = choice;
                    top[at] = input[choice];
                }
        }
    }

    public static void Weighted(ReadOnlySpan<float> bottom, int planes, in PoolingGeometry g, Span<float> top)
    {
        g.Check(bottom.Length, top.Length, planes);
        int inPlane = g.Height * g.Width, outPlane = g.PooledHeight * g.PooledWidth;
        for (int plane = 0; plane < planes; plane++)
        {
            var input = bottom.Slice(plane * inPlane, inPlane);
            for (int ph = 0; ph < g.PooledHeight; ph++)
                for (int pw = 0; pw < g.PooledWidth; pw++)
                {
                    var (h0, h1, w0, w1) = Window(g, ph, pw);
                    float sum = 1.17549435e-38f, squares = 0f; // FLT_MIN
                    for (int h = h0; h < h1; h++)
                        for (int w = w0; w < w1; w++)
                        {
                            float v = input[h * g.Width + w];
                            sum += v;
                            squares += v * v;
                        }
                    top[plane * outPlane + ph * g.PooledWidth + pw] = squares / sum;
                }
        }
    }
}
