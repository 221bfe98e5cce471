using Cortado.Compute;

namespace Cortado.Gpu.Kernels;

/// <summary>
/// im2col and col2im, in 2-D and over any number of axes. col2im gathers: each image element sums
/// the column entries that read it, so no two threads write one place and the sum has a fixed order.
/// </summary>
internal static class ConvolutionKernels
{
    /// <summary>
    /// The im2col of <paramref name="batch"/> images side by side: columns[(c kh kw), (b, oh ow)] =
    /// image b's [c, oh sh - ph + kh dh, ow sw - pw + kw dw], 0 in the padding. One GEMM then covers
    /// every image of the batch. Images are imageStride apart.
    /// </summary>
    public static void Im2Col(Floats images, ConvolutionGeometry g, int batch, int imageStride, Floats columns, int n)
    {
        int outH = g.OutputHeight, outW = g.OutputWidth, spatial = outH * outW, width = batch * spatial;
        for (int i = Lane.First; i < n; i += Lane.Step)
        {
            int row = i / width, rest = i - row * width, b = rest / spatial, column = rest - b * spatial;
            int kw = row % g.KernelW, kh = row / g.KernelW % g.KernelH, c = row / (g.KernelW * g.KernelH);
            int oh = column / outW, ow = column - oh * outW;
            int h = oh * g.StrideH - g.PadH + kh * g.DilationH, w = ow * g.StrideW - g.PadW + kw * g.DilationW;
            columns[i] = h >= 0 && h < g.Height && w >= 0 && w < g.Width ? images[b * imageStride + (c * g.Height + h) * g.Width + w] : 0f;
        }
    }

    /// <summary>The images (overwritten, contiguous) as the sums of the column entries that <see cref="Im2Col"/> took from them.</summary>
    public static void Col2Im(Floats columns, ConvolutionGeometry g, int batch, int channels, Floats images, int n)
    {
        int outH = g.OutputHeight, outW = g.OutputWidth, spatial = outH * outW, width = batch * spatial, plane = g.Height * g.Width;
        for (int i = Lane.First; i < n; i += Lane.Step)
        {
            int b = i / (channels * plane), c = i / plane % channels, h = i / g.Width % g.Height, w = i % g.Width;
            float sum = 0f;
            for (int kh = 0; kh < g.KernelH; kh++)
            {
                int th = h + g.PadH - kh * g.DilationH;
                if (th < 0 || th % g.StrideH != 0 || th / g.StrideH >= outH) continue;
                int oh = th / g.StrideH;
                for (int kw = 0; kw < g.KernelW; kw++)
                {
                    int tw = w + g.PadW - kw * g.DilationW;
                    if (tw < 0 || tw % g.StrideW != 0 || tw / g.StrideW >= outW) continue;
                    sum += columns[((c * g.KernelH + kh) * g.KernelW + kw) * width + b * spatial + oh * outW + tw / g.StrideW];
                }
            }
            images[i] = sum;
        }
    }

    /// <summary>target (b, a, s) = source (a, b, s): a batch of GEMM outputs (channels, images, positions) into blob order (images, channels, positions), or back.</summary>
    public static void SwapOuter(Floats source, int a, int b, int s, Floats target, int n)
    {
        for (int i = Lane.First; i < n; i += Lane.Step)
        {
            int bi = i / (a * s), ai = i / s % a, si = i % s;
            target[i] = source[(ai * b + bi) * s + si];
        }
    }

    // The N-D forms read the geometry from a small int array: axes A, then input, kernel, pad,
    // stride, dilation and output, A values each (see GpuCompute.UploadGeometry).

    private static int At(Ints geometry, int part, int axis) => geometry[1 + part * geometry[0] + axis];

    public static void Im2ColNd(Floats image, Ints geometry, int kernelSize, int inputSize, int outputSize, Floats columns, int n)
    {
        int axes = geometry[0];
        for (int i = Lane.First; i < n; i += Lane.Step)
        {
            int row = i / outputSize, column = i - row * outputSize;
            int channel = row / kernelSize, offsetRest = row - channel * kernelSize, columnRest = column;
            int index = 0, scale = 1;
            bool inside = true;
            for (int a = axes - 1; a >= 0; a--)
            {
                int kernel = At(geometry, 1, a), output = At(geometry, 5, a), input = At(geometry, 0, a);
                int offset = offsetRest % kernel, position = columnRest % output;
                offsetRest /= kernel; columnRest /= output;
                int coordinate = position * At(geometry, 3, a) - At(geometry, 2, a) + offset * At(geometry, 4, a);
                if (coordinate < 0 || coordinate >= input) inside = false;
                index += coordinate * scale;
                scale *= input;
            }
            columns[i] = inside ? image[channel * inputSize + index] : 0f;
        }
    }

    public static void Col2ImNd(Floats columns, Ints geometry, int kernelSize, int inputSize, int outputSize, Floats image, int n)
    {
        int axes = geometry[0];
        for (int i = Lane.First; i < n; i += Lane.Step)
        {
            int channel = i / inputSize, positionIndex = i - channel * inputSize;
            float sum = 0f;
            for (int k = 0; k < kernelSize; k++)
            {
                int offsetRest = k, positionRest = positionIndex, column = 0, scale = 1;
                bool hit = true;
                for (int a = axes - 1; a >= 0; a--)
                {
                    int kernel = At(geometry, 1, a), input = At(geometry, 0, a), output = At(geometry, 5, a), stride = At(geometry, 3, a);
                    int offset = offsetRest % kernel, position = positionRest % input;
                    offsetRest /= kernel; positionRest /= input;
                    int t = position + At(geometry, 2, a) - offset * At(geometry, 4, a);
                    if (t < 0 || t % stride != 0 || t / stride >= output) hit = false;
                    column += t / stride * scale;
                    scale *= output;
                }
                if (hit) sum += columns[(channel * kernelSize + k) * outputSize + column];
            }
            image[i] = sum;
        }
    }
}
