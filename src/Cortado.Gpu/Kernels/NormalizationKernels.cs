using Cortado.Compute;

namespace Cortado.Gpu.Kernels;

/// <summary>An LRN shape as a kernel takes it: integers and floats only.</summary>
internal readonly record struct LrnWindow(int Channels, int Spatial, int Size, float Alpha, float Beta, float K)
{
    public static LrnWindow Of(in LrnShape s) => new(s.Channels, s.Height * s.Width, s.Size, s.Alpha, s.Beta, s.K);
    public int Pre => (Size - 1) / 2;
}

/// <summary>
/// Local response normalisation and softmax, one thread per element or per softmax position. The
/// channel windows are summed directly; WITHIN_CHANNEL goes through the average-pooling kernels.
/// </summary>
internal static class NormalizationKernels
{
    /// <summary>squares = x^2 and, across channels, scale = k + alpha/n sum of the squares over the channel window.</summary>
    public static void LrnAcrossScale(Floats x, LrnWindow s, Floats scale, Floats squares, int n)
    {
        for (int i = Lane.First; i < n; i += Lane.Step)
        {
            int position = i % s.Spatial, c = i / s.Spatial % s.Channels, image = i / (s.Spatial * s.Channels);
            int lo = Math.Max(0, c - s.Pre), hi = Math.Min(s.Channels - 1, c + s.Pre);
            float sum = 0f;
            for (int j = lo; j <= hi; j++)
            {
                float v = x[(image * s.Channels + j) * s.Spatial + position];
                sum += v * v;
            }
            squares[i] = x[i] * x[i];
            scale[i] = s.K + s.Alpha / s.Size * sum;
        }
    }

    /// <summary>y = x scale^-beta.</summary>
    public static void LrnOutput(Floats x, Floats scale, float beta, Floats y, int n)
    {
        for (int i = Lane.First; i < n; i += Lane.Step) y[i] = x[i] * MathF.Pow(scale[i], -beta);
    }

    /// <summary>work = dy y / scale times factor: the common part of the gradient through the scale.</summary>
    public static void LrnRatio(Floats dy, Floats y, Floats scale, float factor, Floats work, int n)
    {
        for (int i = Lane.First; i < n; i += Lane.Step) work[i] = dy[i] * y[i] / scale[i] * factor;
    }

    /// <summary>dx = dy scale^-beta - 2 alpha beta / n x sum of work over the channels whose window holds this one.</summary>
    public static void LrnAcrossBackward(Floats x, Floats dy, Floats scale, Floats work, LrnWindow s, Floats dx, int n)
    {
        float factor = 2f * s.Alpha * s.Beta / s.Size;
        for (int i = Lane.First; i < n; i += Lane.Step)
        {
            int position = i % s.Spatial, c = i / s.Spatial % s.Channels, image = i / (s.Spatial * s.Channels);
            int lo = Math.Max(0, c - s.Pre), hi = Math.Min(s.Channels - 1, c + s.Pre);
            float sum = 0f;
            for (int j = lo; j <= hi; j++) sum += work[(image * s.Channels + j) * s.Spatial + position];
            dx[i] = dy[i] * MathF.Pow(scale[i], -s.Beta) - factor * x[i] * sum;
        }
    }

    /// <summary>dx = dy scale^-beta + 2 x spread, spread being the averaged (-beta alpha ratio).</summary>
    public static void LrnWithinBackward(Floats x, Floats dy, Floats scale, Floats spread, float beta, Floats dx, int n)
    {
        for (int i = Lane.First; i < n; i += Lane.Step) dx[i] = dy[i] * MathF.Pow(scale[i], -beta) + 2f * x[i] * spread[i];
    }

    public static void Softmax(Floats x, Floats y, int channels, int inner, int positions)
    {
        for (int p = Lane.First; p < positions; p += Lane.Step)
        {
            int start = p / inner * channels * inner + p % inner;
            float max = float.NegativeInfinity;
            for (int c = 0; c < channels; c++) max = Math.Max(max, x[start + c * inner]);
            float sum = 0f;
            for (int c = 0; c < channels; c++)
            {
                float e = MathF.Exp(x[start + c * inner] - max);
                y[start + c * inner] = e;
                sum += e;
            }
            for (int c = 0; c < channels; c++) y[start + c * inner] /= sum;
        }
    }

    /// <summary>dx = (dy - sum_c dy y) y.</summary>
    public static void SoftmaxBackward(Floats y, Floats dy, Floats dx, int channels, int inner, int positions)
    {
        for (int p = Lane.First; p < positions; p += Lane.Step)
        {
            int start = p / inner * channels * inner + p % inner;
            float dot = 0f;
            for (int c = 0; c < channels; c++) dot += dy[start + c * inner] * y[start + c * inner];
            for (int c = 0; c < channels; c++) dx[start + c * inner] = (dy[start + c * inner] - dot) * y[start + c * inner];
        }
    }

    /// <summary>
    /// Per labelled position, -log(max(prob[label], FLT_MIN)) and whether it counts (0 for the
    /// ignored label); the first position whose label is not a class goes to firstBad.
    /// </summary>
    public static void SoftmaxLossTerms(Floats prob, Floats labels, int channels, int inner, int hasIgnore, int ignore, Floats terms, Floats counted, Ints firstBad, int positions)
    {
        for (int p = Lane.First; p < positions; p += Lane.Step)
        {
            float value = labels[p];
            int label = (int)value;
            terms[p] = 0f;
            counted[p] = 0f;
            if (hasIgnore != 0 && label == ignore) continue;
            if (label < 0 || label >= channels || label != value) { Atomic.Min(ref firstBad[0], p); continue; }
            terms[p] = -MathF.Log(Math.Max(prob[(p / inner * channels + label) * inner + p % inner], Cortado.Compute.Softmax.FloatMin));
            counted[p] = 1f;
        }
    }

    /// <summary>dx = scale (prob - onehot(label)), 0 where the label is ignored.</summary>
    public static void SoftmaxLossGradient(Floats prob, Floats labels, int channels, int inner, int hasIgnore, int ignore, float scale, Floats dx, int n)
    {
        for (int i = Lane.First; i < n; i += Lane.Step)
        {
            int position = i % inner, c = i / inner % channels, outer = i / (inner * channels);
            int label = (int)labels[outer * inner + position];
            dx[i] = hasIgnore != 0 && label == ignore ? 0f : scale * (prob[i] - (c == label ? 1f : 0f));
        }
    }
}
