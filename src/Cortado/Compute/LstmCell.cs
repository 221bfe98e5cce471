namespace Cortado.Compute;

/// <summary>
/// One LSTM step, as Caffe's LSTMUnit computes it, for <c>num</c> streams of <c>hidden</c> cells.
/// Each stream's gate row holds the pre-activations [i', f', o', g'] (4 x hidden); then
/// i, f, o = sigmoid, g = tanh, c = cont f c_prev + i g and h = o tanh(c). A stream whose cont is 0
/// starts afresh: its previous cell is forgotten.
/// </summary>
internal static class LstmCell
{
    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    public static void Forward(int num, int hidden, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> gates, ReadOnlySpan<float> cont,
        Span<float> c, Span<float> h)
    {
        for (int n = 0; n < num; n++)
        {
            var row = gates.Slice(n * 4 * hidden, 4 * hidden);
            float keep = cont[n];
            for (int d = 0; d < hidden; d++)
            {
                int at = n * hidden + d;
                float i = Sigmoid(row[d]), f = keep * Sigmoid(row[hidden + d]), o = Sigmoid(row[2 * hidden + d]), g = MathF.Tanh(row[3 * hidden + d]);
                float cell = f * cPrev[at] + i * g;
                c[at] = cell;
                h[at] = o * MathF.Tanh(cell);
            }
        }
    }

    /// <summary>
    /// From the gradients of c and h (an empty span counts as zero) computes the gate rows' gradients
    /// (of the pre-activations) and c_prev's. <paramref name="dcPrev"/> may be <paramref name="dc"/>
    /// itself, which is how a sequence carries the cell gradient back one step. cont gets no gradient.
    /// </summary>
    public static void Backward(int num, int hidden, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> gates, ReadOnlySpan<float> cont,
        ReadOnlySpan<float> c, ReadOnlySpan<float> dc, ReadOnlySpan<float> dh, Span<float> dcPrev, Span<float> dgates)
    {
        for (int n = 0; n < num; n++)
        {
            var row = gates.Slice(n * 4 * hidden, 4 * hidden);
            var drow = dgates.Slice(n * 4 * hidden, 4 * hidden);
            float keep = cont[n];
            for (int d = 0; d < hidden; d++)
            {
                int at = n * hidden + d;
                float i = Sigmoid(row[d]), s = Sigmoid(row[hidden + d]), o = Sigmoid(row[2 * hidden + d]), g = MathF.Tanh(row[3 * hidden + d]);
                float tanhC = MathF.Tanh(c[at]);
                float dH = dh.IsEmpty ? 0f : dh[at];
                float dCell = (dc.IsEmpty ? 0f : dc[at]) + dH * o * (1f - tanhC * tanhC);
                drow[d] = dCell * g * i * (1f - i);
                drow[hidden + d] = dCell * cPrev[at] * keep * s * (1f - s);
                drow[2 * hidden + d] = dH * tanhC * o * (1f - o);
                drow[3 * hidden + d] = dCell * i * (1f - g * g);
                dcPrev[at] = dCell * keep * s;
            }
        }
    }
}
