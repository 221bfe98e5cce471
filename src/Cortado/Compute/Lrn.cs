using System.Numerics.Tensors;

namespace Cortado.Compute;

/// <summary>
/// Local response normalisation on host memory. ACROSS_CHANNELS: scale = k + alpha/n sum of x^2
/// over n neighbouring channels; WITHIN_CHANNEL: scale = 1 + alpha avg of x^2 over an n x n
/// window (zero padding counted, as average pooling does). y = x scale^-beta.
/// The caller owns the scratch (squares, work), sized as x.
/// </summary>
public static class Lrn
{
    private static PoolingGeometry Window(in LrnShape s) => new(s.Height, s.Width, s.Size, s.Size, (s.Size - 1) / 2, (s.Size - 1) / 2, 1, 1);

    public static void Forward(in LrnShape s, ReadOnlySpan<float> x, Span<float> scale, Span<float> squares, Span<float> y)
    {
        int spatial = s.Height * s.Width, pre = (s.Size - 1) / 2;
        TensorPrimitives.Multiply(x, x, squares);
        if (s.AcrossChannels)
        {
            for (int n = 0; n < s.Num; n++)
                for (int c = 0; c < s.Channels; c++)
                {
                    int lo = Math.Max(0, c - pre), hi = Math.Min(s.Channels - 1, c + pre);
                    var run = scale.Slice((n * s.Channels + c) * spatial, spatial);
                    run.Clear();
                    for (int j = lo; j <= hi; j++) TensorPrimitives.Add(run, squares.Slice((n * s.Channels + j) * spatial, spatial), run);
                    for (int i = 0; i < spatial; i++) run[i] = s.K + s.Alpha / s.Size * run[i];
                }
        }
        else
        {
            Pooling.AverageForward(squares, s.Num * s.Channels, Window(s), scale);
            for (int i = 0; i < scale.Length; i++) scale[i] = 1f + s.Alpha * scale[i];
        }
        for (int i = 0; i < x.Length; i++) y[i] = x[i] * MathF.Pow(scale[i], -s.Beta);
    }

    /// <summary>dx from dy, given forward's x, y and scale; work and squares are scratch.</summary>
    public static void Backward(in LrnShape s, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, ReadOnlySpan<float> scale,
        Span<float> work, Span<float> squares, Span<float> dx)
    {
        int spatial = s.Height * s.Width, pre = (s.Size - 1) / 2;
        // ratio = dy * y / scale, the common factor of the gradient through the scale.
        for (int i = 0; i < x.Length; i++) work[i] = dy[i] * y[i] / scale[i];
        if (s.AcrossChannels)
        {
            float factor = 2f * s.Alpha * s.Beta / s.Size;
            // One plane of the window sum; the squares' first plane is free scratch here.
            var sum = squares[..spatial];
            for (int n = 0; n < s.Num; n++)
                for (int c = 0; c < s.Channels; c++)
                {
                    // Channel c is in the window of channels c - post .. c + pre.
                    sum.Clear();
                    for (int j = Math.Max(0, c - pre); j <= Math.Min(s.Channels - 1, c + pre); j++)
                        TensorPrimitives.Add(sum, work.Slice((n * s.Channels + j) * spatial, spatial), sum);
                    int start = (n * s.Channels + c) * spatial;
                    for (int i = 0; i < spatial; i++)
                        dx[start + i] = dy[start + i] * MathF.Pow(scale[start + i], -s.Beta) - factor * x[start + i] * sum[i];
                }
        }
        else
        {
            // Through the averaged squares: d/dx = 2 x avg^T(-beta alpha ratio).
            for (int i = 0; i < work.Length; i++) work[i] *= -s.Beta * s.Alpha;
            var spread = squares;
            Pooling.AverageBackward(work, s.Num * s.Channels, Window(s), spread);
            for (int i = 0; i < x.Length; i++) dx[i] = dy[i] * MathF.Pow(scale[i], -s.Beta) + 2f * x[i] * spread[i];
        }
    }
}
