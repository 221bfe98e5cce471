namespace Cortado.Compute;

/// <summary>
/// Softmax along the middle axis of an (outer, dim, inner) array, its backward pass, and the
/// multinomial logistic loss on its output (SoftmaxWithLoss), on host memory.
/// </summary>
public static class Softmax
{
    /// <summary>FLT_MIN, the smallest normal float: Caffe's clamp for log(0).</summary>
    public const float FloatMin = 1.17549435e-38f;

    public static void Forward(ReadOnlySpan<float> x, Span<float> y, ChannelLayout layout)
    {
        var (outer, channels, inner) = layout;
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int start = o * channels * inner + i;
                float max = float.NegativeInfinity;
                for (int c = 0; c < channels; c++) max = MathF.Max(max, x[start + c * inner]);
                float sum = 0f;
                for (int c = 0; c < channels; c++) sum += y[start + c * inner] = MathF.Exp(x[start + c * inner] - max);
                for (int c = 0; c < channels; c++) y[start + c * inner] /= sum;
            }
    }

    /// <summary>dx = (dy - sum_c dy y) y.</summary>
    public static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, ChannelLayout layout)
    {
        var (outer, channels, inner) = layout;
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int start = o * channels * inner + i;
                float dot = 0f;
                for (int c = 0; c < channels; c++) dot += dy[start + c * inner] * y[start + c * inner];
                for (int c = 0; c < channels; c++) dx[start + c * inner] = (dy[start + c * inner] - dot) * y[start + c * inner];
            }
    }

    public static LabelledLoss Loss(ReadOnlySpan<float> prob, ReadOnlySpan<float> labels, ChannelLayout layout, int? ignore)
    {
        var (outer, channels, inner) = layout;
        double loss = 0;
        int counted = 0;
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                float value = labels[o * inner + i];
                int label = (int)value;
                if (label == ignore) continue;
                if (label < 0 || label >= channels || label != value) return new LabelledLoss(loss, counted, value);
                loss -= MathF.Log(MathF.Max(prob[(o * channels + label) * inner + i], FloatMin));
                counted++;
            }
        return new LabelledLoss(loss, counted, float.NaN);
    }

    public static void LossGradient(ReadOnlySpan<float> prob, ReadOnlySpan<float> labels, ChannelLayout layout, int? ignore, float scale, Span<float> dx)
    {
        var (outer, channels, inner) = layout;
        prob.CopyTo(dx);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int label = (int)labels[o * inner + i];
                if (label == ignore)
                {
                    for (int c = 0; c < channels; c++) dx[(o * channels + c) * inner + i] = 0f;
                    continue;
                }
                dx[(o * channels + label) * inner + i] -= 1f;
            }
        Blas.Scal(scale, dx);
    }
}
