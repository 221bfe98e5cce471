namespace Cortado.Tests.Layers;

/// <summary>
/// Caffe's LSTM and RNN written out step by step, stream by stream and unit by unit, in double,
/// from the equations in Caffe's lstm_layer.hpp and rnn_layer.hpp. It shares nothing with the
/// layers (no products, no unit kernel), so the layers are checked against the equations themselves.
/// Weights are row-major (rows x columns) as Caffe's InnerProduct keeps them; gates are [i, f, o, g].
/// </summary>
internal static class RecurrentReference
{
    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>sum_j w[row, j] v[j] over a row of a row-major matrix of <paramref name="columns"/>.</summary>
    private static double Row(float[] w, int row, int columns, ReadOnlySpan<double> v)
    {
        double sum = 0;
        for (int j = 0; j < columns; j++) sum += w[row * columns + j] * v[j];
        return sum;
    }

    private static double[] Slice(float[] values, int start, int length) => values.Skip(start).Take(length).Select(v => (double)v).ToArray();

    /// <summary>Returns h for every step (T x N x H) and the final h and c (N x H each).</summary>
    public static (double[] H, double[] FinalH, double[] FinalC) Lstm(int steps, int streams, int inputs, int hidden,
        float[] x, float[] cont, float[] wx, float[] b, float[] wh, float[] h0, float[] c0, float[]? xStatic = null, float[]? wStatic = null, int staticInputs = 0)
    {
        var output = new double[steps * streams * hidden];
        var h = h0.Select(v => (double)v).ToArray();
        var c = c0.Select(v => (double)v).ToArray();
        for (int t = 0; t < steps; t++)
            for (int n = 0; n < streams; n++)
            {
                double keep = cont[t * streams + n];
                var xt = Slice(x, (t * streams + n) * inputs, inputs);
                var hPrev = Enumerable.Range(0, hidden).Select(j => keep * h[n * hidden + j]).ToArray();
                var z = new double[4 * hidden];
                for (int g = 0; g < 4 * hidden; g++)
                {
                    z[g] = b[g] + Row(wx, g, inputs, xt) + Row(wh, g, hidden, hPrev);
                    if (xStatic != null) z[g] += Row(wStatic!, g, staticInputs, Slice(xStatic, n * staticInputs, staticInputs));
                }
                for (int u = 0; u < hidden; u++)
                {
                    double i = Sigmoid(z[u]), f = Sigmoid(z[hidden + u]), o = Sigmoid(z[2 * hidden + u]), g = Math.Tanh(z[3 * hidden + u]);
                    double cell = keep * f * c[n * hidden + u] + i * g;
                    c[n * hidden + u] = cell;
                    h[n * hidden + u] = o * Math.Tanh(cell);
                    output[(t * streams + n) * hidden + u] = h[n * hidden + u];
                }
            }
        return (output, h, c);
    }

    /// <summary>Returns o for every step (T x N x H) and the final h (N x H).</summary>
    public static (double[] O, double[] FinalH) Rnn(int steps, int streams, int inputs, int hidden,
        float[] x, float[] cont, float[] wxh, float[] bh, float[] whh, float[] who, float[] bo, float[] h0)
    {
        var output = new double[steps * streams * hidden];
        var h = h0.Select(v => (double)v).ToArray();
        for (int t = 0; t < steps; t++)
            for (int n = 0; n < streams; n++)
            {
                double keep = cont[t * streams + n];
                var xt = Slice(x, (t * streams + n) * inputs, inputs);
                var hPrev = Enumerable.Range(0, hidden).Select(j => keep * h[n * hidden + j]).ToArray();
                var next = new double[hidden];
                for (int u = 0; u < hidden; u++) next[u] = Math.Tanh(bh[u] + Row(wxh, u, inputs, xt) + Row(whh, u, hidden, hPrev));
                for (int u = 0; u < hidden; u++)
                {
                    h[n * hidden + u] = next[u];
                    output[(t * streams + n) * hidden + u] = Math.Tanh(bo[u] + Row(who, u, hidden, next));
                }
            }
        return (output, h);
    }
}
