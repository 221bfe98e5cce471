using Cortado.Compute;

namespace Cortado.Gpu.Kernels;

/// <summary>A pooling geometry as a kernel can take it: integers only, the pooled size worked out on the host.</summary>
internal readonly record struct PoolWindow(int Height, int Width, int KernelH, int KernelW, int PadH, int PadW, int StrideH, int StrideW, int PooledH, int PooledW)
{
    public static PoolWindow Of(in PoolingGeometry g) =>
        new(g.Height, g.Width, g.KernelH, g.KernelW, g.PadH, g.PadW, g.StrideH, g.StrideW, g.PooledHeight, g.PooledWidth);

    public int InPlane => Height * Width;
    public int OutPlane => PooledH * PooledW;
}

/// <summary>
/// Caffe's pooling, one thread per output for the forward passes and one per input for the
/// backward ones (each input gathers from the windows that hold it, in output order, as the CPU
/// backend adds them). Windows are the CPU backend's: max ignores the padding and keeps the first
/// maximum; average divides by the window clipped to the padded input; stochastic windows ignore
/// the padding.
/// </summary>
internal static class PoolingKernels
{
    public static void MaxForward(Floats bottom, PoolWindow g, Floats top, Ints argmax, int n)
    {
        for (int i = Lane.First; i < n; i += Lane.Step)
        {
            int plane = i / g.OutPlane, pw = i % g.PooledW, ph = i / g.PooledW % g.PooledH;
            int hStart = ph * g.StrideH - g.PadH, wStart = pw * g.StrideW - g.PadW;
            int hEnd = Math.Min(hStart + g.KernelH, g.Height), wEnd = Math.Min(wStart + g.KernelW, g.Width);
            hStart = Math.Max(hStart, 0); wStart = Math.Max(wStart, 0);
            float best = float.MinValue;
            int bestIndex = -1, offset = plane * g.InPlane;
            for (int h = hStart; h < hEnd; h++)
                for (int w = wStart; w < wEnd; w++)
                {
                    float v = bottom[offset + h * g.Width + w];
                    if (v > best || bestIndex < 0) { best = v; bestIndex = h * g.Width + w; }
                }
            top[i] = best;
            argmax[i] = bestIndex;
        }
    }

    /// <summary>The outputs whose windows (before clipping) can hold input coordinate x.</summary>
    private static int FirstWindow(int x, int pad, int kernel, int stride) => x + pad < kernel ? 0 : (x + pad - kernel) / stride + 1;
    private static int EndWindow(int x, int pad, int stride, int pooled) => Math.Min((x + pad) / stride + 1, pooled);

    public static void MaxBackward(Floats topDiff, Ints argmax, PoolWindow g, Floats bottomDiff, int n)
    {
        for (int i = Lane.First; i < n; i += Lane.Step)
        {
            int plane = i / g.InPlane, w = i % g.Width, h = i / g.Width % g.Height, index = h * g.Width + w;
            int phEnd = EndWindow(h, g.PadH, g.StrideH, g.PooledH), pwEnd = EndWindow(w, g.PadW, g.StrideW, g.PooledW);
            int pwStart = FirstWindow(w, g.PadW, g.KernelW, g.StrideW), offset = plane * g.OutPlane;
            float sum = 0f;
            for (int ph = FirstWindow(h, g.PadH, g.KernelH, g.StrideH); ph < phEnd; ph++)
                for (int pw = pwStart; pw < pwEnd; pw++)
                {
                    int at = offset + ph * g.PooledW + pw;
                    if (argmax[at] == index) sum += topDiff[at];
                }
            bottomDiff[i] = sum;
        }
    }

    public static void AverageForward(Floats bottom, PoolWindow g, Floats top, int n)
    {
        for (int i = Lane.First; i < n; i += Lane.Step)
        {
            int plane = i / g.OutPlane, pw = i % g.PooledW, ph = i / g.PooledW % g.PooledH;
            int hStart = ph * g.StrideH - g.PadH, wStart = pw * g.StrideW - g.PadW;
            int hEnd = Math.Min(hStart + g.KernelH, g.Height + g.PadH), wEnd = Math.Min(wStart + g.KernelW, g.Width + g.PadW);
            int size = (hEnd - hStart) * (wEnd - wStart);
            hStart = Math.Max(hStart, 0); wStart = Math.Max(wStart, 0);
            hEnd = Math.Min(hEnd, g.Height); wEnd = Math.Min(wEnd, g.Width);
            float sum = 0f;
            int offset = plane * g.InPlane;
            for (int h = hStart; h < hEnd; h++)
                for (int w = wStart; w < wEnd; w++) sum += bottom[offset + h * g.Width + w];
            top[i] = sum / size;
        }
    }

    public static void AverageBackward(Floats topDiff, PoolWindow g, Floats bottomDiff, int n)
    {
        for (int i = Lane.First; i < n; i += Lane.Step)
        {
            int plane = i / g.InPlane, w = i % g.Width, h = i / g.Width % g.Height;
            int phEnd = EndWindow(h, g.PadH, g.StrideH, g.PooledH), pwEnd = EndWindow(w, g.PadW, g.StrideW, g.PooledW);
            int pwStart = FirstWindow(w, g.PadW, g.KernelW, g.StrideW), offset = plane * g.OutPlane;
            float sum = 0f;
            for (int ph = FirstWindow(h, g.PadH, g.KernelH, g.StrideH); ph < phEnd; ph++)
                for (int pw = pwStart; pw < pwEnd; pw++)
                {
                    int hStart = ph * g.StrideH - g.PadH, wStart = pw * g.StrideW - g.PadW;
                    int hEnd = Math.Min(hStart + g.KernelH, g.Height + g.PadH), wEnd = Math.Min(wStart + g.KernelW, g.Width + g.PadW);
                    if (h < hStart || h >= hEnd || w < wStart || w >= wEnd) continue;
                    sum += topDiff[offset + ph * g.PooledW + pw] / ((hEnd - hStart) * (wEnd - wStart));
                }
            bottomDiff[i] = sum;
        }
    }

    public static void StochasticForward(Floats bottom, PoolWindow g, Floats uniform, Floats top, Ints picked, int n)
    {
        for (int i = Lane.First; i < n; i += Lane.Step)
        {
            int plane = i / g.OutPlane, pw = i % g.PooledW, ph = i / g.PooledW % g.PooledH, offset = plane * g.InPlane;
            int h0 = ph * g.StrideH, w0 = pw * g.StrideW;
            int h1 = Math.Min(h0 + g.KernelH, g.Height), w1 = Math.Min(w0 + g.KernelW, g.Width);
            float sum = 0f;
            for (int h = h0; h < h1; h++)
                for (int w = w0; w < w1; w++) sum += bottom[offset + h * g.Width + w];
            float threshold = uniform[i] * sum, running = 0f;
            int choice = h0 * g.Width + w0;
            bool found = false;
            for (int h = h0; h < h1 && !found; h++)
                for (int w = w0; w < w1 && !found; w++)
                {
                    running += bottom[offset + h * g.Width + w];
                    if (running >= threshold) { choice = h * g.Width + w; found = true; }
                }
            picked[i] = choice;
            top[i] = bottom[offset + choice];
        }
    }

    public static void StochasticTest(Floats bottom, PoolWindow g, Floats top, int n)
    {
        for (int i = Lane.First; i < n; i += Lane.Step)
        {
            int plane = i / g.OutPlane, pw = i % g.PooledW, ph = i / g.PooledW % g.PooledH, offset = plane * g.InPlane;
            int h0 = ph * g.StrideH, w0 = pw * g.StrideW;
            int h1 = Math.Min(h0 + g.KernelH, g.Height), w1 = Math.Min(w0 + g.KernelW, g.Width);
            float sum = 1.17549435e-38f, squares = 0f; // FLT_MIN, so an all-zero window gives 0
            for (int h = h0; h < h1; h++)
                for (int w = w0; w < w1; w++)
                {
                    float v = bottom[offset + h * g.Width + w];
                    sum += v;
                    squares += v * v;
                }
            top[i] = squares / sum;
        }
    }
}
